"""Operator settings for a Maze deployment, layered from several sources.

Precedence, later wins: built-in defaults < ``~/.config/maze/config.toml`` < ``./maze.toml``
< ``MAZE_*`` environment variables < command-line flags. Every value is validated where it is
read, so a `ConfigError` names the exact file, variable or "command line" that supplied it.
Secret values are never echoed back, neither in errors nor in `explain_settings`.

In TOML files an empty string clears an optional value; an empty ``MAZE_*`` variable for an
optional value counts as not set at all. A relative ``github_private_key`` path is resolved
against the directory of the TOML file naming it, or the working directory for the environment
and command line; ``~`` means the home directory.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
)

__all__ = [
    "ConfigError",
    "ConfigWarning",
    "Settings",
    "explain_settings",
    "home_config_path",
    "load_settings",
    "local_config_path",
]

ENV_PREFIX: Final = "MAZE_"
CLI_SOURCE: Final = "command line"
DEFAULT_SOURCE: Final = "default"
MASK: Final = "********"
UNSET: Final = "(unset)"

_LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")
_REDIS_SCHEMES: Final = ("redis", "rediss", "unix")
_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.+?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----", re.DOTALL
)
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{64,}")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_ENV_TYPO_RATIO: Final = 0.85
_MAX_SHOWN_CHARS: Final = 200


class ConfigError(ValueError):
    """A setting that cannot be used; `str()` is a complete, user-facing message."""

    def __init__(self, message: str, *, key: str, source: str, expected: str) -> None:
        super().__init__(message)
        self.key = key
        self.source = source
        self.expected = expected


_E = TypeVar("_E", bound=ConfigError)


class ConfigWarning(UserWarning):
    """Something in the configuration looks like a mistake but does not stop Maze."""


def _reject_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _database_url(value: str) -> str:
    if not _URL_SCHEME.match(value):
        raise ValueError("not a URL")
    return value


def _redis_url(value: str) -> str:
    if urlsplit(value).scheme not in _REDIS_SCHEMES or not _URL_SCHEME.match(value):
        raise ValueError("not a Redis URL")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("not an http(s) URL")
    return value.rstrip("/")


def _app_slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError("not an app slug")
    return value


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in _LOG_LEVELS:
        raise ValueError("unknown log level")
    return level


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


def _pem_private_key(value: SecretStr) -> SecretStr:
    if not _PEM_PRIVATE_KEY.search(value.get_secret_value()):
        raise ValueError("not a PEM private key")
    return value


def _non_empty_secret(value: SecretStr) -> SecretStr:
    if not value.get_secret_value():
        raise ValueError("must not be empty")
    return value


def _default_work_dir(cwd: Path) -> Path:
    return (cwd / ".maze" / "work").absolute()


def _default_database_url(cwd: Path) -> str:
    return "sqlite:///" + str((cwd / ".maze" / "maze.db").absolute())


class Settings(BaseModel):
    """Everything an operator can configure; built by `load_settings`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: Annotated[str, AfterValidator(_not_blank), AfterValidator(_database_url)] = Field(
        default_factory=lambda: _default_database_url(Path.cwd())
    )
    redis_url: Annotated[str, AfterValidator(_redis_url)] | None = None
    redis_prefix: Annotated[str, AfterValidator(_not_blank)] = "maze:"
    webhook_secret: Annotated[SecretStr, AfterValidator(_non_empty_secret)] | None = None
    github_app_id: Annotated[int, BeforeValidator(_reject_bool), Field(gt=0)] | None = None
    github_private_key: Annotated[SecretStr, AfterValidator(_pem_private_key)] | None = None
    github_api_url: Annotated[str, AfterValidator(_http_url)] = "https://api.github.com"
    github_app_slug: Annotated[str, AfterValidator(_app_slug)] | None = None
    host: Annotated[str, AfterValidator(_not_blank)] = "127.0.0.1"
    port: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0, le=65535)] = 8080
    log_level: Annotated[str, AfterValidator(_log_level)] = "INFO"
    review_timeout_seconds: Annotated[
        float, BeforeValidator(_reject_bool), Field(gt=0), AfterValidator(_finite)
    ] = 600.0
    push_debounce_seconds: Annotated[
        float, BeforeValidator(_reject_bool), Field(ge=0), AfterValidator(_finite)
    ] = 5.0
    max_runs_per_installation: Annotated[int, BeforeValidator(_reject_bool), Field(ge=1)] = 4
    stage_retries: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0)] = 6
    worker_max_tasks_per_child: Annotated[int, BeforeValidator(_reject_bool), Field(ge=1)] = 200
    sandbox: Literal["bubblewrap", "none"] = "bubblewrap"
    work_dir: Path = Field(default_factory=lambda: _default_work_dir(Path.cwd()))
    model_provider: Literal["none", "local", "openai"] = "none"
    model_path: Path | None = None
    model_url: Annotated[str, AfterValidator(_http_url)] | None = None
    model_name: Annotated[str, AfterValidator(_not_blank)] | None = None
    model_flavour: Literal["llama-cpp", "vllm", "sglang", "openai", "json-schema"] = "llama-cpp"
    model_engine: Literal["auto", "llguidance", "transformers-cfg"] = "auto"
    model_api_key: Annotated[SecretStr, AfterValidator(_non_empty_secret)] | None = None
    model_timeout_seconds: Annotated[
        float, BeforeValidator(_reject_bool), Field(gt=0), AfterValidator(_finite)
    ] = 60.0
    model_retries: Annotated[int, BeforeValidator(_reject_bool), Field(ge=0)] = 2
    model_concurrency: Annotated[int, BeforeValidator(_reject_bool), Field(ge=1)] = 2
    model_max_tokens: Annotated[int, BeforeValidator(_reject_bool), Field(ge=1, le=4096)] = 256
    model_rounds: Annotated[int, BeforeValidator(_reject_bool), Field(ge=1, le=10)] = 3
    commands_per_pr_per_hour: Annotated[int, BeforeValidator(_reject_bool), Field(ge=1)] = 10

    @property
    def embedded_queue(self) -> bool:
        """True when no Redis is configured and jobs run on the in-process queue."""
        return self.redis_url is None


