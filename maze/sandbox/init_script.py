"""The script bwrap starts inside the sandbox, before and after the command.

It sets the resource limits, copies the tree into /work as the sandbox user, marks the moment the command
starts, says "ready" on a pipe (so a failure before that point is the sandbox's, not the command's), runs
the command as the sandbox user with the allowlisted environment, then archives every entry under /work
whose status changed since the mark onto another pipe, and exits with the command's status.

When the worker is root the script itself runs as root inside the namespaces with only CAP_SETUID,
CAP_SETGID and CAP_SETPCAP, which `setpriv` drops for every step that touches repository content; the
command, as another uid, can neither signal nor trace it. The script's own environment is a fixed
minimal one and the command's is set in a subshell just before it starts, so no variable steers bash.
"""

from __future__ import annotations

import resource
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from maze.sandbox.api import SANDBOX_WORKDIR, Limits
from maze.sandbox.layout import MARKS
from maze.sandbox.rlimits import clamped

FAILURE_PREFIX: Final = "maze-sandbox:"
INIT_ENV: Final = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
SETPRIV: Final = "/usr/bin/setpriv"


def setpriv_argv(uid: int) -> list[str]:
    """Become `uid` (as group too), with no supplementary groups, no capabilities and no_new_privs."""
    return [
        SETPRIV,
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--nnp",
        "--",
    ]


@dataclass(frozen=True)
class InitFds:
    """Descriptor numbers the init sees: the tree's tar stream (None for an empty tree), "ready", bwrap's
    info pipe (closed at once), and the archive of changes."""

    tree: int | None
    ready: int
    info: int
    changes: int


@dataclass(frozen=True)
class ProcessLimits:
    """The rlimits, in the units of bash's `ulimit`, already capped at the worker's own hard limits."""

    memory_kib: int
    cpu_seconds: int
    cpu_hard_seconds: int
    processes: int
    file_kib: int
    open_files: int

    @classmethod
    def of(cls, limits: Limits, processes: int, open_files: int) -> ProcessLimits:
        return cls(
            memory_kib=clamped(limits.memory_bytes, resource.RLIMIT_AS) // 1024,
            cpu_seconds=clamped(limits.cpu_seconds, resource.RLIMIT_CPU),
            cpu_hard_seconds=clamped(limits.cpu_seconds + 1, resource.RLIMIT_CPU),
            processes=clamped(processes, resource.RLIMIT_NPROC),
            file_kib=clamped(limits.file_bytes, resource.RLIMIT_FSIZE) // 1024,
            open_files=clamped(open_files, resource.RLIMIT_NOFILE),
        )


def init_script(
    *, as_user: Sequence[str], command_env: Mapping[str, str], limits: ProcessLimits, fds: InitFds
) -> str:
    """The bash program; the command's argv follows as its positional parameters."""
    user = " ".join(shlex.quote(arg) for arg in as_user)
    env = " ".join(shlex.quote(f"{name}={value}") for name, value in command_env.items())
    mark, tick = f"{MARKS}/start", f"{MARKS}/tick"
    lines = [
        f"fail() {{ printf '{FAILURE_PREFIX} %s\\n' \"$1\" >&2; exit 125; }}",
        f"exec {fds.info}>&-",
        f"ulimit -v {limits.memory_kib} && ulimit -u {limits.processes} && ulimit -f {limits.file_kib} "
        f"&& ulimit -c 0 && ulimit -n {limits.open_files} && ulimit -St {limits.cpu_seconds} "
        f"&& ulimit -Ht {limits.cpu_hard_seconds} || fail 'cannot set the resource limits'",
        f"as_user=({user})",
        f"command_env=({env})",
    ]
    if fds.tree is not None:
        lines += [
            f'"${{as_user[@]}}" tar -x --no-same-owner --no-overwrite-dir -C {SANDBOX_WORKDIR} -f - '
            f"<&{fds.tree} || fail 'cannot copy the working tree into the sandbox'",
            f"exec {fds.tree}<&-",
        ]
    lines += [
        # Entries the command changes must get a later ctime than the mark: wait for the clock to tick.
        f": > {mark} || fail 'cannot mark the start'",
        f"until [[ {tick} -nt {mark} ]]; do : > {tick}; done",
        f"cd {SANDBOX_WORKDIR} || fail 'cannot enter {SANDBOX_WORKDIR}'",
        f'PATH={shlex.quote(command_env.get("PATH", ""))} command -v -- "$1" >/dev/null '
        '|| fail "command not found: $1"',
        f"printf R >&{fds.ready}",
        f"exec {fds.ready}>&-",
        # In the background so that `wait`, not the command's stderr, gets bash's "Killed" notice.
        # The subshell drops what bash itself exported (its environment is INIT_ENV) for the command's.
        f"( unset OLDPWD PWD SHLVL; export -n {' '.join(INIT_ENV)}; "
        f'export "${{command_env[@]}}"; exec {fds.changes}>&-; exec "${{as_user[@]}}" "$@" ) 0<&0 &',
        "wait $! 2>/dev/null",
        "status=$?",
        f"if [[ -n $(find . -mindepth 1 -cnewer {mark} -print -quit 2>/dev/null) ]]; then",
        f"  find . -mindepth 1 -cnewer {mark} -print0 2>/dev/null "
        f'| "${{as_user[@]}}" tar -c --null --no-recursion -T - -f - >&{fds.changes} 2>/dev/null',
        "fi",
        'exit "$status"',
    ]
    return "\n".join(lines)
