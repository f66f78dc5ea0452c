"""The unprivileged uids sandboxed commands run as when the worker is root.

Each worker process owns a block of UID_SLOTS uids derived from its pid, and each concurrent run in it
takes one that is free. No account on the machine uses these uids, so RLIMIT_NPROC, which the kernel
counts per uid, counts exactly one run's processes.
"""

from __future__ import annotations

import os
import threading
from typing import Final

UID_BASE: Final = 1_000_000_000
UID_SLOTS: Final = 64
_PID_SPAN: Final = 2**22
"""The kernel's largest pid_max: blocks of different live processes never overlap."""


def uid_range(pid: int | None = None) -> range:
    """The uids the worker process `pid` (default: this one) gives to its sandboxed commands."""
    first = UID_BASE + ((os.getpid() if pid is None else pid) % _PID_SPAN) * UID_SLOTS
    return range(first, first + UID_SLOTS)


class UidPool:
    """Hands each concurrent run of this process a uid no other run is using."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: set[int] = set()

    def acquire(self) -> int:
        with self._lock:
            for uid in uid_range():
                if uid not in self._busy:
                    self._busy.add(uid)
                    return uid
        raise RuntimeError(f"more than {UID_SLOTS} sandboxed runs at once in one worker process")

    def release(self, uid: int) -> None:
        with self._lock:
            self._busy.discard(uid)