_EXPECTED: Final[Mapping[str, str]] = {
    "database_url": "a database URL such as 'postgresql+psycopg://user@host/maze' or 'sqlite:////path/maze.db'",
    "redis_url": "a Redis URL starting with redis://, rediss:// or unix://",
    "redis_prefix": "a non-empty string",
    "webhook_secret": "a non-empty string",
    "github_app_id": "a positive integer",
    "github_private_key": (
        "PEM text of a private key ('-----BEGIN ... PRIVATE KEY-----' ... '-----END ... PRIVATE KEY-----')"
        " or the path of a file holding one"
    ),
    "github_api_url": "an http:// or https:// URL",
    "github_app_slug": "the app's URL name, whose bot user is '<slug>[bot]': lower-case letters, digits, '-'",
    "host": "a non-empty host name or IP address",
    "port": "an integer between 0 and 65535",
    "log_level": "one of DEBUG, INFO, WARNING, ERROR (any case)",
    "review_timeout_seconds": "a number of seconds greater than 0",
    "push_debounce_seconds": "a number of seconds, 0 or more",
    "max_runs_per_installation": "a whole number, 1 or more",
    "stage_retries": "a whole number, 0 or more",
    "worker_max_tasks_per_child": "a whole number, 1 or more",
    "work_dir": "a directory for downloaded trees and tools' state",
    "sandbox": "'bubblewrap' (repository code runs only inside it) or 'none' (runs it unisolated: a risk)",
    "model_provider": "'none' (tool and symbolic repairs only), 'local' (a model on this machine) or 'openai'"
    " (any OpenAI-compatible server)",
    "model_path": "a directory holding a transformers model, or a .gguf file",
    "model_url": "the http:// or https:// base URL of an OpenAI-compatible server, such as http://host:8000/v1",
    "model_name": "the model's name on the server",
    "model_flavour": "how the server takes a grammar: 'llama-cpp', 'vllm', 'sglang', 'openai' (custom tool"
    " with a Lark grammar) or 'json-schema' (only a JSON schema, as Ollama)",
    "model_engine": "'auto' (the fastest installed), 'llguidance' or 'transformers-cfg'",
    "model_api_key": "a non-empty string",
    "model_timeout_seconds": "a number of seconds greater than 0",
    "model_retries": "a whole number, 0 or more",
    "model_concurrency": "a whole number, 1 or more",
    "model_max_tokens": "a whole number between 1 and 4096",
    "model_rounds": "a whole number between 1 and 10",
    "commands_per_pr_per_hour": "a whole number, 1 or more",
}
_SECRETS: Final = frozenset({"webhook_secret", "github_private_key", "model_api_key"})
# A provider and the setting it cannot work without.
_PROVIDER_NEEDS: Final[Mapping[str, str]] = {"local": "model_path", "openai": "model_url"}


