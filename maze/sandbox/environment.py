"""The environment a sandboxed process starts with: a fixed base plus caller entries that pass an allowlist.

Nothing is inherited from the worker. A caller may add variables (a test runner's flags, `CI=true`), but
a name that looks like it carries a credential or Maze's own configuration is refused outright, so a
validator cannot forward the app's secrets into repository code by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_REFUSED_EXACT: Final = frozenset(
    {"DATABASE_URL", "REDIS_URL", "BROKER_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
)
_REFUSED_PREFIXES: Final = ("MAZE_", "GITHUB_APP_", "AWS_", "PG", "REDIS")
_REFUSED_SUFFIXES: Final = ("_KEY", "_KEYS", "_URL", "_DSN", "_AUTH")
_REFUSED_WORDS: Final = ("SECRET", "TOKEN", "PASSWORD", "PASSWD", "PRIVATE", "CREDENTIAL", "APIKEY", "COOKIE")

SANDBOX_HOME: Final = "/tmp/home"
SANDBOX_TMP: Final = "/tmp"
SANDBOX_USER: Final = "sandbox"


def refusal(name: str) -> str | None:
    """Why `name` may not be passed to repository code, or None when it may."""
    if not _NAME.match(name):
        return "is not a valid variable name"
    upper = name.upper()
    if upper in _REFUSED_EXACT or upper.startswith(_REFUSED_PREFIXES) or upper.endswith(_REFUSED_SUFFIXES):
        return "looks like a credential, a service URL or Maze's own configuration"
    if any(word in upper for word in _REFUSED_WORDS):
        return "looks like a credential"
    return None


def checked(env: Mapping[str, str]) -> dict[str, str]:
    """`env` unchanged when every entry may reach repository code; otherwise ValueError naming the first."""
    for name, value in env.items():
        reason = refusal(name)
        if reason is not None:
            raise ValueError(f"environment variable {name!r} {reason}; it is never passed to repository code")
        if "\0" in value:
            raise ValueError(f"environment variable {name!r} contains a NUL byte")
    return dict(env)


def base_environment(path: Sequence[str], home: str, tmp: str) -> dict[str, str]:
    """The variables every run starts with; `path` becomes PATH in this order."""
    return {
        "PATH": ":".join(path),
        "HOME": home,
        "TMPDIR": tmp,
        "USER": SANDBOX_USER,
        "LOGNAME": SANDBOX_USER,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1",
        "NO_COLOR": "1",
    }


def run_environment(extra: Mapping[str, str], path: Sequence[str], home: str, tmp: str) -> dict[str, str]:
    """The base environment with the caller's allowlisted entries on top (they may override PATH etc.)."""
    return base_environment(path, home, tmp) | checked(extra)
