"""What a worker process keeps between tasks: its settings, one event loop, one GitHub connection, the model.

Celery runs tasks in plain threads of forked processes; aiohttp wants one session per event loop. So each
process gets one long-lived event loop on a daemon thread (started on first use, after any fork), and
every task submits its coroutine to it. The HTTP session, token store and write pacer live on that loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import aiohttp
import redis.asyncio as aioredis

from bot.github.api import RetryPolicy
from bot.github.auth import AppAuth
from bot.github.connection import GitHubConnection
from bot.github.pacing import MemoryPacer, RedisPacer, WritePacer
from bot.github.tokens import MemoryTokenStore, RedisTokenStore, TokenStore
from maze.config import Settings
from maze.generation.providers.base import Provider
from tasks.fairness import MemoryLeases, RedisLeases, RunLeases
from tasks.model_providers import provider_from

T = TypeVar("T")
MAX_CONNECTIONS = 32


class ProcessRuntime:
    def __init__(self, settings: Settings, policy: RetryPolicy | None = None) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._connection: GitHubConnection | None = None
        self._redis: aioredis.Redis | None = None
        self._leases: RunLeases | None = None
        self._local_locks: dict[str, asyncio.Lock] = {}
        self._model: list[Provider | None] = []  # built on first use: one entry once built

    def forget_loop_state(self) -> None:
        """Drop everything bound to the event loop (after a fork, a close, or before a new loop)."""
        self._loop = self._thread = None
        self._connection = self._redis = None
        self._leases = None
        self._local_locks = {}
        self._model = []

    def model(self) -> Provider | None:
        """The configured model provider (None for `model_provider = "none"`), built on first use."""
        if not self._model:
            self._model.append(provider_from(self.settings))
        return self._model[0]

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                self.forget_loop_state()
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="maze-io", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the process loop and wait for it (call from any thread but the loop's)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._ensure_loop()).result()

    async def redis(self) -> aioredis.Redis | None:
        if self.settings.redis_url is None:
            return None
        if self._redis is None:
            self._redis = aioredis.Redis.from_url(self.settings.redis_url)
        return self._redis

    async def leases(self) -> RunLeases:
        """The per-installation run cap; must be awaited on the process loop."""
        if self._leases is None:
            redis = await self.redis()
            cap = self.settings.max_runs_per_installation
            self._leases = RedisLeases(redis, self.settings.redis_prefix, cap) if redis else MemoryLeases(cap)
        return self._leases

    def lock(self, name: str, ttl: float) -> AbstractAsyncContextManager[object]:
        """A lock held across processes when Redis is configured (in this process otherwise)."""
        if self.settings.redis_url is not None:
            return _RedisLock(self, name, ttl)
        return self._local_locks.setdefault(name, asyncio.Lock())

    async def github(self) -> GitHubConnection:
        """The process's GitHub connection; must be awaited on the process loop."""
        if self._connection is None:
            settings = self.settings
            if settings.github_app_id is None or settings.github_private_key is None:
                raise RuntimeError(
                    "MAZE_GITHUB_APP_ID and MAZE_GITHUB_PRIVATE_KEY must be set to talk to GitHub"
                )
            redis = await self.redis()
            store: TokenStore = RedisTokenStore(redis, settings.redis_prefix) if redis else MemoryTokenStore()
            pacer: WritePacer = RedisPacer(redis, settings.redis_prefix) if redis else MemoryPacer()
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS))
            auth = AppAuth(settings.github_app_id, settings.github_private_key.get_secret_value(), store)
            self._connection = GitHubConnection(
                session, base_url=settings.github_api_url, auth=auth, pacer=pacer, policy=self.policy
            )
        return self._connection

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return

        async def shutdown() -> None:
            if self._connection is not None:
                await self._connection.session.close()
            if self._redis is not None:
                await self._redis.aclose()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self.forget_loop_state()


class _RedisLock:
    def __init__(self, process: ProcessRuntime, name: str, ttl: float) -> None:
        self._process, self._name, self._ttl = process, name, ttl
        self._lock: Any = None

    async def __aenter__(self) -> object:
        redis = await self._process.redis()
        assert redis is not None
        self._lock = redis.lock(
            f"{self._process.settings.redis_prefix}lock:{self._name}",
            timeout=self._ttl,
            blocking_timeout=self._ttl,
        )
        await self._lock.acquire()
        return self._lock

    async def __aexit__(self, *_exc: object) -> None:
        await self._lock.release()


_current: list[ProcessRuntime] = []


def _after_fork_in_child() -> None:
    for runtime in _current:
        runtime.forget_loop_state()
        runtime._start_lock = threading.Lock()


_fork_hook: list[bool] = []


def configure(settings: Settings, policy: RetryPolicy | None = None) -> ProcessRuntime:
    if not _fork_hook:
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _fork_hook.append(True)
    for old in _current:
        old.close()
    _current[:] = [ProcessRuntime(settings, policy)]
    return _current[0]


def current() -> ProcessRuntime:
    if not _current:
        raise RuntimeError("the worker was started without settings: call tasks.runtime.configure() first")
    return _current[0]


def settings() -> Settings:
    return current().settings
