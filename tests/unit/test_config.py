"""Operator settings: layering, validation per source, private keys, secrecy."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr, ValidationError

from maze.config import ConfigError, ConfigWarning, Settings, explain_settings, load_settings

SECRET = "hunter2-webhook-secret"


@pytest.fixture(scope="module")
def pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def home_file(home: Path, text: str) -> Path:
    path = home / ".config" / "maze" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def local_file(cwd: Path, text: str) -> Path:
    path = cwd / "maze.toml"
    path.write_text(text)
    return path


def test_defaults_without_any_source(cwd: Path, home: Path) -> None:
    settings = load_settings(env={}, cwd=cwd, home=home)

    assert settings.database_url == "sqlite:///" + str((cwd / ".maze" / "maze.db").absolute())
    assert settings.database_url.startswith("sqlite:////")
    assert settings.redis_url is None
    assert settings.embedded_queue is True
    assert settings.redis_prefix == "maze:"
    assert settings.webhook_secret is None
    assert settings.github_app_id is None
    assert settings.github_private_key is None
    assert settings.github_api_url == "https://api.github.com"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.log_level == "INFO"
    assert settings.review_timeout_seconds == 600.0


def test_each_layer_overrides_the_one_below(cwd: Path, home: Path) -> None:
    home_path = home_file(home, "port = 1001\nhost = '10.0.0.1'\nlog_level = 'debug'\n")
    local_path = local_file(cwd, "port = 1002\nlog_level = 'warning'\nredis_prefix = 'local:'\n")
    env = {"MAZE_PORT": "1003", "MAZE_REDIS_PREFIX": "env:"}
    cli = {"port": 1004}

    assert load_settings(cli, env=env, cwd=cwd, home=home).port == 1004
    assert load_settings(env=env, cwd=cwd, home=home).port == 1003
    assert load_settings(env={}, cwd=cwd, home=home).port == 1002
    local_path.unlink()
    assert load_settings(env={}, cwd=cwd, home=home).port == 1001
    home_path.unlink()
    assert load_settings(env={}, cwd=cwd, home=home).port == 8080


def test_explain_names_the_source_of_every_value(cwd: Path, home: Path) -> None:
    home_path = home_file(home, "port = 1001\nhost = '10.0.0.1'\nlog_level = 'debug'\n")
    local_path = local_file(cwd, "port = 1002\nlog_level = 'warning'\nredis_prefix = 'local:'\n")
    env = {"MAZE_PORT": "1003", "MAZE_REDIS_PREFIX": "env:"}

    rows = explain_settings({"port": 1004, "host": None}, env=env, cwd=cwd, home=home)

    assert [key for key, _, _ in rows] == list(Settings.model_fields)
    by_key = {key: (value, source) for key, value, source in rows}
    assert by_key["port"] == ("1004", "command line")
    assert by_key["redis_prefix"] == ("env:", "MAZE_REDIS_PREFIX")
    assert by_key["log_level"] == ("WARNING", str(local_path))
    assert by_key["host"] == ("10.0.0.1", str(home_path))
    assert by_key["github_api_url"] == ("https://api.github.com", "default")
    assert by_key["redis_url"] == ("(unset)", "default")


def test_cli_entries_that_are_none_are_ignored(cwd: Path, home: Path) -> None:
    settings = load_settings(
        {"port": None, "host": None, "log_level": "error"}, env={"MAZE_PORT": "9000"}, cwd=cwd, home=home
    )
    assert (settings.port, settings.host, settings.log_level) == (9000, "127.0.0.1", "ERROR")


def test_environment_values_are_converted_from_strings(cwd: Path, home: Path) -> None:
    env = {
        "MAZE_GITHUB_APP_ID": "12345",
        "MAZE_REVIEW_TIMEOUT_SECONDS": "2.5",
        "MAZE_REDIS_URL": "redis://localhost:6379/0",
        "MAZE_WEBHOOK_SECRET": SECRET,
        "MAZE_DATABASE_URL": "postgresql+psycopg://maze@db/maze",
    }
    settings = load_settings(env=env, cwd=cwd, home=home)

    assert settings.github_app_id == 12345
    assert settings.review_timeout_seconds == 2.5
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.embedded_queue is False
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == SECRET
    assert settings.database_url == "postgresql+psycopg://maze@db/maze"


def test_empty_environment_variable_leaves_optional_value_unset(cwd: Path, home: Path) -> None:
    local_file(cwd, "redis_url = 'redis://cache:6379/1'\n")
    env = {"MAZE_REDIS_URL": "", "MAZE_GITHUB_APP_ID": "", "MAZE_WEBHOOK_SECRET": ""}

    settings = load_settings(env=env, cwd=cwd, home=home)

    assert settings.redis_url == "redis://cache:6379/1"
    assert settings.github_app_id is None
    assert settings.webhook_secret is None


def test_empty_string_in_a_file_clears_an_optional_value(cwd: Path, home: Path) -> None:
    home_file(home, "redis_url = 'redis://cache:6379/1'\n")
    local_file(cwd, "redis_url = ''\n")

    assert load_settings(env={}, cwd=cwd, home=home).embedded_queue is True


def test_empty_environment_variable_for_required_value_is_an_error(cwd: Path, home: Path) -> None:
    with pytest.raises(ConfigError, match=r"^MAZE_PORT: expected an integer between 0 and 65535, got ''$"):
        load_settings(env={"MAZE_PORT": ""}, cwd=cwd, home=home)


def test_normalisation(cwd: Path, home: Path) -> None:
    settings = load_settings(
        {"github_api_url": "https://ghe.example.com/api/v3/", "log_level": "warning", "port": 0},
        env={},
        cwd=cwd,
        home=home,
    )
    assert settings.github_api_url == "https://ghe.example.com/api/v3"
    assert settings.log_level == "WARNING"
    assert settings.port == 0


def test_environment_message_names_variable_and_value(cwd: Path, home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"MAZE_PORT": "eighty"}, cwd=cwd, home=home)

    assert str(caught.value) == "MAZE_PORT: expected an integer between 0 and 65535, got 'eighty'"
    assert (caught.value.key, caught.value.source) == ("port", "MAZE_PORT")
    assert caught.value.expected == "an integer between 0 and 65535"


def test_file_message_names_file_key_and_value(cwd: Path, home: Path) -> None:
    path = local_file(cwd, "port = 'eighty'\n")

    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, cwd=cwd, home=home)

    assert str(caught.value) == f"{path}: key 'port': expected an integer between 0 and 65535, got 'eighty'"
    assert (caught.value.key, caught.value.source) == ("port", str(path))


def test_bad_value_in_an_overridden_layer_is_still_reported(cwd: Path, home: Path) -> None:
    path = home_file(home, "log_level = 'LOUD'\n")

    with pytest.raises(ConfigError, match="log_level") as caught:
        load_settings({"log_level": "INFO"}, env={}, cwd=cwd, home=home)
    assert caught.value.source == str(path)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("port", 70000, "an integer between 0 and 65535"),
        ("port", -1, "an integer between 0 and 65535"),
        ("port", True, "an integer between 0 and 65535"),
        ("github_app_id", 0, "a positive integer"),
        ("github_app_id", "abc", "a positive integer"),
        ("github_api_url", "ftp://example.com", "an http:// or https:// URL"),
        ("github_api_url", "api.github.com", "an http:// or https:// URL"),
        ("redis_url", "http://localhost:6379", "a Redis URL"),
        ("database_url", "maze.db", "a database URL"),
        ("log_level", "verbose", "one of DEBUG, INFO, WARNING, ERROR"),
        ("review_timeout_seconds", 0, "a number of seconds greater than 0"),
        ("review_timeout_seconds", -5.0, "a number of seconds greater than 0"),
        ("review_timeout_seconds", float("nan"), "a number of seconds greater than 0"),
        ("host", "  ", "a non-empty host name"),
        ("redis_prefix", "", "a non-empty string"),
    ],
)
def test_bad_values_from_the_command_line(
    cwd: Path, home: Path, key: str, value: object, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({key: value}, env={}, cwd=cwd, home=home)

    message = str(caught.value)
    assert message.startswith(f"command line: key '{key}': expected {expected}")
    assert message.endswith(f"got {value!r}")
    assert (caught.value.key, caught.value.source) == (key, "command line")


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("MAZE_GITHUB_APP_ID", "-3"),
        ("MAZE_REVIEW_TIMEOUT_SECONDS", "soon"),
        ("MAZE_LOG_LEVEL", "trace"),
        ("MAZE_GITHUB_API_URL", "not a url"),
    ],
)
def test_bad_values_from_the_environment(cwd: Path, home: Path, var: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={var: value}, cwd=cwd, home=home)

    assert str(caught.value).startswith(f"{var}: expected ")
    assert str(caught.value).endswith(f"got {value!r}")
    assert caught.value.source == var


def test_wrong_toml_type_is_reported(cwd: Path, home: Path) -> None:
    path = home_file(home, "host = 127\n")

    with pytest.raises(
        ConfigError, match=r"key 'host': expected a non-empty host name or IP address, got 127$"
    ):
        load_settings(env={}, cwd=cwd, home=home)
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, cwd=cwd, home=home)
    assert str(caught.value).startswith(str(path))


def test_unknown_toml_key_suggests_the_closest(cwd: Path, home: Path) -> None:
    path = local_file(cwd, "prot = 8080\n")

    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, cwd=cwd, home=home)

    message = str(caught.value)
    assert message.startswith(f"{path}: unknown key 'prot'")
    assert "did you mean 'port'?" in message
    for key in Settings.model_fields:
        assert key in message
    assert (caught.value.key, caught.value.source) == ("prot", str(path))


def test_unknown_toml_key_without_close_match(cwd: Path, home: Path) -> None:
    local_file(cwd, "[colour]\nname = 'red'\n")

    with pytest.raises(ConfigError, match="unknown key 'colour'") as caught:
        load_settings(env={}, cwd=cwd, home=home)
    assert "did you mean" not in str(caught.value)


def test_unknown_cli_key_is_an_error(cwd: Path, home: Path) -> None:
    with pytest.raises(ConfigError, match=r"^command line: unknown key 'verbose'"):
        load_settings({"verbose": True}, env={}, cwd=cwd, home=home)


def test_toml_syntax_error_names_file_and_line(cwd: Path, home: Path) -> None:
    path = home_file(home, "port = 8080\nhost = \n")

    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, cwd=cwd, home=home)

    assert str(caught.value).startswith(f"{path}: line 2, column ")
    assert "invalid TOML" in str(caught.value)
    assert caught.value.source == str(path)


def test_unknown_environment_variables_are_ignored(cwd: Path, home: Path) -> None:
    env = {"MAZE_SOMETHING_ELSE": "1", "MAZE_": "x", "OTHER_PORT": "1"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        settings = load_settings(env=env, cwd=cwd, home=home)
    assert settings.port == 8080


def test_misspelled_environment_variable_warns(cwd: Path, home: Path) -> None:
    with pytest.warns(ConfigWarning, match="MAZE_PROT.*did you mean MAZE_PORT"):
        settings = load_settings(env={"MAZE_PROT": "9000"}, cwd=cwd, home=home)
    assert settings.port == 8080


def test_private_key_from_pem_text(cwd: Path, home: Path, pem: str) -> None:
    settings = load_settings(env={"MAZE_GITHUB_PRIVATE_KEY": pem}, cwd=cwd, home=home)

    assert settings.github_private_key is not None
    assert settings.github_private_key.get_secret_value() == pem


def test_private_key_with_escaped_newlines(cwd: Path, home: Path, pem: str) -> None:
    escaped = pem.replace("\n", "\\n")
    settings = load_settings(env={"MAZE_GITHUB_PRIVATE_KEY": escaped}, cwd=cwd, home=home)

    assert settings.github_private_key is not None
    assert settings.github_private_key.get_secret_value() == pem


def test_private_key_from_absolute_path(cwd: Path, home: Path, tmp_path: Path, pem: str) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(pem)

    settings = load_settings({"github_private_key": str(key_file)}, env={}, cwd=cwd, home=home)

    assert settings.github_private_key is not None
    assert settings.github_private_key.get_secret_value() == pem


def test_private_key_relative_paths(cwd: Path, home: Path, pem: str) -> None:
    (home / ".config" / "maze").mkdir(parents=True)
    (home / ".config" / "maze" / "app.pem").write_text(pem)
    (home / "keys").mkdir()
    (home / "keys" / "other.pem").write_text(pem)
    (cwd / "local.pem").write_text(pem)

    home_file(home, "github_private_key = 'app.pem'\n")
    from_file = load_settings(env={}, cwd=cwd, home=home).github_private_key
    from_env = load_settings(
        env={"MAZE_GITHUB_PRIVATE_KEY": "local.pem"}, cwd=cwd, home=home
    ).github_private_key
    from_tilde = load_settings({"github_private_key": "~/keys/other.pem"}, env={}, cwd=cwd, home=home)

    assert from_file is not None and from_file.get_secret_value() == pem
    assert from_env is not None and from_env.get_secret_value() == pem
    assert from_tilde.github_private_key is not None
    assert from_tilde.github_private_key.get_secret_value() == pem


def test_missing_private_key_file_names_path_and_source(cwd: Path, home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"MAZE_GITHUB_PRIVATE_KEY": "keys/missing.pem"}, cwd=cwd, home=home)

    assert (
        str(caught.value)
        == f"MAZE_GITHUB_PRIVATE_KEY: private key file not found: {cwd / 'keys/missing.pem'}"
    )
    assert caught.value.key == "github_private_key"


def test_private_key_file_without_a_key(cwd: Path, home: Path, tmp_path: Path) -> None:
    cert = "-----BEGIN CERTIFICATE-----\nMIIBsecretcontent\n-----END CERTIFICATE-----\n"
    key_file = tmp_path / "cert.pem"
    key_file.write_text(cert)
    path = local_file(cwd, f"github_private_key = '{key_file}'\n")

    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, cwd=cwd, home=home)

    assert str(caught.value) == (
        f"{path}: key 'github_private_key': file {key_file} does not hold a PEM private key"
    )
    assert "secretcontent" not in str(caught.value)


def test_malformed_pem_text_is_not_echoed(cwd: Path, home: Path, pem: str) -> None:
    truncated = pem[: len(pem) // 2]
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"MAZE_GITHUB_PRIVATE_KEY": truncated}, cwd=cwd, home=home)

    message = str(caught.value)
    assert message.startswith("MAZE_GITHUB_PRIVATE_KEY: expected PEM text of a private key")
    assert truncated.splitlines()[1] not in message
    assert "got" not in message


def test_bare_base64_key_is_not_echoed_as_a_path(cwd: Path, home: Path) -> None:
    blob = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" * 4
    with pytest.raises(ConfigError) as caught:
        load_settings({"github_private_key": blob}, env={}, cwd=cwd, home=home)
    assert blob[:20] not in str(caught.value)


def test_bad_secret_values_are_never_echoed(cwd: Path, home: Path) -> None:
    local_file(cwd, "webhook_secret = 98765432123\n")

    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, cwd=cwd, home=home)

    assert "98765432123" not in str(caught.value)
    assert caught.value.key == "webhook_secret"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_explain_masks_secrets(cwd: Path, home: Path, pem: str) -> None:
    env = {"MAZE_WEBHOOK_SECRET": SECRET, "MAZE_GITHUB_PRIVATE_KEY": pem}

    rows = explain_settings(env=env, cwd=cwd, home=home)

    by_key = {key: (value, source) for key, value, source in rows}
    assert by_key["webhook_secret"] == ("********", "MAZE_WEBHOOK_SECRET")
    assert by_key["github_private_key"] == ("********", "MAZE_GITHUB_PRIVATE_KEY")
    flat = repr(rows)
    assert SECRET not in flat
    assert "PRIVATE KEY" not in flat


def test_settings_repr_hides_secrets(cwd: Path, home: Path) -> None:
    settings = load_settings(env={"MAZE_WEBHOOK_SECRET": SECRET}, cwd=cwd, home=home)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())


def test_settings_are_frozen_and_closed(cwd: Path, home: Path) -> None:
    settings = load_settings(env={}, cwd=cwd, home=home)
    with pytest.raises(ValidationError):
        settings.port = 1
    with pytest.raises(ValidationError):
        Settings(portt=1)  # type: ignore[call-arg]


def test_settings_validate_when_built_directly() -> None:
    assert Settings(log_level="debug", webhook_secret=SecretStr("s")).log_level == "DEBUG"
    with pytest.raises(ValidationError):
        Settings(github_private_key=SecretStr("/not/a/pem"))
    with pytest.raises(ValidationError):
        Settings(port=65536)


def test_files_are_read_on_each_call(cwd: Path, home: Path) -> None:
    assert load_settings(env={}, cwd=cwd, home=home).port == 8080
    local_file(cwd, "port = 9999\n")
    assert load_settings(env={}, cwd=cwd, home=home).port == 9999


def test_model_provider_without_what_it_needs_names_the_missing_key(cwd: Path, home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"MAZE_MODEL_PROVIDER": "openai"}, cwd=cwd, home=home)
    assert caught.value.key == "model_url"
    assert "MAZE_MODEL_PROVIDER" in str(caught.value) and "base URL" in str(caught.value)
    (cwd / "maze.toml").write_text('model_provider = "local"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(cwd=cwd, home=home, env={})
    assert caught.value.key == "model_path" and str(cwd / "maze.toml") in str(caught.value)


def test_model_settings_are_checked_and_the_key_is_masked(cwd: Path, home: Path) -> None:
    env = {
        "MAZE_MODEL_PROVIDER": "openai",
        "MAZE_MODEL_URL": "http://127.0.0.1:8000/v1",
        "MAZE_MODEL_FLAVOUR": "vllm",
        "MAZE_MODEL_API_KEY": "sk-secret",
    }
    settings = load_settings(env=env, cwd=cwd, home=home)
    assert (settings.model_flavour, settings.model_timeout_seconds) == ("vllm", 60.0)
    shown = {key: value for key, value, _ in explain_settings(env=env, cwd=cwd, home=home)}
    assert shown["model_api_key"] == "********"
    with pytest.raises(ConfigError) as caught:
        load_settings(env={**env, "MAZE_MODEL_FLAVOUR": "ollama"}, cwd=cwd, home=home)
    assert caught.value.key == "model_flavour" and "json-schema" in caught.value.expected
