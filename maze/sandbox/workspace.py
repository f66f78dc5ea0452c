"""Working trees for runs: a private copy on the host, and the figures a sandbox needs about a tree."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

_PAGE: Final = 4096


def tree_bytes(root: Path) -> int:
    """What `root` occupies once copied onto a tmpfs: every file rounded up to whole pages, plus a page
    for each directory and symlink (an upper bound; tmpfs keeps short symlinks inline)."""
    total = 0
    for directory, dirnames, filenames in os.walk(root):
        total += _PAGE
        for name in filenames:
            info = os.lstat(os.path.join(directory, name))
            total += -(-info.st_size // _PAGE) * _PAGE if info.st_size else _PAGE
        for name in dirnames:
            if os.path.islink(os.path.join(directory, name)):
                total += _PAGE
    return total


def top_level_names(root: Path) -> list[str]:
    """The entries directly under `root`, each as `./name` so none can be read as an option."""
    return sorted(f"./{entry.name}" for entry in os.scandir(root))


@contextmanager
def private_copy(tree: Path, prefix: str = "maze-run-") -> Iterator[Path]:
    """A fresh copy of `tree` (symlinks kept as links) in a new private temporary directory, removed
    afterwards; for `sandbox = "none"`, where the command writes to the host directory it is given."""
    parent = Path(tempfile.mkdtemp(prefix=prefix))
    copy = parent / "tree"
    try:
        shutil.copytree(tree, copy, symlinks=True)
        yield copy
    finally:
        shutil.rmtree(parent, ignore_errors=True)
