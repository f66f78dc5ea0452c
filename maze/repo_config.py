"""Per-repository configuration: `.github/maze.toml` on the default branch.

The caller fetches the file; this module only parses its text. Example::

    ignore = ["vendor/", "*.min.js", "!vendor/ours.py"]
    max_suggestions = 5

    [checks]
    ruff = false
    types = "pyright"    # auto (default: pyright when the repository configures it, else mypy), mypy, off
    tests = true
    max_tests = 20
    security = true
"""

from __future__ import annotations

import re
import tomllib
from typing import Annotated, Any, Final, Literal

import pathspec
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, Strict, ValidationError
from pydantic_core import ErrorDetails

from maze.config import ConfigError, unknown_key

__all__ = [
    "REPO_CONFIG_PATH",
    "ChecksConfig",
    "RepoConfig",
    "RepoConfigError",
    "parse_repo_config",
]

REPO_CONFIG_PATH: Final = ".github/maze.toml"

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_MAX_SHOWN_CHARS: Final = 200


class RepoConfigError(ConfigError):
    """A repository configuration Maze cannot use; `str()` is a complete, user-facing message."""


def _gitignore_pattern(pattern: str) -> str:
    pathspec.GitIgnoreSpec.from_lines([pattern])
    return pattern


class ChecksConfig(BaseModel):
    """Which built-in checks run on this repository's pull requests."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    ruff: bool = True
    syntax: bool = True
    types: Literal["auto", "mypy", "pyright", "off"] = "auto"
    tests: bool = True
    max_tests: Annotated[int, Field(ge=1, le=500)] = 30
    security: bool = True


class RepoConfig(BaseModel):
    """The parsed `.github/maze.toml`; every field has a default, so an absent file is valid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ignore: tuple[Annotated[str, Strict(), AfterValidator(_gitignore_pattern)], ...] = ()
    checks: ChecksConfig = ChecksConfig()
    max_suggestions: Annotated[int, Strict(), Field(ge=1, le=100)] = 10

    _ignore_spec: pathspec.GitIgnoreSpec = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._ignore_spec = pathspec.GitIgnoreSpec.from_lines(self.ignore)

    def is_ignored(self, path: str) -> bool:
        """True when `path` (repository-relative, "/"-separated) matches the `ignore` patterns."""
        return self._ignore_spec.match_file(path.removeprefix("./").lstrip("/"))

    def allows(self, check: str) -> bool:
        """True when the named check (a switch of `ChecksConfig`; `types` unless "off") is enabled."""
        if check == "types":
            return self.checks.types != "off"
        switches = [name for name, info in ChecksConfig.model_fields.items() if info.annotation is bool]
        if check not in switches:
            known = ", ".join([*switches, "types"])
            raise ValueError(f"unknown check {check!r}; known checks: {known}")
        enabled: bool = getattr(self.checks, check)
        return enabled


_EXPECTED: Final[dict[str, str]] = {
    "ignore": "a list of gitignore-style path patterns",
    "ignore[]": "a gitignore-style path pattern (a string)",
    "checks": "a table of check switches: " + ", ".join(ChecksConfig.model_fields),
    "checks.ruff": "true or false",
    "checks.syntax": "true or false",
    "checks.types": 'one of "auto", "mypy", "pyright", "off"',
    "checks.tests": "true or false",
    "checks.max_tests": "an integer between 1 and 500",
    "checks.security": "true or false",
    "max_suggestions": "an integer between 1 and 100",
}


def _dotted(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else part)
    return key


def _valid_keys(parent: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = ChecksConfig if parent == ("checks",) else RepoConfig
    return list(model.model_fields)


def _shown(value: object) -> str:
    text = repr(value)
    return text[:_MAX_SHOWN_CHARS] + "..." if len(text) > _MAX_SHOWN_CHARS else text


def _error_from(detail: ErrorDetails, source: str) -> RepoConfigError:
    loc = tuple(detail["loc"])
    key = _dotted(loc)
    if detail["type"] == "extra_forbidden":
        valid = _valid_keys(loc[:-1])
        prefix = _dotted(loc[:-1])
        qualified = [f"{prefix}.{name}" if prefix else name for name in valid]
        return unknown_key(key, qualified, source, RepoConfigError)
    generic = re.sub(r"\[\d+\]$", "[]", key)
    expected = _EXPECTED.get(key) or _EXPECTED.get(generic) or detail["msg"]
    return RepoConfigError(
        f"{source}: key '{key}': expected {expected}, got {_shown(detail['input'])}",
        key=key,
        source=source,
        expected=expected,
    )


def parse_repo_config(text: str, *, source: str = REPO_CONFIG_PATH) -> RepoConfig:
    """The configuration in `text`; empty text gives the defaults.

    `source` names the file in error messages, e.g. "octo/repo:.github/maze.toml@main".
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.search(str(exc))
        where = f"line {match.group(1)}, column {match.group(2)}: " if match else ""
        reason = _TOML_POSITION.sub("", str(exc))
        raise RepoConfigError(
            f"{source}: {where}invalid TOML: {reason}", key="", source=source, expected="valid TOML"
        ) from None
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as exc:
        raise _error_from(exc.errors()[0], source) from None
