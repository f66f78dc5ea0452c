"""The contract every runner of pull-request content keeps: limits in, a classified outcome out.

Validators only ever see `Runner`; whether a process runs under bubblewrap or, when the operator chose
`sandbox = "none"`, as a plain subprocess is decided once by the factory in `maze.sandbox.factory`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class Outcome(StrEnum):
    """How a sandboxed process ended; everything but `EXITED` means a limit or a signal stopped it."""

    EXITED = "exited"
    TIMED_OUT = "timed out"
    CPU_LIMIT = "CPU time limit"
    MEMORY_LIMIT = "killed for memory"
    OUTPUT_LIMIT = "output limit"
    KILLED = "killed by a signal"
    FAILED_TO_START = "failed to start"


@dataclass(frozen=True)
class Limits:
    """Resource limits for one process tree."""

    wall_seconds: float = 120.0
    cpu_seconds: int = 120
    memory_bytes: int = 2 * 1024**3
    max_processes: int = 128
    output_bytes: int = 4 * 1024**2
    tmp_bytes: int = 256 * 1024**2
    file_bytes: int = 256 * 1024**2


@dataclass(frozen=True)
class Mount:
    """A host path made visible inside the sandbox, read-only unless `writable`."""

    source: Path
    target: str
    writable: bool = False


@dataclass(frozen=True)
class RunRequest:
    """One command: `workdir` is the host directory bound (writable, private to this run) at `/work`."""

    argv: Sequence[str]
    workdir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    extra_mounts: Sequence[Mount] = ()
    stdin: bytes = b""


@dataclass(frozen=True)
class RunResult:
    """What a run produced; `reason` is a sentence for a review or a log when `outcome` is not EXITED."""

    outcome: Outcome
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    wall_seconds: float
    reason: str = ""
    output_truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.EXITED and self.exit_code == 0


class Runner(Protocol):
    """Runs a command on a private copy of repository content."""

    name: str
    """`bubblewrap` or `none`: shown in verdicts and in `maze doctor`."""
    isolated: bool
    """True only when the process cannot reach the host's secrets, network and files."""

    def run(self, request: RunRequest) -> RunResult: ...


class SandboxUnavailable(RuntimeError):
    """Repository code must not run: the sandbox is missing and the operator did not opt out."""


SANDBOX_WORKDIR = "/work"
