"""Kill a process and everything it forked at once, as a node failure or an OOM kill of a worker would.

Linux only: processes are found through /proc (no psutil). `ProcessGroup` starts a command in a new session
(`start_new_session=True`), so the command is the leader of its own process group and a Celery worker's
prefork children share that group. `kill_process_tree` first freezes the whole tree with SIGSTOP (so nothing
can fork or react while it is collected), then sends SIGKILL to every member and to the group.

A zombie counts as dead: it runs no code and holds no locks or sockets; its parent reaps it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, NamedTuple, Self

_PROC = Path("/proc")


class _Stat(NamedTuple):
    state: str
    ppid: int
    pgrp: int


def _stat(pid: int) -> _Stat | None:
    try:
        raw = (_PROC / str(pid) / "stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses, so split after the last ")".
    fields = raw[raw.rindex(b")") + 2 :].split()
    return _Stat(fields[0].decode(), int(fields[1]), int(fields[2]))


def _all_stats() -> dict[int, _Stat]:
    stats: dict[int, _Stat] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                stats[int(entry.name)] = stat
    return stats


def is_alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    stat = _stat(pid)
    return stat is not None and stat.state not in ("Z", "X", "x")


def descendants(pid: int) -> set[int]:
    """Every process below `pid` in the parent tree, zombies included (children, grandchildren, ...)."""
    return _descendants({pid}, _all_stats())


def group_members(pgid: int) -> set[int]:
    """Every process whose process group is `pgid`, zombies included."""
    return {pid for pid, stat in _all_stats().items() if stat.pgrp == pgid}


def process_tree(pid: int) -> set[int]:
    """`pid`, its descendants and, when `pid` leads a process group, the group and its descendants.

    The group matters once the leader has died: its children are then re-parented (to init or a subreaper)
    and can no longer be found through the parent tree, but they keep the group id.
    """
    stats = _all_stats()
    roots = {pid}
    own = stats.get(pid)
    if own is not None and own.pgrp == pid:
        roots |= {p for p, stat in stats.items() if stat.pgrp == pid}
    else:
        with contextlib.suppress(ProcessLookupError):
            if os.getpgid(pid) == pid:
                roots |= {p for p, stat in stats.items() if stat.pgrp == pid}
    return roots | _descendants(roots, stats)


def _descendants(roots: set[int], stats: Mapping[int, _Stat]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, stat in stats.items():
        children.setdefault(stat.ppid, []).append(pid)
    found: set[int] = set()
    todo = list(roots)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found and child not in roots:
                found.add(child)
                todo.append(child)
    return found


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def kill_process_tree(pid: int, sig: int = signal.SIGKILL) -> set[int]:
    """Send `sig` to `pid`, everything it forked and its process group if it leads one; returns the pids.

    For SIGKILL the tree is frozen with SIGSTOP first, until a pass finds no new process, so a parent cannot
    fork or respawn children between collecting and killing. Does not wait: see `wait_dead`.
    """
    if pid <= 1 or pid == os.getpid():
        raise ValueError(f"refusing to kill pid {pid}")
    victims: set[int] = set()
    for _ in range(100):
        tree = process_tree(pid)
        if os.getpid() in tree:
            raise ValueError(f"pid {pid} is an ancestor of (or in a group with) the test process")
        new = tree - victims
        if not new:
            break
        victims |= new
        if sig != signal.SIGKILL:
            break
        for member in new:
            _signal(member, signal.SIGSTOP)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
    for member in victims:
        _signal(member, sig)
    return victims


def wait_dead(pids: int | Iterable[int], timeout: float = 10.0, interval: float = 0.02) -> bool:
    """True once none of `pids` is alive (zombies count as dead); False if some still are after `timeout`."""
    remaining = {pids} if isinstance(pids, int) else set(pids)
    deadline = time.monotonic() + timeout
    while True:
        remaining = {pid for pid in remaining if is_alive(pid)}
        if not remaining:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def maze_worker_argv(concurrency: int = 1) -> list[str]:
    """The command line of a Maze Celery worker, as tests/e2e starts it."""
    return [sys.executable, "-m", "bot.cli", "worker", "--concurrency", str(concurrency)]


class ProcessGroup:
    """A command run as the leader of its own session and process group; `kill()` takes all of it down."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        log_path: Path | str | None = None,
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.log_path = Path(log_path) if log_path is not None else None
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def maze_worker(
        cls,
        env: Mapping[str, str],
        cwd: Path | str,
        *,
        concurrency: int = 1,
        log_path: Path | str | None = None,
    ) -> ProcessGroup:
        """A (not yet started) `python -m bot.cli worker`, logging to `log_path` (default cwd/worker.log)."""
        log = Path(log_path) if log_path is not None else Path(cwd) / "worker.log"
        return cls(maze_worker_argv(concurrency), env=env, cwd=cwd, log_path=log)

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("the process group was not started")
        return self._process

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def pgid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def start(self) -> Self:
        if self._process is not None:
            raise RuntimeError("the process group was already started")
        output: IO[bytes] | int = subprocess.DEVNULL
        if self.log_path is not None:
            self._log = output = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def members(self) -> set[int]:
        """The live processes of the group and the leader's tree (the leader included while it lives)."""
        return {pid for pid in process_tree(self.pid) | group_members(self.pgid) if is_alive(pid)}

    def wait_for_members(self, count: int, timeout: float = 60.0) -> set[int]:
        """Wait until at least `count` processes are alive (e.g. 1 + concurrency for a prefork worker)."""
        deadline = time.monotonic() + timeout
        while True:
            members = self.members()
            if len(members) >= count:
                return members
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv} exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{len(members)} of {count} processes after {timeout} s:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def wait_for_log(self, needle: str, timeout: float = 60.0) -> None:
        """Wait until the log contains `needle` (e.g. "ready." for a Celery worker)."""
        deadline = time.monotonic() + timeout
        while needle not in self.log_tail(chars=1 << 30):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv} exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no {needle!r} in the log after {timeout} s:\n{self.log_tail()}")
            time.sleep(0.05)

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30.0) -> set[int]:
        """Signal the whole tree and group at once, wait until all of it is dead, reap the leader."""
        process = self.process
        victims = kill_process_tree(process.pid, sig) if process.poll() is None else set()
        victims |= self._kill_stragglers(sig)
        if not wait_dead(victims, timeout):
            raise TimeoutError(f"still alive {timeout} s after signal {sig}: {sorted(self.members())}")
        process.wait(timeout)
        return victims

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM to the group (Celery's warm shutdown), SIGKILL whatever is left after `timeout`."""
        process = self.process
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
        if self.members() or process.poll() is None:
            self.kill()
        return process.wait(timeout)

    def close(self) -> None:
        """Kill anything still alive and close the log; safe to call more than once."""
        try:
            if self._process is not None and (self._process.poll() is None or self.members()):
                self.kill()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_path is None:
            return ""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def _kill_stragglers(self, sig: int) -> set[int]:
        # After the leader has been reaped its group may still have members (orphaned children).
        stragglers = {pid for pid in group_members(self.pgid) if is_alive(pid)}
        if stragglers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, sig)
            for pid in stragglers:
                _signal(pid, sig)
        return stragglers

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        pid = self._process.pid if self._process is not None else None
        return f"<ProcessGroup pid={pid} argv={self.argv!r}>"
