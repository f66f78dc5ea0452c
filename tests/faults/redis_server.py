"""A `redis-server` of the test's own: a free port, a private directory, an fsync'ed append-only file.

`PrivateRedis` can be stopped cleanly (SHUTDOWN), killed (SIGKILL) and restarted on the same port and
directory, so a test can take the broker away from running workers and give it back with its data. With
`--appendfsync always` every acknowledged write is on disk, so even a SIGKILL loses nothing acknowledged.
It refuses port 6379: the machine's shared Redis is never touched.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from tests.faults.ports import free_port

SHARED_REDIS_PORT = 6379


class PrivateRedis:
    """`redis-server --appendonly yes --appendfsync always --save ""` on 127.0.0.1:`port` in `directory`."""

    def __init__(
        self,
        directory: Path | str | None = None,
        *,
        port: int | None = None,
        executable: str = "redis-server",
        start_timeout: float = 30.0,
    ) -> None:
        if port == SHARED_REDIS_PORT:
            raise ValueError("port 6379 belongs to the machine's shared Redis")
        found = shutil.which(executable)
        if found is None:
            raise FileNotFoundError(f"{executable} is not on PATH (Debian package redis-server)")
        self.executable = found
        self.start_timeout = start_timeout
        self._own_directory = directory is None
        self.directory = Path(tempfile.mkdtemp(prefix="maze-redis-") if directory is None else directory)
        self._port = port
        self._fixed_port = port is not None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.starts = 0

    # -- properties ------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server was never started")
        return self._port

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path:
        return self.directory / "redis-server.log"

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> Self:
        if self.running:
            raise RuntimeError(f"redis-server is already running on port {self.port}")
        self.directory.mkdir(parents=True, exist_ok=True)
        # A first start on a port we picked ourselves may lose a race for it; then take another port.
        attempts = 1 if self._fixed_port or self.starts else 5
        for attempt in range(attempts):
            if self._port is None or (attempt and not self._fixed_port):
                self._port = free_port()
            try:
                self._spawn_and_wait()
                break
            except _PortInUse:
                if attempt == attempts - 1:
                    raise RuntimeError(f"port {self._port} is in use:\n{self.log_tail()}") from None
        self.starts += 1
        return self

    def stop(self, save: bool = True, timeout: float = 30.0) -> None:
        """SHUTDOWN (SAVE or NOSAVE; the append-only file is fsync'ed either way) and wait for the exit."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(OSError):
                self._shutdown_command(save)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        self._forget()

    def kill(self, timeout: float = 30.0) -> None:
        """SIGKILL, as a crash or an OOM kill would."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout)
        self._forget()

    def restart(self, *, kill: bool = False, down_seconds: float = 0.0) -> None:
        """Stop (or kill), stay down for `down_seconds`, start again on the same port and directory."""
        if kill:
            self.kill()
        else:
            self.stop()
        if down_seconds:
            time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        """Stop the server; remove the directory if this object created it."""
        try:
            self.stop(save=False)
        finally:
            if self._own_directory:
                shutil.rmtree(self.directory, ignore_errors=True)

    def ping(self, timeout: float = 2.0) -> bool:
        try:
            return self._command(b"PING", timeout) == b"+PONG"
        except OSError:
            return False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PrivateRedis port={self._port} running={self.running} dir={self.directory}>"

    # -- internals -------------------------------------------------------------------------------------

    def _argv(self) -> list[str]:
        return [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(self.log_path),
        ]

    def _spawn_and_wait(self) -> None:
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self._argv(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self.log_tail()
                self._forget()
                if "Address already in use" in tail:
                    raise _PortInUse
                raise RuntimeError(f"redis-server exited during start-up:\n{tail}")
            with contextlib.suppress(OSError):
                # -LOADING while the append-only file is replayed; +PONG once it serves.
                if self._command(b"PING", 1.0) == b"+PONG" and self._serves_from_own_process():
                    return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(
            f"redis-server did not answer PING within {self.start_timeout} s:\n{self.log_tail()}"
        )

    def _command(self, command: bytes, timeout: float) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(command + b"\r\n")
            reply = bytearray()
            while not _complete(reply):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
            return bytes(reply).strip()

    def _serves_from_own_process(self) -> bool:
        """The PONG came from our process, not from another server that won the race for the port."""
        assert self._process is not None
        info = self._command(b"INFO server", 2.0).decode(errors="replace")
        return f"process_id:{self._process.pid}\r\n" in info

    def _shutdown_command(self, save: bool) -> None:
        # On success the server closes the connection without a reply.
        self._command(b"SHUTDOWN SAVE" if save else b"SHUTDOWN NOSAVE", 30.0)

    def _forget(self) -> None:
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class _PortInUse(Exception):
    pass


def _complete(reply: bytearray) -> bool:
    """A whole simple-string, error, integer or bulk-string RESP reply."""
    header_end = reply.find(b"\r\n")
    if header_end < 0:
        return False
    if not reply.startswith(b"$"):
        return True
    length = int(reply[1:header_end])
    return length < 0 or len(reply) >= header_end + 2 + length + 2
