"""Running pull-request content under bubblewrap: its own namespaces, a read-only toolchain, tmpfs scratch.

The process gets new PID, network (loopback only), IPC, UTS, mount and cgroup namespaces, the filesystem
described in `maze.sandbox.layout`, the allowlisted environment, and dies with the worker. The request's
tree is streamed into a tmpfs at /work with tar (the host tree is only read), so writing there or in
/tmp ends at ENOSPC inside memory limits that were sized in advance, never on the host's disk; what the
command changed under /work is copied back into the host workdir afterwards (`maze.sandbox.changes`).

When the worker is root, bwrap runs as root without a user namespace, so it can mount the toolchain
wherever it lives, and the command runs as a uid of its own from `maze.sandbox.uids`: RLIMIT_NPROC is
not enforced for uid 0, but it is for that uid, which nothing else uses. When the worker is not root,
bwrap builds a user namespace as usual and the process limit is counted on top of the worker's tasks.

Limits: the init script (`maze.sandbox.init_script`) sets RLIMIT_AS, RLIMIT_CPU (SIGXCPU, then SIGKILL
a second later), RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_NOFILE and no core files for everything in the
sandbox; the wall clock and the output cap are the worker's (`maze.sandbox.supervise`), which ends a run
by killing the PID namespace's init: the kernel then kills every process left in the namespace.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Final

from maze.sandbox import environment, layout, rlimits, supervise
from maze.sandbox.api import Outcome, RunRequest, RunResult
from maze.sandbox.changes import apply_changes
from maze.sandbox.init_script import (
    FAILURE_PREFIX,
    INIT_ENV,
    InitFds,
    ProcessLimits,
    init_script,
    setpriv_argv,
)
from maze.sandbox.uids import UidPool
from maze.sandbox.workspace import top_level_names, tree_bytes

NOFILE: Final = 4096
SPOOL_BYTES: Final = 8 * 1024**2
"""Changes copied back are kept in memory up to this size, then in a temporary file."""
_HOST_ENV: Final = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
_UIDS = UidPool()


class _Fds:
    """Pipe ends to hand to the child, and the ones the worker keeps; all closed in the end."""

    def __init__(self) -> None:
        self.child: list[int] = []
        self.parent: list[int] = []

    def pipe(self, child_reads: bool) -> tuple[int, int]:
        read, write = os.pipe()
        self.child.append(read if child_reads else write)
        self.parent.append(write if child_reads else read)
        return read, write

    def data(self, content: str) -> int:
        """A pipe already holding `content` (small enough for the pipe buffer), for the child to read."""
        read, write = self.pipe(child_reads=True)
        os.write(write, content.encode())
        self.parent.remove(write)
        os.close(write)
        return read

    def file(self, path: Path) -> int:
        """`path` opened for the child to read."""
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self.child.append(fd)
        return fd

    def close_child_ends(self) -> None:
        for fd in self.child:
            os.close(fd)
        self.child.clear()

    def close(self) -> None:
        self.close_child_ends()
        for fd in self.parent:
            os.close(fd)
        self.parent.clear()


class BubblewrapSandbox:
    """The `Runner` for `sandbox = "bubblewrap"`."""

    name = "bubblewrap"
    isolated = True

    def __init__(self, bwrap: str = "bwrap", toolchain: Sequence[Path] | None = None) -> None:
        self.bwrap = shutil.which(bwrap) or bwrap
        self.toolchain = layout.default_toolchain() if toolchain is None else tuple(toolchain)
        self.privileged = os.geteuid() == 0
        self._tar = shutil.which("tar") or "/usr/bin/tar"

    def path(self) -> list[str]:
        """PATH inside the sandbox: the toolchain's bin directories first, then the system's."""
        bins = [str(prefix / "bin") for prefix in self.toolchain if (prefix / "bin").is_dir()]
        return [*bins, "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]

    def run(self, request: RunRequest) -> RunResult:
        env = environment.run_environment(
            request.env, self.path(), environment.SANDBOX_HOME, environment.SANDBOX_TMP
        )
        for mount in request.extra_mounts:
            layout.check_mount(mount)
        if not request.workdir.is_dir():
            raise ValueError(f"workdir {request.workdir} is not a directory")
        if not request.argv or "=" in request.argv[0]:
            raise ValueError(f"argv must start with a program name without '=': {list(request.argv)!r}")
        uid = _UIDS.acquire() if self.privileged else os.getuid()
        try:
            return self._run(request, env, uid)
        finally:
            if self.privileged:
                _UIDS.release(uid)

    def _run(self, request: RunRequest, env: dict[str, str], uid: int) -> RunResult:
        started = time.monotonic()
        fds = _Fds()
        tar: subprocess.Popen[bytes] | None = None
        try:
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as changes:
                ready_read, ready_write = fds.pipe(child_reads=False)
                info_read, info_write = fds.pipe(child_reads=False)
                changes_read, changes_write = fds.pipe(child_reads=False)
                tree_read: int | None = None
                names = top_level_names(request.workdir)
                if names:
                    tree_read, tree_write = fds.pipe(child_reads=True)
                    tar = subprocess.Popen(
                        [self._tar, "-c", "-f", "-", "-C", str(request.workdir), "--", *names],
                        stdin=subprocess.DEVNULL,
                        stdout=tree_write,
                        stderr=subprocess.DEVNULL,
                        env=_HOST_ENV,
                    )
                    fds.parent.remove(tree_write)
                    os.close(tree_write)
                etc = layout.etc_files()
                files = {target: fds.data(text) for target, text in layout.stub_files(uid).items()}
                for target, host in etc.copies.items():
                    files[target] = fds.file(host)
                processes = rlimits.process_limit(request.limits.max_processes, uid, not self.privileged)
                script = init_script(
                    as_user=setpriv_argv(uid) if self.privileged else (),
                    command_env=env,
                    limits=ProcessLimits.of(request.limits, processes, NOFILE),
                    fds=InitFds(tree=tree_read, ready=ready_write, info=info_write, changes=changes_write),
                )
                argv = [
                    *self._bwrap_options(request, files, etc.symlinks, info_write),
                    "--",
                    "bash", "--noprofile", "--norc", "-c", script, "maze-init",
                    *request.argv,
                ]  # fmt: skip
                try:
                    proc = subprocess.Popen(
                        argv,
                        stdin=subprocess.PIPE if request.stdin else subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        pass_fds=fds.child,
                        env=_HOST_ENV,
                        start_new_session=True,
                    )
                except OSError as error:
                    return supervise.classify(
                        supervise.Watched(0, b"", b"", False, False, time.monotonic() - started, 0.0),
                        request.limits,
                        exit_code=None,
                        signal_number=None,
                        start_failure=f"cannot execute {self.bwrap}: {error.strerror}",
                    )
                finally:
                    fds.close_child_ends()
                result = self._supervise(proc, request, started, ready_read, info_read, changes_read, changes)
                if result.outcome not in (Outcome.TIMED_OUT, Outcome.OUTPUT_LIMIT):
                    apply_changes(changes, request.workdir)
                return result
        finally:
            fds.close()
            if tar is not None:
                if tar.poll() is None:
                    tar.kill()
                tar.wait()

    def _supervise(
        self,
        proc: subprocess.Popen[bytes],
        request: RunRequest,
        started: float,
        ready: int,
        info: int,
        changes_fd: int,
        changes: IO[bytes],
    ) -> RunResult:
        seen = {"ready": b"", "info": b""}
        init_pidfd: list[int] = []

        def on_ready(chunk: bytes) -> None:
            seen["ready"] += chunk

        def on_info(chunk: bytes) -> None:
            seen["info"] += chunk
            if init_pidfd:
                return
            try:
                pid = int(json.loads(seen["info"])["child-pid"])
            except (ValueError, KeyError):
                return
            with contextlib.suppress(ProcessLookupError):
                init_pidfd.append(os.pidfd_open(pid))

        kills = 0

        def kill() -> None:
            # Killing the namespace's init first: bwrap then exits only once every process in it is gone.
            nonlocal kills
            kills += 1
            with contextlib.suppress(ProcessLookupError):
                if init_pidfd and kills == 1:
                    signal.pidfd_send_signal(init_pidfd[0], signal.SIGKILL)
                else:
                    os.killpg(proc.pid, signal.SIGKILL)

        try:
            watched = supervise.watch(
                proc,
                stdin=bytes(request.stdin),
                limits=request.limits,
                started=started,
                kill=kill,
                side_channels={ready: on_ready, info: on_info, changes_fd: changes.write},
            )
        finally:
            for fd in init_pidfd:
                os.close(fd)
        signal_number: int | None = None
        exit_code: int | None = None
        if os.WIFSIGNALED(watched.wait_status):
            signal_number = os.WTERMSIG(watched.wait_status)
        else:
            exit_code = os.WEXITSTATUS(watched.wait_status)
            if seen["ready"] and 128 < exit_code <= 128 + 64:
                signal_number, exit_code = exit_code - 128, None
        start_failure = None
        if not seen["ready"] and not watched.timed_out:
            lines = watched.stderr.decode(errors="replace").strip().splitlines()
            start_failure = lines[-1] if lines else f"bwrap exited with status {exit_code}"
            start_failure = start_failure.removeprefix(FAILURE_PREFIX).strip()
        return supervise.classify(
            watched,
            request.limits,
            exit_code=exit_code,
            signal_number=signal_number,
            start_failure=start_failure,
        )

    def _bwrap_options(
        self, request: RunRequest, files: dict[str, int], symlinks: dict[str, str], info: int
    ) -> list[str]:
        args = [self.bwrap]
        if self.privileged:
            args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
            args += ["--unshare-cgroup-try", "--cap-drop", "ALL"]
            for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"):
                args += ["--cap-add", cap]
        else:
            args += ["--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
        # --as-pid-1: the init script is the namespace's init, so bwrap exits only after reaping it, and
        # the kernel has killed every other process of the namespace by the time it does.
        args += ["--as-pid-1", "--die-with-parent", "--new-session", "--hostname", layout.HOSTNAME]
        args += ["--info-fd", str(info)]
        args += layout.filesystem_args(
            toolchain=self.toolchain,
            mounts=request.extra_mounts,
            file_fds=files,
            symlinks=symlinks,
            limits=request.limits,
            work_bytes=tree_bytes(request.workdir) + request.limits.tmp_bytes,
        )
        args += ["--chdir", "/", "--clearenv"]
        for name, value in INIT_ENV.items():
            args += ["--setenv", name, value]
        return args
