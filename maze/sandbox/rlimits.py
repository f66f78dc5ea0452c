"""Resource limits as both runners apply them: never above the worker's own hard limits."""

from __future__ import annotations

import os
import resource

from maze.sandbox.api import Limits


def clamped(value: int, which: int) -> int:
    """`value`, or the worker's own hard limit for `which` when that is lower (limits are never raised)."""
    hard = resource.getrlimit(which)[1]
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def tasks_of(uid: int) -> int:
    """Threads currently running as `uid` on this machine; RLIMIT_NPROC counts them all."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", "rb") as status:
                fields = dict(line.split(b":", 1) for line in status.read().splitlines() if b":" in line)
        except OSError:
            continue
        if int(fields[b"Uid"].split()[0]) == uid:
            count += int(fields[b"Threads"])
    return count


def process_limit(max_processes: int, uid: int, shared: bool) -> int:
    """RLIMIT_NPROC for a run as `uid`: when the uid is `shared` with the worker, on top of its tasks."""
    return clamped(max_processes + (tasks_of(uid) if shared else 0), resource.RLIMIT_NPROC)


def apply(limits: Limits, processes: int) -> None:
    """Set this process's limits, RLIMIT_NPROC to `processes` (the unsandboxed runner calls this between
    fork and exec, so it must not scan /proc or take locks: `process_limit` runs before the fork)."""
    for which, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_CORE, 0),
    ):
        capped = clamped(value, which)
        resource.setrlimit(which, (capped, capped))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    cpu = limits.cpu_seconds
    resource.setrlimit(
        resource.RLIMIT_CPU, (clamped(cpu, resource.RLIMIT_CPU), clamped(cpu + 1, resource.RLIMIT_CPU))
    )
