"""A tree as validators see it: its files (honouring .gitignore) with content hashes, and private copies."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from maze.indexing.sources import DirectorySource

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Snapshot:
    """Regular files of a tree by POSIX path, each with the sha256 of its bytes; symlinks inside the tree."""

    root: Path
    files: dict[str, str]
    symlinks: dict[str, str]

    @classmethod
    def of(cls, root: Path) -> Snapshot:
        source = DirectorySource(root)
        files: dict[str, str] = {}
        symlinks: dict[str, str] = {}
        for entry in source.entries():
            if entry.kind == "file":
                files[entry.path] = hashlib.sha256(source.read(entry.path)).hexdigest()
            elif entry.kind == "symlink":
                symlinks[entry.path] = os.readlink(source.root / entry.path)
        return cls(source.root, files, symlinks)

    def paths(self, suffixes: tuple[str, ...]) -> list[str]:
        """Paths of files whose name ends with one of `suffixes`, sorted."""
        return sorted(path for path in self.files if path.endswith(suffixes))

    def has(self, path: str) -> bool:
        return path in self.files

    def read_text(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8", errors="replace")

    def content_hash(self, paths: Iterable[str], *, extra: Iterable[str] = ()) -> str:
        """sha256 over sorted (path, content hash) of `paths` that exist, then the `extra` strings."""
        digest = hashlib.sha256()
        for path in sorted(set(paths)):
            if path in self.files:
                digest.update(f"{path}\0{self.files[path]}\n".encode())
        for item in extra:
            digest.update(f"+{item}\n".encode())
        return digest.hexdigest()

    def config_hash(self, names: Iterable[str], *, extra: Iterable[str] = ()) -> str:
        """Hash of every file called one of `names` at any depth, plus `extra` (a tool's own flags)."""
        wanted = set(names)
        return self.content_hash((p for p in self.files if PurePosixPath(p).name in wanted), extra=extra)

    def copy_to(self, destination: Path) -> None:
        """Copy the files and inner symlinks into `destination`, keeping modification times."""
        for path in sorted(self.files):
            target = destination / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.root / path, target, follow_symlinks=False)
        for path, link in sorted(self.symlinks.items()):
            target = destination / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(link)
