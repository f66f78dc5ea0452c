"""A GitHub emulator, a real `maze worker` process on the machine's Redis and PostgreSQL, and the web app."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.emulator.keys import AppKeyPair
from bot.emulator.server import EmulatorServer
from bot.emulator.state import EmulatorState
from bot.webhooks.claims import RedisClaims
from maze.config import Settings, load_settings
from maze.store import schema
from tasks.celery_app import create_celery
from tasks.queue import CeleryEnqueuer
from tests.faults.fixtures import postgres_proxy, private_redis, process_groups

__all__ = ["postgres_proxy", "private_redis", "process_groups"]

APP_ID = 4242
SECRET = "e2e-webhook-secret"
WAIT_SECONDS = 240.0


@dataclass
class Workers:
    env: dict[str, str]
    log_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, concurrency: int = 1) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"worker-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker", "--concurrency", str(concurrency)],
            env=self.env,
            cwd=self.log_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def wait_for(self, condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            for process in self.processes:
                if process.poll() is not None and process.returncode not in (0, -9, -15):
                    pytest.fail(f"a worker exited with {process.returncode} while waiting for {what}")
            time.sleep(0.2)
        pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in sorted(self.log_dir.glob("worker-*.log")):
            sys.stderr.write(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}\n")


@pytest.fixture()
def emulator(app_key: AppKeyPair) -> Iterator[tuple[EmulatorState, str]]:
    state = EmulatorState(app_id=APP_ID, app_public_key_pem=app_key.public_pem)
    with EmulatorServer(state) as server:
        yield state, server.url
    assert state.contract_violations == []


@pytest.fixture()
def worker_env(
    emulator: tuple[EmulatorState, str],
    postgres_url: str,
    redis_url: str,
    redis_prefix: str,
    app_key: AppKeyPair,
    tmp_path: Path,
) -> Iterator[dict[str, str]]:
    """The environment of a worker process; the test database's tables are fresh for each test."""
    schema.upgrade(postgres_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAZE_")}
    env.update(
        HOME=str(tmp_path),
        MAZE_DATABASE_URL=postgres_url,
        MAZE_REDIS_URL=redis_url,
        MAZE_REDIS_PREFIX=redis_prefix,
        MAZE_GITHUB_APP_ID=str(APP_ID),
        MAZE_GITHUB_PRIVATE_KEY=app_key.private_pem,
        MAZE_GITHUB_API_URL=emulator[1],
        MAZE_WEBHOOK_SECRET=SECRET,
        MAZE_LOG_LEVEL="INFO",
        MAZE_PUSH_DEBOUNCE_SECONDS="0",
    )
    yield env
    schema.downgrade(postgres_url, "base")


@pytest.fixture()
def settings(worker_env: dict[str, str], tmp_path: Path) -> Settings:
    return load_settings(env=worker_env, cwd=tmp_path, home=tmp_path)


@pytest.fixture()
def workers(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(worker_env, tmp_path)
    yield pool
    pool.stop()


async def bot_client(
    aiohttp_client: Callable[[web.Application], Any], settings: Settings
) -> TestClient[Any, Any]:
    assert settings.redis_url is not None
    app = create_app(
        webhook_secret=SECRET,
        claims=RedisClaims(settings.redis_url, settings.redis_prefix),
        enqueuer=CeleryEnqueuer(create_celery(settings)),
        app_id=settings.github_app_id,
    )
    client: TestClient[Any, Any] = await aiohttp_client(app)
    return client


LIGHT_CHECKS = {".github/maze.toml": '[checks]\ntypes = "off"\ntests = false\n'}
"""Repository config for the durability and fault suites: they prove the pipeline survives crashes and
faults across many runs, so each run validates with syntax, ruff and ruff's S rules in the sandbox only;
type checking and tests on the patched tree are covered by the edge tests and `test_celery_review`."""