def home_config_path(home: Path) -> Path:
    """The per-user settings file under `home`."""
    return home / ".config" / "maze" / "config.toml"


def local_config_path(cwd: Path) -> Path:
    """The settings file in the working directory `cwd`."""
    return cwd / "maze.toml"


def _field_names() -> tuple[str, ...]:
    return tuple(Settings.model_fields)


def _is_optional(key: str) -> bool:
    return Settings.model_fields[key].default is None


@cache
def _adapter(key: str) -> TypeAdapter[Any]:
    info = Settings.model_fields[key]
    if not info.metadata:
        return TypeAdapter(info.annotation)
    return TypeAdapter(Annotated[info.annotation, *info.metadata])


@dataclass(frozen=True)
class _Origin:
    """Where a raw value came from: `source` for messages, `base_dir` for relative key paths."""

    source: str
    base_dir: Path
    home: Path
    is_env: bool = False

    def error(self, key: str, problem: str, expected: str) -> ConfigError:
        where = self.source if self.is_env else f"{self.source}: key '{key}'"
        return ConfigError(f"{where}: {problem}", key=key, source=self.source, expected=expected)


def _shown(value: object) -> str:
    text = repr(value)
    if len(text) > _MAX_SHOWN_CHARS:
        text = text[:_MAX_SHOWN_CHARS] + "..."
    return text


def _looks_like_path(value: str) -> bool:
    return "\n" not in value and "\r" not in value and len(value) <= 1024 and not _BASE64_RUN.search(value)


def _resolve_private_key(value: str, origin: _Origin) -> str:
    """PEM text stays as is; anything else is a path whose file must hold PEM text."""
    if "-----BEGIN" in value:
        # Environment variables often carry the PEM with literal "\n" escapes.
        if "\n" not in value and "\\n" in value:
            value = value.replace("\\n", "\n")
        return value
    key = "github_private_key"
    expected = _EXPECTED[key]
    if not _looks_like_path(value):
        raise origin.error(key, f"expected {expected}", expected)
    path = Path(value)
    if value == "~" or value.startswith("~/"):
        path = origin.home / value[2:]
    elif not path.is_absolute():
        path = origin.base_dir / path
    if not path.is_file():
        raise origin.error(key, f"private key file not found: {path}", expected)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"cannot read private key file {path}: {type(exc).__name__}"
        raise origin.error(key, problem, expected) from None
    if not _PEM_PRIVATE_KEY.search(text):
        raise origin.error(key, f"file {path} does not hold a PEM private key", expected)
    return text


def _validate(key: str, raw: object, origin: _Origin) -> object:
    """The typed value of `key`, or a ConfigError naming `origin` (and the value, unless secret)."""
    if raw == "" and _is_optional(key):
        return None
    value = raw
    if key == "github_private_key" and isinstance(value, str):
        value = _resolve_private_key(value, origin)
    if key == "model_path" and isinstance(value, str) and not Path(value).expanduser().is_absolute():
        value = origin.base_dir / value
    try:
        return _adapter(key).validate_python(value)
    except ValidationError:
        expected = _EXPECTED[key]
        got = "" if key in _SECRETS else f", got {_shown(raw)}"
        raise origin.error(key, f"expected {expected}{got}", expected) from None


