"""Where a repository's files come from: a git working tree, a directory, or a codeload tarball.

A source lists entries (path, size, kind) and reads a file's bytes. Paths are POSIX and relative to the
root. Symlinks are listed, never followed: one that leaves the tree is reported as such, one inside it
is skipped because its target is indexed under its own path.

An entry may carry its git blob SHA, so the cache can be asked before the file is read: a GitHub tree
gives it for every file, and a git work tree for every file whose content git knows to match its index
(tracked, not modified, not flagged assume-unchanged or skip-worktree, not in a merge conflict).
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import stat
import subprocess
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import pathspec

EntryKind = Literal["file", "symlink", "symlink-outside", "outside", "submodule"]


def git_blob_sha(content: bytes) -> str:
    """The SHA git gives a blob with this content (`git hash-object`)."""
    digest = hashlib.sha1(b"blob %d\0" % len(content), usedforsecurity=False)
    digest.update(content)
    return digest.hexdigest()


@dataclass(frozen=True)
class Entry:
    """One path in a repository; `blob_sha` is known up front for GitHub trees, else None."""

    path: str
    size: int
    kind: EntryKind = "file"
    blob_sha: str | None = None
    executable: bool = False


class Source(Protocol):
    """A repository snapshot that can be listed and read."""

    def entries(self) -> Iterator[Entry]: ...

    def read(self, path: str) -> bytes: ...

    def head(self, path: str, size: int) -> bytes: ...


class SourceError(Exception):
    """The snapshot cannot be listed at all (not a directory, a corrupt archive)."""


def _stays_inside(link_directory: str, target: str) -> bool:
    """Whether a symlink in `link_directory` (relative to the root) pointing at `target` stays in the tree."""
    if posixpath.isabs(target):
        return False
    resolved = posixpath.normpath(posixpath.join(link_directory, target))
    return resolved != ".." and not resolved.startswith("../")


class DirectorySource:
    """Files under a directory: `git ls-files` inside a git work tree, else a walk honouring .gitignore.

    In a git work tree, each clean tracked file's entry carries the blob SHA from git's index, which git
    keeps in step with the files (its stat cache, re-reading a file whose stat changed); every other
    file (modified, untracked, conflicted, flagged to be assumed unchanged) is listed without one and
    is read and hashed. With eol conversion or a clean filter configured, a clean file is identified by
    the blob git stores for it, as git itself does.
    """

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise SourceError(f"{root} is not a directory")
        self.root = root.resolve()
        self._root = str(self.root)
        self._prefix = self._root.rstrip("/") + "/"

    def entries(self) -> Iterator[Entry]:
        git = self._git_listing()
        listing: Iterable[tuple[str, str | None]] = git if git is not None else self._walk_unhashed()
        for relative, blob_sha in listing:
            entry = self._entry(relative, blob_sha)
            if entry is not None:
                yield entry

    def read(self, path: str) -> bytes:
        with open(self._prefix + path, "rb") as handle:
            return handle.read()

    def head(self, path: str, size: int) -> bytes:
        with open(self._prefix + path, "rb") as handle:
            return handle.read(size)

    def _entry(self, relative: str, blob_sha: str | None = None) -> Entry | None:
        full = self._prefix + relative
        try:
            status = os.lstat(full)
        except OSError:
            return None
        mode = status.st_mode
        if stat.S_ISLNK(mode):
            outside = not Path(full).resolve().is_relative_to(self.root)
            return Entry(relative, 0, "symlink-outside" if outside else "symlink")
        if stat.S_ISDIR(mode):
            return Entry(relative, 0, "submodule") if os.path.exists(os.path.join(full, ".git")) else None
        if not stat.S_ISREG(mode):
            return None
        return Entry(relative, status.st_size, blob_sha=blob_sha)

    def _git_listing(self) -> list[tuple[str, str | None]] | None:
        """Tracked and untracked, not ignored paths in order, with the index's blob SHA of clean files.

        None when the root is not the top of a git work tree (or git cannot be run).
        """
        listing = [
            "ls-files",
            "-z",
            "-v",  # a tag per record: H cached, C modified, R deleted, lowercase assumed unchanged
            "--stage",
            "--cached",
            "--modified",
            "--others",
            "--exclude-standard",
        ]
        outputs = _run_git(self._root, [listing, ["rev-parse", "--show-toplevel"]])
        if outputs is None:
            return None
        top = os.fsdecode(outputs[1]).strip()
        if Path(top).resolve() != self.root:
            return None
        return sorted(parse_ls_files(outputs[0]).items())

    def _walk_unhashed(self) -> Iterator[tuple[str, None]]:
        for relative in self._walk():
            yield relative, None

    def _walk(self) -> Iterator[str]:
        """Every file not ignored by a .gitignore on its way down, in sorted order."""
        stack: list[tuple[Path, list[tuple[str, pathspec.GitIgnoreSpec]]]] = [(self.root, [])]
        while stack:
            directory, inherited = stack.pop()
            rules = list(inherited)
            relative_dir = directory.relative_to(self.root).as_posix()
            prefix = "" if relative_dir == "." else relative_dir + "/"
            ignore_file = directory / ".gitignore"
            if ignore_file.is_file():
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                rules.append((prefix, pathspec.GitIgnoreSpec.from_lines(lines)))
            try:
                children = sorted(os.scandir(directory), key=lambda item: item.name)
            except OSError:
                continue
            subdirectories = []
            for child in children:
                relative = prefix + child.name
                is_dir = child.is_dir(follow_symlinks=False)
                if child.name == ".git" or _ignored(rules, relative, is_dir):
                    continue
                if is_dir:
                    subdirectories.append((Path(child.path), rules))
                else:
                    yield relative
            stack.extend(reversed(subdirectories))


def _run_git(root: str, commands: list[list[str]], timeout: float = 120) -> list[bytes] | None:
    """The standard output of each git command, run at the same time in `root`; None if any fails."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command in commands:
            processes.append(
                subprocess.Popen(
                    ["git", "-C", root, *command], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
                )
            )
        outputs = [process.communicate(timeout=timeout)[0] for process in processes]
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    if any(process.returncode != 0 for process in processes):
        return None
    return outputs


