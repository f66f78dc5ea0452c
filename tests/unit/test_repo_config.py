"""Per-repository `.github/maze.toml`: defaults, ignore patterns, checks, errors."""

from __future__ import annotations

import pathspec
import pytest
from pydantic import ValidationError

from maze.repo_config import (
    REPO_CONFIG_PATH,
    ChecksConfig,
    RepoConfig,
    RepoConfigError,
    parse_repo_config,
)

SOURCE = "octo/repo:.github/maze.toml@main"


def test_path_constant() -> None:
    assert REPO_CONFIG_PATH == ".github/maze.toml"


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing configured yet\n"])
def test_empty_text_gives_defaults(text: str) -> None:
    config = parse_repo_config(text)

    assert config == RepoConfig()
    assert config.ignore == ()
    assert config.checks == ChecksConfig(ruff=True, syntax=True)
    assert config.max_suggestions == 10
    assert config.allows("ruff") and config.allows("syntax")
    assert not config.is_ignored("src/app.py")


def test_full_file() -> None:
    config = parse_repo_config(
        'ignore = ["vendor/"]\nmax_suggestions = 3\n\n[checks]\nruff = false\n', source=SOURCE
    )

    assert config.ignore == ("vendor/",)
    assert config.max_suggestions == 3
    assert not config.allows("ruff")
    assert config.allows("syntax")


def test_dotted_table_keys() -> None:
    assert parse_repo_config("checks.syntax = false\n").checks == ChecksConfig(ruff=True, syntax=False)


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("vendor/lib.py", True),
        ("src/vendor/lib.py", True),
        ("vendor", False),
        ("vendored.py", False),
        ("static/app.min.js", True),
        ("app.min.js", True),
        ("static/app.js", False),
        ("docs/conf.py", True),
        ("docs/api/deep/gen.py", True),
        ("docs/index.md", False),
        ("src/docs/x.py", False),
        ("generated/models.py", True),
        ("generated/keep.py", False),
        ("keep.py", False),
        ("./vendor/x.py", True),
        ("/app.min.js", True),
    ],
)
def test_ignore_patterns_follow_gitignore(path: str, ignored: bool) -> None:
    config = parse_repo_config(
        'ignore = ["vendor/", "*.min.js", "docs/**/*.py", "generated/", "!generated/keep.py"]\n'
    )
    assert config.is_ignored(path) is ignored


def test_negation_re_includes_a_file() -> None:
    config = parse_repo_config('ignore = ["*.py", "!keep.py"]\n')

    assert config.is_ignored("a.py")
    assert config.is_ignored("pkg/b.py")
    assert not config.is_ignored("keep.py")
    assert not config.is_ignored("pkg/keep.py")
    assert not config.is_ignored("README.md")


def test_later_pattern_wins() -> None:
    config = parse_repo_config('ignore = ["!keep.py", "*.py"]\n')
    assert config.is_ignored("keep.py")


def test_ignore_spec_is_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_repo_config('ignore = ["*.lock"]\n')

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(pathspec.GitIgnoreSpec, "from_lines", fail)
    assert config.is_ignored("poetry.lock")
    assert not config.is_ignored("poetry.toml")


def test_allows_rejects_unknown_check() -> None:
    with pytest.raises(ValueError, match="unknown check 'mypy'"):
        RepoConfig().allows("mypy")
    with pytest.raises(ValueError, match=r"unknown check 'max_tests'; known checks: .*types"):
        RepoConfig().allows("max_tests")


def test_validator_keys_default() -> None:
    checks = RepoConfig().checks

    assert (checks.types, checks.tests, checks.max_tests, checks.security) == ("auto", True, 30, True)
    assert RepoConfig().allows("types") and RepoConfig().allows("tests") and RepoConfig().allows("security")


def test_validator_keys_parse() -> None:
    config = parse_repo_config(
        '[checks]\ntypes = "pyright"\ntests = false\nmax_tests = 12\nsecurity = false\n', source=SOURCE
    )

    assert config.checks.types == "pyright"
    assert config.checks.max_tests == 12
    assert config.allows("types")
    assert not config.allows("tests")
    assert not config.allows("security")
    assert config.allows("ruff")


@pytest.mark.parametrize("choice", ["auto", "mypy", "pyright"])
def test_types_choices_enable_type_checking(choice: str) -> None:
    config = parse_repo_config(f'checks.types = "{choice}"\n')
    assert config.checks.types == choice
    assert config.allows("types")


def test_types_off_disables_type_checking() -> None:
    assert not parse_repo_config('checks.types = "off"\n').allows("types")


