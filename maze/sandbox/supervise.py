"""Watching one started process tree: stdin in, output out up to a cap, the wall clock, a classified result.

Both runners hand their child here. Output is read as it arrives (a selector over the pipes and over a
pidfd for the exit), so a process that prints forever is stopped at the cap instead of filling the
worker's memory, and at the wall deadline the runner's `kill` ends the whole tree.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from maze.sandbox.api import Limits, Outcome, RunResult

KILL_GRACE_SECONDS: Final = 5.0
"""How long output is still drained after a kill before the pipes are abandoned."""
EXIT_GRACE_SECONDS: Final = 2.0
"""How long output is still drained after the main process ended."""
_CHUNK: Final = 65536
_MEMORY_MARKERS: Final = (
    b"MemoryError",
    b"Cannot allocate memory",
    b"out of memory",
    b"Out of memory",
    b"std::bad_alloc",
    b"memory allocation of",
    b"Fatal process OOM",
    b"ENOMEM",
)


@dataclass(frozen=True)
class Watched:
    """The raw facts of one run, before they are classified."""

    wait_status: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    output_exceeded: bool
    wall_seconds: float
    cpu_seconds: float


class _Tag:
    EXIT = object()
    INPUT = object()
    OUTPUT = object()
    SIDE = object()


def watch(
    proc: subprocess.Popen[bytes],
    *,
    stdin: bytes,
    limits: Limits,
    started: float,
    kill: Callable[[], None],
    side_channels: Mapping[int, Callable[[bytes], object]] | None = None,
    after_exit: Callable[[], None] | None = None,
) -> Watched:
    """Feed `stdin`, collect output, enforce the wall and output limits, then reap `proc`.

    `kill` must end the whole tree and may be called more than once (later calls may escalate).
    `side_channels` are extra pipes read to EOF, their bytes passed to the callback as they come.
    `after_exit` runs once the main process has ended, e.g. to kill what it left behind.
    """
    assert proc.stdout is not None and proc.stderr is not None
    selector = selectors.DefaultSelector()
    pidfd = os.pidfd_open(proc.pid)
    selector.register(pidfd, selectors.EVENT_READ, _Tag.EXIT)
    out, err = bytearray(), bytearray()
    outputs = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    for fd in outputs:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ, _Tag.OUTPUT)
    pending = memoryview(stdin)
    if proc.stdin is not None:
        if pending:
            os.set_blocking(proc.stdin.fileno(), False)
            selector.register(proc.stdin.fileno(), selectors.EVENT_WRITE, _Tag.INPUT)
        else:
            proc.stdin.close()
    callbacks = dict(side_channels or {})
    for fd in callbacks:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ, _Tag.SIDE)

    deadline = started + limits.wall_seconds
    stop_at: float | None = None
    timed_out = exceeded = killed = exited = False
    total = 0
    try:
        while selector.get_map():
            now = time.monotonic()
            if not killed and not exited and now >= deadline:
                timed_out = killed = True
                kill()
                stop_at = now + KILL_GRACE_SECONDS
            if stop_at is not None and now >= stop_at:
                break
            until = stop_at if stop_at is not None else deadline
            for key, _ in selector.select(max(0.0, until - now)):
                fd = key.fd
                if key.data is _Tag.EXIT:
                    selector.unregister(fd)
                    exited = True
                    if after_exit is not None:
                        after_exit()
                    if stop_at is None:
                        stop_at = time.monotonic() + EXIT_GRACE_SECONDS
                elif key.data is _Tag.INPUT:
                    try:
                        pending = pending[os.write(fd, pending[:_CHUNK]) :]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(fd)
                        assert proc.stdin is not None
                        proc.stdin.close()
                elif key.data is _Tag.SIDE:
                    data = os.read(fd, _CHUNK)
                    if data:
                        callbacks[fd](data)
                    else:
                        selector.unregister(fd)
                else:
                    data = os.read(fd, _CHUNK)
                    if not data:
                        selector.unregister(fd)
                        continue
                    if exceeded:
                        continue
                    room = limits.output_bytes - total
                    outputs[fd] += data[:room]
                    total += min(room, len(data))
                    if len(data) > room:
                        exceeded = True
                        if not killed:
                            killed = True
                            kill()
                            stop_at = time.monotonic() + KILL_GRACE_SECONDS
    finally:
        selector.close()
        os.close(pidfd)
        if proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()
        proc.stdout.close()
        proc.stderr.close()
        if not exited:
            kill()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Watched(
        wait_status=status,
        stdout=bytes(out),
        stderr=bytes(err),
        timed_out=timed_out,
        output_exceeded=exceeded,
        wall_seconds=time.monotonic() - started,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


def human_bytes(size: int) -> str:
    """`536870912` -> `512 MiB`; exact units only, bytes otherwise."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify(
    watched: Watched,
    limits: Limits,
    *,
    exit_code: int | None,
    signal_number: int | None,
    start_failure: str | None = None,
) -> RunResult:
    """Turn the facts of a run into an outcome and a sentence; the runner decodes its own exit status."""

    def result(outcome: Outcome, reason: str) -> RunResult:
        return RunResult(
            outcome=outcome,
            exit_code=exit_code,
            stdout=watched.stdout,
            stderr=watched.stderr,
            wall_seconds=watched.wall_seconds,
            reason=reason,
            output_truncated=watched.output_exceeded,
        )

    if start_failure is not None:
        return result(Outcome.FAILED_TO_START, f"failed to start: {start_failure}")
    if watched.timed_out:
        return result(Outcome.TIMED_OUT, f"timed out after {limits.wall_seconds:g} s")
    if watched.output_exceeded:
        return result(
            Outcome.OUTPUT_LIMIT,
            f"stopped after printing more than {human_bytes(limits.output_bytes)} (output cut there)",
        )
    cpu_reason = f"exceeded the CPU time limit ({limits.cpu_seconds} s)"
    memory_reason = f"killed for memory (limit {human_bytes(limits.memory_bytes)})"
    if signal_number == signal.SIGXCPU or (
        signal_number == signal.SIGKILL and watched.cpu_seconds >= limits.cpu_seconds
    ):
        return result(Outcome.CPU_LIMIT, cpu_reason)
    failed = signal_number is not None or exit_code != 0
    if failed and any(marker in watched.stderr[-65536:] for marker in _MEMORY_MARKERS):
        return result(Outcome.MEMORY_LIMIT, memory_reason)
    if signal_number is not None:
        if signal_number == signal.SIGXFSZ:
            too_big = human_bytes(limits.file_bytes)
            return result(Outcome.KILLED, f"killed by SIGXFSZ: a file outgrew the limit ({too_big})")
        return result(Outcome.KILLED, f"killed by {_signal_name(signal_number)}")
    if exit_code:
        return result(Outcome.EXITED, f"exited with status {exit_code}")
    return result(Outcome.EXITED, "")
