"""Running a validator's tool through the Runner, and mapping the paths it prints back into the tree."""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from maze.sandbox.api import SANDBOX_WORKDIR, Limits, Mount, Outcome, Runner, RunRequest, RunResult

_TAIL_CHARS = 400


class ToolFailed(RuntimeError):
    """The tool did not produce a report: it crashed, hit a limit, or rejected its configuration."""


@dataclass(frozen=True)
class Shared:
    """A host directory a run reads or writes, and the path the tool sees it at."""

    host: Path
    seen_as: str
    mounts: tuple[Mount, ...]


def share(runner: Runner, host: Path, target: str, *, writable: bool) -> Shared:
    """`host` made visible to runs of `runner`: mounted at `target` in a sandbox, else at its own path.

    A writable directory is opened to every user, since the sandbox runs the tool under a uid of its own.
    """
    if not runner.isolated:
        return Shared(host, str(host), ())
    if writable:
        for directory, _, names in os.walk(host):
            os.chmod(directory, 0o777)
            for name in names:
                path = Path(directory, name)
                if not path.is_symlink():
                    path.chmod(0o666)
    return Shared(host, target, (Mount(host, target, writable),))


def _tail(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return ("..." + text[-_TAIL_CHARS:]) if len(text) > _TAIL_CHARS else text


def run_tool(
    runner: Runner,
    workdir: Path,
    argv: Sequence[str],
    *,
    tool: str,
    limits: Limits,
    ok_codes: Sequence[int] = (0, 1),
    env: Mapping[str, str] | None = None,
    mounts: Sequence[Mount] = (),
) -> RunResult:
    """Run `argv` in the private tree `workdir` (the working directory is the tree's root)."""
    request = RunRequest(argv=argv, workdir=workdir, env=dict(env or {}), limits=limits, extra_mounts=mounts)
    result = runner.run(request)
    if result.outcome is not Outcome.EXITED:
        raise ToolFailed(f"{tool}: {result.reason or result.outcome.value}")
    if result.output_truncated:
        raise ToolFailed(f"{tool}: its output exceeded the limit")
    if result.exit_code not in ok_codes:
        detail = _tail(result.stderr) or _tail(result.stdout)
        raise ToolFailed(f"{tool} exited with {result.exit_code}: {detail}")
    return result


def repo_path(reported: str, workdir: Path) -> str | None:
    """The tree-relative POSIX path of a path a tool printed; None when it lies outside the tree."""
    if posixpath.isabs(reported):
        for root in (SANDBOX_WORKDIR, str(workdir), str(workdir.resolve())):
            prefix = root.rstrip("/") + "/"
            if reported.startswith(prefix):
                reported = reported[len(prefix) :]
                break
        else:
            return None
    normal = posixpath.normpath(reported.replace(os.sep, "/"))
    if normal.startswith("../") or normal in ("..", "."):
        return None
    return normal


@cache
def host_version(argv: tuple[str, ...]) -> str:
    """The first line a tool prints for its version flag; asked once per process."""
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0].strip() if lines and completed.returncode == 0 else ""
