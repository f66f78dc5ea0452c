"""A TCP proxy that can go down on command: it refuses new connections and resets the forwarded ones.

`TcpOutageProxy` listens on 127.0.0.1 and forwards every connection to a target (PostgreSQL, Redis, ...). One
background thread runs a `selectors` loop; every state change (outage, restore, stop) is executed by that
thread, so an outage is atomic with respect to forwarding.

During an outage the listening socket stops listening (connects get ECONNREFUSED) and every open forwarded
connection is reset (RST to both ends). On Linux the listening socket is `shutdown()` and later `listen()`-ed
again, so the port stays reserved for the proxy; elsewhere it is closed and bound again to the same port.
"""

from __future__ import annotations

import contextlib
import errno
import queue
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from types import TracebackType
from typing import Self, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

from tests.faults.ports import free_port

_T = TypeVar("_T")

_CHUNK = 65536
_HIGH_WATER = 1 << 20
_BACKLOG = 128
_LINGER_RESET = struct.pack("ii", 1, 0)
_DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "redis": 6379, "rediss": 6379, "amqp": 5672}


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0, so the peer gets an RST instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    with contextlib.suppress(OSError):
        sock.close()


class _Side:
    """One socket of a forwarded connection and the bytes waiting to be written to it."""

    def __init__(self, link: _Link, sock: socket.socket) -> None:
        self.link = link
        self.sock = sock
        self.outbox = bytearray()
        self.read_eof = False
        self.write_shut = False
        self.events = 0
        self.peer: _Side = self


