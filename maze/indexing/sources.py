"""Where a repository's files come from: a git working tree, a directory, or a codeload tarball.

A source lists entries (path, size, kind) and reads a file's bytes. Paths are POSIX and relative to the
root. Symlinks are listed, never followed: one that leaves the tree is reported as such, one inside it
is skipped because its target is indexed under its own path.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import subprocess
import tarfile
from collections.abc import Iterator
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
    """Files under a directory: `git ls-files` inside a git work tree, else a walk honouring .gitignore."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise SourceError(f"{root} is not a directory")
        self.root = root.resolve()

    def entries(self) -> Iterator[Entry]:
        paths = self._git_paths()
        for relative in paths if paths is not None else self._walk():
            entry = self._entry(relative)
            if entry is not None:
                yield entry

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def head(self, path: str, size: int) -> bytes:
        with (self.root / path).open("rb") as handle:
            return handle.read(size)

    def _entry(self, relative: str) -> Entry | None:
        full = self.root / relative
        try:
            status = full.lstat()
        except OSError:
            return None
        if full.is_symlink():
            outside = not full.resolve().is_relative_to(self.root)
            return Entry(relative, 0, "symlink-outside" if outside else "symlink")
        if full.is_dir():
            return Entry(relative, 0, "submodule") if (full / ".git").exists() else None
        if not full.is_file():
            return None
        return Entry(relative, status.st_size)

    def _git_paths(self) -> list[str] | None:
        try:
            listing = subprocess.run(
                ["git", "-C", str(self.root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                capture_output=True,
                check=True,
                timeout=120,
            ).stdout
            top = subprocess.run(
                ["git", "-C", str(self.root), "rev-parse", "--show-toplevel"],
                capture_output=True,
                check=True,
                text=True,
                timeout=30,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
            return None
        if Path(top).resolve() != self.root:
            return None
        return sorted({os.fsdecode(item) for item in listing.split(b"\0") if item})

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
