"""Git objects of an emulated repository: real tree ids, recursive listings and codeload tarballs.

Tree ids are git's own (`git write-tree` on the same files gives the same id), so the `sha` of a directory in
the contents API, a tree in `git/trees` and `commit.tree.sha` agree with each other and with git.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterator, Mapping

from bot.emulator.diffing import blob_sha
from bot.emulator.model import TreeEntry

FILE_MODE = "100644"
TREE_MODE = "040000"
TARBALL_FILE_MODE = 0o664
TARBALL_DIR_MODE = 0o775


def _sort_key(entry: TreeEntry) -> bytes:
    """Git orders tree entries by name, comparing a directory as if its name ended with "/"."""
    suffix = "/" if entry.type == "tree" else ""
    return (entry.name + suffix).encode("utf-8")


def _tree_sha(entries: tuple[TreeEntry, ...]) -> str:
    body = b"".join(
        f"{entry.mode.lstrip('0')} {entry.name}".encode() + b"\0" + bytes.fromhex(entry.sha)
        for entry in entries
    )
    return hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()


def build_trees(files: Mapping[str, bytes]) -> tuple[str, dict[str, tuple[TreeEntry, ...]]]:
    """The root tree id of `files` (path -> content) and every tree object it is made of, by id."""
    trees: dict[str, tuple[TreeEntry, ...]] = {}
    root = _build(files, "", trees)
    return root, trees


def _build(files: Mapping[str, bytes], prefix: str, trees: dict[str, tuple[TreeEntry, ...]]) -> str:
    blobs: dict[str, bytes] = {}
    subdirectories: set[str] = set()
    for path, data in files.items():
        if not path.startswith(prefix):
            continue
        head, slash, _ = path[len(prefix) :].partition("/")
        if slash:
            subdirectories.add(head)
        else:
            blobs[head] = data
    entries = [TreeEntry(name, FILE_MODE, "blob", blob_sha(data), len(data)) for name, data in blobs.items()]
    for name in subdirectories:
        sha = _build(files, f"{prefix}{name}/", trees)
        entries.append(TreeEntry(name, TREE_MODE, "tree", sha, None))
    ordered = tuple(sorted(entries, key=_sort_key))
    sha = _tree_sha(ordered)
    trees[sha] = ordered
    return sha


def walk_tree(
    trees: Mapping[str, tuple[TreeEntry, ...]], sha: str, *, recursive: bool, prefix: str = ""
) -> Iterator[tuple[str, TreeEntry]]:
    """(path, entry) pairs of tree `sha`, each directory before its contents, as `git ls-tree -r -t`."""
    for entry in trees[sha]:
        path = prefix + entry.name
        yield path, entry
        if recursive and entry.type == "tree":
            yield from walk_tree(trees, entry.sha, recursive=True, prefix=path + "/")


def directory_sha(trees: Mapping[str, tuple[TreeEntry, ...]], root: str, path: str) -> str | None:
    """The tree id of directory `path` under root tree `root`, or None when it is not a directory."""
    sha = root
    for part in filter(None, path.split("/")):
        entry = next((e for e in trees[sha] if e.name == part and e.type == "tree"), None)
        if entry is None:
            return None
        sha = entry.sha
    return sha


def tarball(files: Mapping[str, bytes], top: str, *, commit_sha: str, mtime: float) -> bytes:
    """A gzip tar of `files` under the folder `top`, shaped like codeload.github.com's archives."""
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": commit_sha}
    ) as archive:
        for directory in [top, *(f"{top}/{name}" for name in _directories(files))]:
            info = tarfile.TarInfo(directory + "/")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, TARBALL_DIR_MODE, int(mtime)
            archive.addfile(info)
        for path in sorted(files):
            data = files[path]
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size, info.mode, info.mtime = len(data), TARBALL_FILE_MODE, int(mtime)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _directories(files: Mapping[str, bytes]) -> list[str]:
    found: set[str] = set()
    for path in files:
        parts = path.split("/")[:-1]
        found.update("/".join(parts[: depth + 1]) for depth in range(len(parts)))
    return sorted(found)
