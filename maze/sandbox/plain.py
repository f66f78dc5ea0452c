"""`sandbox = "none"`: repository code as a plain subprocess, with limits but without isolation.

The operator chose this explicitly; every run logs a warning saying so. The process gets the same
allowlisted environment, rlimits, wall clock and output cap as under bubblewrap, a private HOME/TMPDIR,
and the request's workdir as its working directory (it writes there, so give it a private copy, see
`maze.sandbox.workspace.private_copy`). It can still read the worker's files, reach the network and
signal the worker's processes, and as root RLIMIT_NPROC does not hold it. Extra mounts are not made:
the tool sees every host path where it is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from maze.sandbox import environment, rlimits, supervise
from maze.sandbox.api import RunRequest, RunResult

log = logging.getLogger(__name__)


class UnsandboxedRunner:
    """The `Runner` for `sandbox = "none"`."""

    name = "none"
    isolated = False

    def path(self) -> list[str]:
        """PATH for the command: this interpreter's scripts first, then the system's."""
        bins = dict.fromkeys(str(Path(prefix, "bin")) for prefix in (sys.prefix, sys.base_prefix))
        return [*bins, "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]

    def run(self, request: RunRequest) -> RunResult:
        log.warning(
            'sandbox = "none": running %s in %s WITHOUT isolation; it can read this machine\'s files '
            "and secrets and reach the network",
            request.argv[0] if request.argv else "(nothing)",
            request.workdir,
        )
        if not request.argv:
            raise ValueError("argv is empty")
        scratch = Path(tempfile.mkdtemp(prefix="maze-none-"))
        try:
            home = scratch / "home"
            home.mkdir()
            env = environment.run_environment(request.env, self.path(), str(home), str(scratch))
            return self._run(request, env)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _run(self, request: RunRequest, env: dict[str, str]) -> RunResult:
        limits = request.limits
        uid = os.getuid()
        processes = rlimits.process_limit(limits.max_processes, uid, shared=uid != 0)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                list(request.argv),
                cwd=request.workdir,
                env=env,
                stdin=subprocess.PIPE if request.stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=lambda: rlimits.apply(limits, processes),
            )
        except (OSError, subprocess.SubprocessError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            return supervise.classify(
                supervise.Watched(0, b"", b"", False, False, time.monotonic() - started, 0.0),
                limits,
                exit_code=None,
                signal_number=None,
                start_failure=f"cannot execute {request.argv[0]}: {reason}",
            )

        def kill() -> None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        watched = supervise.watch(
            proc, stdin=bytes(request.stdin), limits=limits, started=started, kill=kill, after_exit=kill
        )
        code = os.waitstatus_to_exitcode(watched.wait_status)
        return supervise.classify(
            watched,
            limits,
            exit_code=code if code >= 0 else None,
            signal_number=-code if code < 0 else None,
        )
