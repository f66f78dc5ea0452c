"""Serving the emulator over real HTTP: in the running event loop, or from a background thread."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from aiohttp import web

from bot.emulator.app import create_emulator_app
from bot.emulator.state import EmulatorState

START_TIMEOUT_SECONDS = 10.0


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def serve_emulator(
    state: EmulatorState, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Serve the emulator in the running loop; returns the runner (call `cleanup()`) and the base URL.

    The state's `api_url` becomes that URL, so the `url` fields of the JSON it serves point back at it.
    """
    runner = web.AppRunner(create_emulator_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = int(runner.addresses[0][1])
    url = _url(host, bound_port)
    state.api_url = url
    return runner, url


class EmulatorServer:
    """The emulator on 127.0.0.1 and a free port, served by its own event loop in a daemon thread.

    Use as a context manager; `url` is the base URL once started.
    """

    def __init__(self, state: EmulatorState, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.url = ""
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            raise RuntimeError("the emulator server is already started")
        self._thread = threading.Thread(target=self._run, name="github-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_SECONDS):
            raise RuntimeError("the emulator server did not start in time")
        if self._error is not None:
            raise RuntimeError("the emulator server failed to start") from self._error
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT_SECONDS)
        self._loop = self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            runner, self.url = loop.run_until_complete(serve_emulator(self.state, self._host, self._port))
        except BaseException as error:  # reported to the starting thread by start()
            self._error = error
            self._ready.set()
            loop.close()
            return
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()