def test_unknown_validator_key_suggests_closest() -> None:
    with pytest.raises(RepoConfigError) as caught:
        parse_repo_config("[checks]\nmax_test = 3\n", source=SOURCE)

    assert caught.value.key == "checks.max_test"
    assert "did you mean 'checks.max_tests'?" in str(caught.value)


def test_models_are_frozen() -> None:
    config = RepoConfig()
    with pytest.raises(ValidationError):
        config.max_suggestions = 5
    with pytest.raises(ValidationError):
        config.checks.ruff = False


@pytest.mark.parametrize(
    ("text", "key", "expected", "got"),
    [
        ('checks.ruff = "yes"\n', "checks.ruff", "true or false", "'yes'"),
        ("checks.syntax = 1\n", "checks.syntax", "true or false", "1"),
        (
            "checks = true\n",
            "checks",
            "a table of check switches: ruff, syntax, types, tests, max_tests, security",
            "True",
        ),
        ('checks.types = "pyre"\n', "checks.types", 'one of "auto", "mypy", "pyright", "off"', "'pyre'"),
        ("checks.types = false\n", "checks.types", 'one of "auto", "mypy", "pyright", "off"', "False"),
        ('checks.tests = "no"\n', "checks.tests", "true or false", "'no'"),
        ("checks.security = 0\n", "checks.security", "true or false", "0"),
        ("checks.max_tests = 0\n", "checks.max_tests", "an integer between 1 and 500", "0"),
        ("checks.max_tests = 501\n", "checks.max_tests", "an integer between 1 and 500", "501"),
        ("checks.max_tests = true\n", "checks.max_tests", "an integer between 1 and 500", "True"),
        ('checks.max_tests = "5"\n', "checks.max_tests", "an integer between 1 and 500", "'5'"),
        ("max_suggestions = 0\n", "max_suggestions", "an integer between 1 and 100", "0"),
        ("max_suggestions = 101\n", "max_suggestions", "an integer between 1 and 100", "101"),
        ('max_suggestions = "5"\n', "max_suggestions", "an integer between 1 and 100", "'5'"),
        ("max_suggestions = 2.0\n", "max_suggestions", "an integer between 1 and 100", "2.0"),
        ("max_suggestions = true\n", "max_suggestions", "an integer between 1 and 100", "True"),
        ('ignore = "vendor/"\n', "ignore", "a list of gitignore-style path patterns", "'vendor/'"),
        ('ignore = ["ok/", 3]\n', "ignore[1]", "a gitignore-style path pattern (a string)", "3"),
        ('ignore = ["\\\\"]\n', "ignore[0]", "a gitignore-style path pattern (a string)", "'\\\\'"),
    ],
)
def test_bad_values_name_key_source_and_expectation(text: str, key: str, expected: str, got: str) -> None:
    with pytest.raises(RepoConfigError) as caught:
        parse_repo_config(text, source=SOURCE)

    error = caught.value
    assert str(error) == f"{SOURCE}: key '{key}': expected {expected}, got {got}"
    assert (error.key, error.source, error.expected) == (key, SOURCE, expected)


def test_unknown_top_level_key_suggests_closest() -> None:
    with pytest.raises(RepoConfigError) as caught:
        parse_repo_config('ignores = ["x"]\n', source=SOURCE)

    message = str(caught.value)
    assert message.startswith(f"{SOURCE}: unknown key 'ignores'; did you mean 'ignore'?")
    assert "ignore, checks, max_suggestions" in message
    assert caught.value.key == "ignores"


def test_unknown_nested_key_uses_dotted_name() -> None:
    with pytest.raises(RepoConfigError) as caught:
        parse_repo_config("[checks]\nrufff = false\n", source=SOURCE)

    assert caught.value.key == "checks.rufff"
    assert "did you mean 'checks.ruff'?" in str(caught.value)
    assert "checks.syntax" in str(caught.value)


def test_default_source_is_the_path() -> None:
    with pytest.raises(RepoConfigError) as caught:
        parse_repo_config("max_suggestions = -1\n")
    assert caught.value.source == REPO_CONFIG_PATH
    assert str(caught.value).startswith(".github/maze.toml: key 'max_suggestions'")


def test_toml_syntax_error_names_source_and_line() -> None:
    with pytest.raises(RepoConfigError) as caught:
        parse_repo_config("max_suggestions = 5\nignore = [\n", source=SOURCE)

    assert str(caught.value).startswith(f"{SOURCE}: ")
    assert "invalid TOML" in str(caught.value)
    assert caught.value.expected == "valid TOML"

    with pytest.raises(RepoConfigError, match=rf"^{SOURCE}: line 2, column \d+: invalid TOML"):
        parse_repo_config("max_suggestions = 5\nchecks = {ruff = }\n", source=SOURCE)
