"""Helpers for the sandbox tests: running Python inside, finding a run's processes on the host."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from maze.sandbox.api import Limits, Runner, RunRequest, RunResult


def python(
    runner: Runner, workdir: Path, code: str, env: dict[str, str] | None = None, **limits: Any
) -> RunResult:
    """Run `code` with this interpreter through `runner`, under `limits` (Limits field names)."""
    request = RunRequest(
        argv=[sys.executable, "-c", code], workdir=workdir, env=env or {}, limits=Limits(**limits)
    )
    return runner.run(request)


def assert_still_serving(runner: Runner, workdir: Path) -> None:
    """The worker can run another command right after an attack."""
    result = runner.run(RunRequest(argv=["echo", "still serving"], workdir=workdir))
    assert result.ok, result
    assert result.stdout == b"still serving\n"


def processes_of(uids: range) -> list[int]:
    """Pids of the live processes (zombies excluded) running as one of `uids`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["Uid"].split()[0]) in uids and not fields["State"].strip().startswith("Z"):
            found.append(int(entry.name))
    return found


def processes_with(marker: str) -> list[int]:
    """Pids of the live processes whose command line contains `marker`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes()
            state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def wait_until_gone(uids: range, seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := processes_of(uids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left