def _read_toml(path: Path) -> dict[str, Any] | None:
    """The table in `path`, or None when there is no such file."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(
            f"{source}: cannot read settings file: {exc.strerror or type(exc).__name__}",
            key="",
            source=source,
            expected="a readable TOML file",
        ) from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(
            f"{source}: not UTF-8 text", key="", source=source, expected="a UTF-8 TOML file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.search(str(exc))
        where = f"line {match.group(1)}, column {match.group(2)}: " if match else ""
        reason = _TOML_POSITION.sub("", str(exc))
        raise ConfigError(
            f"{source}: {where}invalid TOML: {reason}", key="", source=source, expected="valid TOML"
        ) from None


def unknown_key(key: str, valid: Sequence[str], source: str, error_type: type[_E]) -> _E:
    """The error for a key that is not among `valid`, suggesting the closest one."""
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return error_type(
        f"{source}: unknown key '{key}'{hint} Valid keys: {', '.join(valid)}",
        key=key,
        source=source,
        expected="one of " + ", ".join(valid),
    )


def _file_layer(path: Path, home: Path) -> list[tuple[str, object, str]]:
    table = _read_toml(path)
    if table is None:
        return []
    origin = _Origin(source=str(path), base_dir=path.parent, home=home)
    applied: list[tuple[str, object, str]] = []
    for key, raw in table.items():
        if key not in Settings.model_fields:
            raise unknown_key(key, _field_names(), origin.source, ConfigError)
        applied.append((key, _validate(key, raw, origin), origin.source))
    return applied


def _env_layer(env: Mapping[str, str], cwd: Path, home: Path) -> list[tuple[str, object, str]]:
    wanted = {ENV_PREFIX + key.upper(): key for key in _field_names()}
    applied: list[tuple[str, object, str]] = []
    for name, key in wanted.items():
        raw = env.get(name)
        if raw is None or (raw == "" and _is_optional(key)):
            continue
        origin = _Origin(source=name, base_dir=cwd, home=home, is_env=True)
        applied.append((key, _validate(key, raw, origin), name))
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and name not in wanted:
            close = difflib.get_close_matches(name, wanted, n=1, cutoff=_ENV_TYPO_RATIO)
            if close and difflib.SequenceMatcher(None, name, close[0]).ratio() > _ENV_TYPO_RATIO:
                warnings.warn(
                    f"ignoring environment variable {name}: did you mean {close[0]}?",
                    ConfigWarning,
                    stacklevel=4,
                )
    return applied


def _cli_layer(cli: Mapping[str, object], cwd: Path, home: Path) -> list[tuple[str, object, str]]:
    origin = _Origin(source=CLI_SOURCE, base_dir=cwd, home=home)
    applied: list[tuple[str, object, str]] = []
    for key, raw in cli.items():
        if raw is None:
            continue
        if key not in Settings.model_fields:
            raise unknown_key(key, _field_names(), CLI_SOURCE, ConfigError)
        applied.append((key, _validate(key, raw, origin), CLI_SOURCE))
    return applied


def _resolve(
    cli: Mapping[str, object] | None,
    env: Mapping[str, str] | None,
    cwd: Path | None,
    home: Path | None,
) -> dict[str, tuple[object, str]]:
    """Each key's final value and the source that supplied it."""
    cwd = Path.cwd() if cwd is None else cwd
    home = Path.home() if home is None else home
    env = os.environ if env is None else env

    final: dict[str, tuple[object, str]] = {}
    for key, info in Settings.model_fields.items():
        default: object = info.default
        if key == "database_url":
            default = _default_database_url(cwd)
        elif key == "work_dir":
            default = _default_work_dir(cwd)
        final[key] = (default, DEFAULT_SOURCE)
    layers = [
        _file_layer(home_config_path(home), home),
        _file_layer(local_config_path(cwd), home),
        _env_layer(env, cwd, home),
        _cli_layer(cli or {}, cwd, home),
    ]
    for layer in layers:
        for key, value, source in layer:
            final[key] = (value, source)
    return final


def load_settings(
    cli: Mapping[str, object] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> Settings:
    """Settings from all layers; `env`, `cwd` and `home` default to the real process's."""
    final = _resolve(cli, env, cwd, home)
    _check_provider(final)
    return Settings.model_validate({key: value for key, (value, _) in final.items()})


def _check_provider(final: Mapping[str, tuple[object, str]]) -> None:
    provider, source = final["model_provider"]
    needed = _PROVIDER_NEEDS.get(str(provider))
    if needed is None or final[needed][0] is not None:
        return
    raise ConfigError(
        f"{source}: model_provider is '{provider}' but '{needed}' is not set: expected {_EXPECTED[needed]}",
        key=needed,
        source=source,
        expected=_EXPECTED[needed],
    )


def _display(key: str, value: object) -> str:
    if value is None:
        return UNSET
    if key in _SECRETS:
        return MASK
    return str(value)


def explain_settings(
    cli: Mapping[str, object] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> list[tuple[str, str, str]]:
    """(key, displayed value, source) for every setting, in declaration order.

    Secrets show as "********" and unset values as "(unset)"; the source is "default", a file
    path, a ``MAZE_*`` variable name, or "command line".
    """
    final = _resolve(cli, env, cwd, home)
    return [(key, _display(key, value), source) for key, (value, source) in final.items()]
