"""The pull request's head as files on the worker's disk, for validators that need a whole tree.

A head is downloaded once (GitHub's tarball) and kept under the work directory by commit SHA; candidate
trees are private copies with one file patched. Only regular files inside the tree are written: links and
paths that would leave it are dropped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from bot.github.client import GitHubClient
from maze.indexing.sources import TarballSource
from maze.repair.prover import READY_MARK as _READY


def tree_directory(work_dir: Path, full_name: str, head_sha: str) -> Path:
    return work_dir / "trees" / full_name / head_sha


def write_tarball(archive: bytes, destination: Path) -> Path:
    """Unpack a codeload tarball into `destination`, atomically: it appears whole or not at all."""
    if (destination / _READY).exists():
        return destination
    source = TarballSource(archive)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=destination.parent))
    try:
        for entry in source.entries():
            if entry.kind != "file":
                continue
            target = staging / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read(entry.path))
            if entry.executable:
                target.chmod(0o755)
        (staging / _READY).write_text("")
        try:
            os.rename(staging, destination)
        except OSError:
            if not (destination / _READY).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination


async def head_tree(client: GitHubClient, full_name: str, head_sha: str, work_dir: Path) -> Path:
    """The head's files on disk, downloaded on first use."""
    destination = tree_directory(work_dir, full_name, head_sha)
    if (destination / _READY).exists():
        return destination
    archive = await client.tarball(full_name, head_sha)
    return write_tarball(archive, destination)