_CLEAN_MODES = frozenset({"100644", "100755"})


def parse_ls_files(listing: bytes) -> dict[str, str | None]:
    """Path -> blob SHA from `git ls-files -z -v --stage --cached --modified --others` output.

    A path gets its SHA only when its one record is a cached regular file at stage 0 (tag `H`): a
    modified or deleted file has a second record (`C`, `R`), an unmerged one several stages, an
    untracked one a `?` record without a SHA, and a file flagged assume-unchanged or skip-worktree
    another tag (`h`, `S`), since git does not check its content.
    """
    found: dict[str, str | None] = {}
    for record in os.fsdecode(listing).split("\0"):  # NUL and tab are single bytes in any path
        if not record:
            continue
        if record.startswith("? "):
            found[record[2:]] = None
            continue
        header, _, path = record.partition("\t")
        fields = header.split(" ")
        clean = len(fields) == 4 and fields[0] == "H" and fields[3] == "0" and fields[1] in _CLEAN_MODES
        found[path] = fields[2] if clean and path not in found else None
    return found


def _ignored(rules: list[tuple[str, pathspec.GitIgnoreSpec]], relative: str, is_dir: bool) -> bool:
    ignored = False
    for prefix, spec in rules:
        local = relative[len(prefix) :] + ("/" if is_dir else "")
        result = spec.check_file(local)
        if result.include is not None:
            ignored = result.include
    return ignored


class TarballSource:
    """A codeload-style `.tar.gz` held in memory; the single top-level folder is stripped from paths."""

    def __init__(self, archive: bytes) -> None:
        self._files: dict[str, bytes] = {}
        self._entries: list[Entry] = []
        try:
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
                for member in tar:
                    self._add(tar, member)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise SourceError(f"unreadable tarball: {error}") from error
        self._entries.sort(key=lambda entry: entry.path)

    def _add(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        parts = member.name.split("/", 1)
        if len(parts) < 2 or not parts[1] or parts[1].endswith("/"):
            return
        path = posixpath.normpath(parts[1])
        if path.startswith("../") or path == ".." or posixpath.isabs(path):
            self._entries.append(Entry(path, 0, "outside"))
            return
        if member.issym() or member.islnk():
            inside = member.islnk() or _stays_inside(posixpath.dirname(path), member.linkname)
            self._entries.append(Entry(path, 0, "symlink" if inside else "symlink-outside"))
        elif member.isfile():
            handle = tar.extractfile(member)
            self._files[path] = handle.read() if handle is not None else b""
            self._entries.append(Entry(path, member.size, executable=bool(member.mode & 0o111)))

    def entries(self) -> Iterator[Entry]:
        return iter(self._entries)

    def read(self, path: str) -> bytes:
        return self._files[path]

    def head(self, path: str, size: int) -> bytes:
        return self._files[path][:size]
