"""`maze doctor`: what this installation of Maze can and cannot do, checked rather than assumed."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from maze.config import Settings
from maze.generation.engines import registry

Status = Literal["ok", "warning", "problem"]


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def _database(settings: Settings) -> Check:
    from sqlalchemy import text

    from maze.store import schema
    from maze.store.db import engine_for

    try:
        with engine_for(settings.database_url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means the same to the operator
        return Check("database", "problem", f"cannot connect: {type(error).__name__}: {error}")
    if not schema.is_current(settings.database_url):
        return Check("database", "problem", "not at the newest migration: run `maze db upgrade`")
    return Check("database", "ok", "reachable, schema current")


def _broker(settings: Settings) -> Check:
    if settings.redis_url is None:
        return Check("queue", "ok", "embedded in-process queue (no MAZE_REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return Check("queue", "problem", f"Redis unreachable: {error}")
    return Check("queue", "ok", "Redis reachable")


def _github(settings: Settings) -> Check:
    if settings.github_app_id is None or settings.github_private_key is None:
        return Check("github app", "warning", "no app id or private key: only `maze demo` can run")
    return Check("github app", "ok", f"app {settings.github_app_id} at {settings.github_api_url}")


def _sandbox(settings: Settings) -> Check:
    from maze.sandbox.factory import bubblewrap_status

    status = bubblewrap_status()
    if settings.sandbox == "none":
        return Check(
            "sandbox",
            "warning",
            "sandbox = none: repository code (tests, type-checker plugins) runs WITHOUT isolation",
        )
    if status.available:
        return Check("sandbox", "ok", f"bubblewrap {status.version}: repository code runs isolated")
    return Check(
        "sandbox",
        "problem",
        f"bubblewrap unusable ({status.problem}): repository code (tests) will not run; install the Debian "
        'package `bubblewrap`, or set sandbox = "none" to accept the risk',
    )


def _python_tool(name: str) -> Check:
    try:
        return Check(name, "ok", importlib.metadata.version(name))
    except importlib.metadata.PackageNotFoundError:
        return Check(name, "problem", f"{name} is not installed")


def _node() -> Check:
    node = shutil.which("node")
    if node is None:
        return Check("node", "warning", "node not found: TypeScript and pyright checks are skipped")
    return Check("node", "ok", node)


def _model(settings: Settings) -> Check:
    if settings.model_provider == "none":
        return Check("model", "ok", "none configured: tool and symbolic repairs only")
    if settings.model_provider == "local":
        return _local_model(settings)
    return _model_server(settings)


def _local_model(settings: Settings) -> Check:
    path = settings.model_path
    if path is None or not path.exists():
        return Check("model", "problem", f"model_path {path} does not exist")
    missing = [name for name in ("torch", "transformers") if importlib.util.find_spec(name) is None]
    if missing:
        needed = ", ".join(missing)
        return Check("model", "problem", f"{needed} not installed: pip install 'maze-review[models]'")
    engines = registry.available()
    wanted = settings.model_engine
    if not engines or (wanted != "auto" and wanted not in engines):
        return Check("model", "problem", f"engine {wanted} not installed (installed: {engines or 'none'})")
    engine = engines[0] if wanted == "auto" else wanted
    return Check("model", "ok", f"local model {path}, engine {engine}")


def _model_server(settings: Settings) -> Check:
    url = f"{str(settings.model_url).rstrip('/')}/models"
    request = urllib.request.Request(url)
    if settings.model_api_key is not None:
        request.add_header("Authorization", f"Bearer {settings.model_api_key.get_secret_value()}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        return Check("model", "problem", f"{url} answered HTTP {error.code}")
    except (urllib.error.URLError, OSError) as error:
        return Check("model", "problem", f"{url} unreachable: {error}")
    return Check("model", "ok", f"{settings.model_flavour} server at {settings.model_url} (HTTP {status})")


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    _database,
    _broker,
    _github,
    _sandbox,
    _model,
    lambda _: _python_tool("ruff"),
    lambda _: _python_tool("mypy"),
    lambda _: _node(),
)


def diagnose(settings: Settings) -> list[Check]:
    """Every check, in a stable order; none of them raises."""
    return [check(settings) for check in CHECKS]