class _Link:
    """A client connection and its upstream connection."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = _Side(self, client)
        self.upstream = _Side(self, upstream)
        self.client.peer = self.upstream
        self.upstream.peer = self.client
        self.closed = False

    @property
    def sides(self) -> tuple[_Side, _Side]:
        return self.client, self.upstream


class TcpOutageProxy:
    """Forward 127.0.0.1:`port` to `target_host`:`target_port`; `outage()` makes it refuse and reset."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        connect_timeout: float = 5.0,
    ) -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.connect_timeout = connect_timeout
        self._requested_port = port
        self._port: int | None = None
        self._listener: socket.socket | None = None
        self._listener_shut = False
        self._selector: selectors.DefaultSelector | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._commands: queue.SimpleQueue[tuple[Callable[[], object], Future[object]]] = queue.SimpleQueue()
        self._links: set[_Link] = set()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._error: BaseException | None = None
        self._down = False
        self.connections_accepted = 0
        self.upstream_failures = 0
        self.outages = 0

    @classmethod
    def for_url(cls, url: str, *, port: int | None = None, connect_timeout: float = 5.0) -> TcpOutageProxy:
        """A proxy whose target is the host and port of `url` (scheme default port when it has none)."""
        parts = urlsplit(url)
        scheme = parts.scheme.split("+", 1)[0]
        target_port = parts.port or _DEFAULT_PORTS.get(scheme)
        if target_port is None:
            raise ValueError(f"no port in {url!r} and no default port for {scheme!r}")
        return cls(parts.hostname or "127.0.0.1", target_port, port=port, connect_timeout=connect_timeout)

    # -- public API -------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the proxy is not started")
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def is_down(self) -> bool:
        return self._down

    @property
    def active_connections(self) -> int:
        return self._call(lambda: len(self._links))

    def url_for(self, url: str) -> str:
        """`url` (SQLAlchemy, libpq or redis URL) with its host:port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo, at, _ = parts.netloc.rpartition("@")
        netloc = f"{userinfo}{at}{self.host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("the proxy was already started")
        self._listener = self._bind(self._requested_port)
        self._port = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name=f"tcp-outage-proxy-{self._port}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close everything and join the thread; re-raises an error the proxy thread died of."""
        thread = self._thread
        if thread is None:
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError):
                self._call(self._shutdown_in_loop)
            thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError(f"{thread.name} did not stop within {timeout} s")
        self._thread = None
        self._close_all()
        if self._error is not None:
            raise RuntimeError(f"{thread.name} failed") from self._error

    def begin_outage(self) -> None:
        """Stop listening (new connects are refused) and reset every forwarded connection."""
        self._call(self._begin_outage_in_loop)

    def end_outage(self) -> None:
        """Listen again on the same port."""
        self._call(self._end_outage_in_loop)

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """The proxy is down for the duration of the `with` block."""
        self.begin_outage()
        try:
            yield
        finally:
            self.end_outage()

    def outage(self, seconds: float) -> None:
        """Go down for `seconds` (blocking), then listen again."""
        with self.down():
            time.sleep(seconds)

    def reset_connections(self) -> int:
        """Reset every forwarded connection but keep accepting new ones; returns how many were reset."""
        return self._call(self._reset_links)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        port = self._port if self._port is not None else "?"
        return f"<TcpOutageProxy {self.host}:{port} -> {self.target[0]}:{self.target[1]} down={self._down}>"

    # -- called from other threads ---------------------------------------------------------------------

    def _call(self, fn: Callable[[], _T], timeout: float = 10.0) -> _T:
        """Run `fn` on the proxy thread and return its result."""
        thread = self._thread
        if thread is None or not thread.is_alive() or self._wake_w is None:
            raise RuntimeError(f"the proxy is not running ({self._error!r})")
        future: Future[object] = Future()
        self._commands.put((fn, future))
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
        return cast(_T, future.result(timeout))

    def _bind(self, port: int | None) -> socket.socket:
        # Bound to an explicit port (not 0) so Linux keeps the port reserved while the socket is shut down.
        attempts = 1 if port is not None else 20
        for attempt in range(attempts):
            candidate = port if port is not None else free_port(self.host)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, candidate))
                sock.listen(_BACKLOG)
            except OSError as error:
                sock.close()
                if error.errno != errno.EADDRINUSE or attempt == attempts - 1:
                    raise
                continue
            sock.setblocking(False)
            return sock
        raise AssertionError("unreachable")

    def _close_all(self) -> None:
        for link in list(self._links):
            self._close_link(link, reset=True)
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        self._listener = self._wake_r = self._wake_w = None
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        while True:
            try:
                _, future = self._commands.get_nowait()
            except queue.Empty:
                break
            future.set_exception(RuntimeError("the proxy stopped"))

    # -- the proxy thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        assert self._selector is not None
        try:
            while not self._stopping:
                for key, mask in self._selector.select(timeout=0.5):
                    if key.fileobj is self._wake_r:
                        self._run_commands()
                    elif key.fileobj is self._listener:
                        self._accept()
                    else:
                        side: _Side = key.data
                        if not side.link.closed:
                            self._service(side, mask)
                    if self._stopping:
                        break
        except BaseException as error:
            self._error = error
        finally:
            self._stopping = True
            for link in list(self._links):
                self._close_link(link, reset=True)

    def _run_commands(self) -> None:
        assert self._wake_r is not None
        with contextlib.suppress(BlockingIOError):
            self._wake_r.recv(4096)
        while True:
            try:
                fn, future = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                future.set_result(fn())
            except Exception as error:
                future.set_exception(error)

    def _shutdown_in_loop(self) -> None:
        self._stopping = True
        self._reset_links()

    def _begin_outage_in_loop(self) -> None:
        if self._down:
            return
        listener = self._listener
        assert listener is not None and self._selector is not None
        self._selector.unregister(listener)
        try:
            listener.shutdown(socket.SHUT_RDWR)
            self._listener_shut = True
        except OSError:
            listener.close()
            self._listener = None
        self._down = True
        self.outages += 1
        self._reset_links()

    def _end_outage_in_loop(self) -> None:
        if not self._down:
            return
        assert self._selector is not None
        listener = self._listener
        if listener is not None and self._listener_shut:
            try:
                listener.listen(_BACKLOG)
            except OSError:
                listener.close()
                self._listener = listener = None
        if listener is None:
            deadline = time.monotonic() + 5.0
            while True:
                try:
                    listener = self._bind(self.port)
                    break
                except OSError as error:
                    if error.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            self._listener = listener
        self._listener_shut = False
        self._selector.register(listener, selectors.EVENT_READ)
        self._down = False

    def _reset_links(self) -> int:
        links = list(self._links)
        for link in links:
            self._close_link(link, reset=True)
        return len(links)

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno in (errno.ECONNABORTED, errno.EPROTO):
                    continue
                raise
            self.connections_accepted += 1
            try:
                upstream = socket.create_connection(self.target, timeout=self.connect_timeout)
            except OSError:
                self.upstream_failures += 1
                _reset(client)
                continue
            link = _Link(client, upstream)
            for side in link.sides:
                side.sock.setblocking(False)
                side.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._links.add(link)
            self._update(link)

    def _service(self, side: _Side, mask: int) -> None:
        link = side.link
        try:
            if mask & selectors.EVENT_READ:
                self._read(side)
            if mask & selectors.EVENT_WRITE and not link.closed:
                self._write(side)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            # A reset or broken pipe on one end: pass it on as a reset to the other end.
            self._close_link(link, reset=True)
            return
        if link.closed:
            return
        if all(s.read_eof and s.write_shut and not s.outbox for s in link.sides):
            self._close_link(link, reset=False)
        else:
            self._update(link)

    def _read(self, side: _Side) -> None:
        data = side.sock.recv(_CHUNK)
        if data:
            side.peer.outbox += data
            return
        side.read_eof = True
        self._shut_write_if_flushed(side.peer)

    def _write(self, side: _Side) -> None:
        if side.outbox:
            sent = side.sock.send(side.outbox)
            del side.outbox[:sent]
        self._shut_write_if_flushed(side)

    @staticmethod
    def _shut_write_if_flushed(side: _Side) -> None:
        if side.peer.read_eof and not side.outbox and not side.write_shut:
            side.write_shut = True
            side.sock.shutdown(socket.SHUT_WR)

    def _update(self, link: _Link) -> None:
        assert self._selector is not None
        for side in link.sides:
            events = 0
            if not side.read_eof and len(side.peer.outbox) < _HIGH_WATER:
                events |= selectors.EVENT_READ
            if side.outbox:
                events |= selectors.EVENT_WRITE
            if events == side.events:
                continue
            if side.events == 0:
                self._selector.register(side.sock, events, side)
            elif events == 0:
                self._selector.unregister(side.sock)
            else:
                self._selector.modify(side.sock, events, side)
            side.events = events

    def _close_link(self, link: _Link, *, reset: bool) -> None:
        if link.closed:
            return
        link.closed = True
        self._links.discard(link)
        for side in link.sides:
            if side.events and self._selector is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(side.sock)
            side.events = 0
            if reset:
                _reset(side.sock)
            else:
                with contextlib.suppress(OSError):
                    side.sock.close()
