"""What a sandboxed process sees of the filesystem, as bwrap arguments.

Read-only: /usr with the /bin, /lib... links of the host, a few /etc entries (the dynamic linker's
cache, alternatives, time zone, CA certificates) and the toolchain prefixes at their host paths; stub
/etc/passwd, group and hosts. Small files are copied in rather than mounted, since every mount costs
bwrap time. A new /proc and a minimal /dev. Size-limited tmpfs: /tmp, /dev/shm, /work and /.maze (the
init's private marks). Everything else, the root included, is read-only, and nothing of /root, /home,
/var, /run, the host's /tmp or the host's /work is there at all.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from maze.sandbox import environment
from maze.sandbox.api import SANDBOX_WORKDIR, Limits, Mount

HOSTNAME: Final = "maze-sandbox"
MARKS: Final = "/.maze"
MARKS_BYTES: Final = 1024**2
SHM_BYTES: Final = 64 * 1024**2
_ROOT_LINKS: Final = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_ETC_FILES: Final = ("ld.so.cache", "nsswitch.conf", "localtime", "os-release")
"""Copied into the sandbox's /etc (or recreated as the same symlink into /usr): no mount each."""
_ETC_DIRS: Final = ("alternatives", "ssl/certs")
"""Bound read-only: many small entries."""
_FORBIDDEN_TARGETS: Final = ("/proc", "/dev", SANDBOX_WORKDIR, MARKS)


def default_toolchain() -> tuple[Path, ...]:
    """Host directories outside /usr that tools need: this interpreter's prefixes and node's, if any."""
    candidates = [Path(sys.base_prefix), Path(sys.prefix)]
    node = shutil.which("node")
    if node is not None:
        candidates.append(Path(node).resolve().parent.parent)
    found: list[Path] = []
    for candidate in candidates:
        for path in (candidate, candidate.resolve()):
            if path.is_dir() and not _under(PurePosixPath(path), PurePosixPath("/usr")) and path not in found:
                found.append(path)
    return tuple(found)


def _under(path: PurePosixPath, parent: PurePosixPath) -> bool:
    return path == parent or parent in path.parents


def _ancestors(target: str) -> Iterator[str]:
    """`/a/b/c` -> `/a`, `/a/b` (neither `/` nor the target itself)."""
    parts = PurePosixPath(target).parts[1:-1]
    for index in range(1, len(parts) + 1):
        yield "/" + "/".join(parts[:index])


def check_mount(mount: Mount) -> None:
    """ValueError for an extra mount that is not a plain absolute target or would hide the sandbox's own."""
    target = PurePosixPath(mount.target)
    if not target.is_absolute() or ".." in target.parts or str(target) == "/":
        raise ValueError(f"extra mount target {mount.target!r} must be an absolute path below /")
    if any(_under(target, PurePosixPath(forbidden)) for forbidden in _FORBIDDEN_TARGETS):
        raise ValueError(f"extra mount target {mount.target!r} would cover /proc, /dev, {SANDBOX_WORKDIR}")
    if not mount.source.exists():
        raise ValueError(f"extra mount source {mount.source} does not exist")


@dataclass(frozen=True)
class EtcFiles:
    """The host /etc entries the sandbox gets: files to copy, symlinks to recreate."""

    copies: dict[str, Path]
    symlinks: dict[str, str]


def etc_files() -> EtcFiles:
    copies: dict[str, Path] = {}
    symlinks: dict[str, str] = {}
    for name in _ETC_FILES:
        host = Path("/etc", name)
        if host.is_symlink() and _under(PurePosixPath(host.resolve()), PurePosixPath("/usr")):
            symlinks[str(host)] = os.readlink(host)
        elif host.is_file():
            copies[str(host)] = host
    return EtcFiles(copies, symlinks)


def stub_files(uid: int) -> dict[str, str]:
    """/etc files written for the sandbox: the sandbox user, and localhost only."""
    user, home = environment.SANDBOX_USER, environment.SANDBOX_HOME
    return {
        "/etc/passwd": (
            "root:x:0:0:root:/root:/usr/sbin/nologin\n"
            f"{user}:x:{uid}:{uid}::{home}:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        ),
        "/etc/group": f"root:x:0:\n{user}:x:{uid}:\nnogroup:x:65534:\n",
        "/etc/hosts": f"127.0.0.1 localhost {HOSTNAME}\n::1 localhost ip6-localhost\n",
    }


def filesystem_args(
    *,
    toolchain: Sequence[Path],
    mounts: Sequence[Mount],
    file_fds: Mapping[str, int],
    symlinks: Mapping[str, str],
    limits: Limits,
    work_bytes: int,
) -> list[str]:
    """The bwrap mount operations, in order; the root and /dev end read-only."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _ROOT_LINKS:
        host = Path("/", name)
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    made: set[str] = set()

    def parents(target: str) -> list[str]:
        # Without explicit modes bwrap may create intermediate directories the sandbox user cannot enter.
        created: list[str] = []
        for ancestor in _ancestors(target):
            if ancestor not in made:
                made.add(ancestor)
                created += ["--perms", "0755", "--dir", ancestor]
        return created

    for name in _ETC_DIRS:
        args += [*parents(f"/etc/{name}"), "--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for target, link in symlinks.items():
        args += [*parents(target), "--symlink", link, target]
    for target, fd in file_fds.items():
        args += [*parents(target), "--perms", "0644", "--file", str(fd), target]
    for prefix in toolchain:
        args += [*parents(str(prefix)), "--ro-bind", str(prefix), str(prefix)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", environment.SANDBOX_TMP]
    args += ["--perms", "1777", "--dir", environment.SANDBOX_HOME]
    args += ["--perms", "1777", "--size", str(min(SHM_BYTES, limits.tmp_bytes)), "--tmpfs", "/dev/shm"]
    args += ["--perms", "0777", "--size", str(work_bytes), "--tmpfs", SANDBOX_WORKDIR]
    args += ["--perms", "0700", "--size", str(MARKS_BYTES), "--tmpfs", MARKS]
    for mount in mounts:
        args += [*parents(mount.target), "--bind" if mount.writable else "--ro-bind", str(mount.source)]
        args.append(mount.target)
    args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    return args
