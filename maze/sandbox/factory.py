"""Choosing the runner from the `sandbox` setting, and telling the operator when bubblewrap cannot work.

`make_runner("bubblewrap")` refuses (SandboxUnavailable) rather than fall back silently: repository code
then does not run at all, and the review and `maze doctor` say why and what to change.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from maze.sandbox.api import Limits, Runner, RunRequest, SandboxUnavailable
from maze.sandbox.bubblewrap import BubblewrapSandbox
from maze.sandbox.plain import UnsandboxedRunner

log = logging.getLogger(__name__)

_TRIAL_LIMITS: Final = Limits(wall_seconds=20.0, cpu_seconds=10, memory_bytes=256 * 1024**2, max_processes=16)


@dataclass(frozen=True)
class SandboxStatus:
    """Whether bubblewrap is installed and a trial run inside it works on this machine."""

    available: bool
    version: str | None
    path: str | None
    problem: str | None


def bubblewrap_status(bwrap: str = "bwrap") -> SandboxStatus:
    """Look for `bwrap` and run `true` inside the real sandbox: a present binary may still not work (no
    user namespaces, a seccomp profile forbidding mounts, util-linux's prlimit/setpriv missing...)."""
    path = shutil.which(bwrap)
    if path is None:
        return SandboxStatus(False, None, None, f"{bwrap} is not installed")
    try:
        out = subprocess.run([path, "--version"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return SandboxStatus(False, None, path, f"{path} --version failed: {error}")
    words = out.stdout.decode(errors="replace").split()
    version = words[-1] if out.returncode == 0 and words else None
    with tempfile.TemporaryDirectory(prefix="maze-sandbox-check-") as workdir:
        result = BubblewrapSandbox(path).run(RunRequest(["true"], Path(workdir), limits=_TRIAL_LIMITS))
    if not result.ok:
        detail = result.reason or f"exit status {result.exit_code}"
        return SandboxStatus(False, version, path, f"{path} is installed but a trial run fails: {detail}")
    return SandboxStatus(True, version, path, None)


def unavailable_message(problem: str) -> str:
    """The sentence for the review and `maze doctor` when repository code is refused."""
    return (
        f"Repository code (tests) was not run: sandbox = \"bubblewrap\" but {problem}. Install the Debian "
        'package `bubblewrap` (apt-get install bubblewrap), or set sandbox = "none" to run repository '
        "code without isolation and accept the risk."
    )


def make_runner(mode: Literal["bubblewrap", "none"]) -> Runner:
    """The runner for the `sandbox` setting; SandboxUnavailable when bubblewrap is required but unusable."""
    if mode == "none":
        log.warning('sandbox = "none": repository code will run without isolation')
        return UnsandboxedRunner()
    if mode != "bubblewrap":
        raise ValueError(f"sandbox must be 'bubblewrap' or 'none', not {mode!r}")
    status = bubblewrap_status()
    if not status.available:
        raise SandboxUnavailable(unavailable_message(status.problem or "bubblewrap is unusable"))
    assert status.path is not None
    return BubblewrapSandbox(status.path)
