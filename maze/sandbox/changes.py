"""Bringing what a run changed under /work back into the host workdir, and nothing outside it.

Inside the sandbox /work is a tmpfs; after the command ends, the init archives the entries whose status
changed during the run. The worker extracts that archive with tarfile's "data" filter, which refuses
absolute names, `..`, links leading out of the workdir (existing symlinks on the host are resolved
too), device files and set-id bits, and never chowns. Deletions are not carried back.
"""

from __future__ import annotations

import logging
import tarfile
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


def apply_changes(archive: IO[bytes], workdir: Path) -> list[str]:
    """Extract `archive` (an uncompressed tar, read from the start) into `workdir`; one line per refusal."""
    problems: list[str] = []
    archive.seek(0)
    if not archive.read(512).strip(b"\0"):
        return problems
    if not hasattr(tarfile, "data_filter"):
        problems.append("this Python's tarfile has no extraction filters (3.11.4 or later needed)")
        log.warning("changes under /work are not copied back: %s", problems[0])
        return problems
    archive.seek(0)
    try:
        with tarfile.open(fileobj=archive, mode="r:") as tar:
            for member in tar:
                try:
                    tar.extract(member, workdir, filter="data")
                except (tarfile.TarError, OSError) as error:
                    problems.append(f"{member.name}: {error}")
    except tarfile.TarError as error:
        problems.append(f"the archive of changes is unreadable: {error}")
    for problem in problems:
        log.warning("not copied back from the sandbox: %s", problem)
    return problems
