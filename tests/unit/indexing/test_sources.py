"""Listing repository snapshots: git work trees, plain directories with .gitignore, codeload tarballs."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from maze.indexing.sources import DirectorySource, Entry, SourceError, TarballSource, git_blob_sha


def _write(root: Path, files: dict[str, str]) -> None:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)


def test_blob_sha_matches_git(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"hello\nworld\n")
    expected = subprocess.run(
        ["git", "hash-object", str(tmp_path / "f")], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert git_blob_sha(b"hello\nworld\n") == expected


def test_plain_directory_honours_nested_gitignore(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".gitignore": "*.log\nbuild/\n!keep.log\n",
            "app.py": "x = 1\n",
            "debug.log": "no\n",
            "keep.log": "yes\n",
            "build/out.py": "no\n",
            "pkg/.gitignore": "secret.py\n",
            "pkg/secret.py": "no\n",
            "pkg/mod.py": "yes\n",
            "other/secret.py": "yes: the rule is pkg's own\n",
        },
    )
    paths = [entry.path for entry in DirectorySource(tmp_path).entries()]
    assert paths == [".gitignore", "app.py", "keep.log", "other/secret.py", "pkg/.gitignore", "pkg/mod.py"]


def test_git_work_tree_lists_tracked_and_untracked_not_ignored(tmp_path: Path) -> None:
    _write(tmp_path, {".gitignore": "ignored.py\n", "tracked.py": "a = 1\n", "ignored.py": "b = 2\n"})
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "tracked.py", ".gitignore"], check=True)
    (tmp_path / "new.py").write_text("c = 3\n")
    paths = [entry.path for entry in DirectorySource(tmp_path).entries()]
    assert paths == [".gitignore", "new.py", "tracked.py"]


def test_symlinks_are_listed_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("TOKEN = 1\n")
    root = tmp_path / "repo"
    _write(root, {"real.py": "x = 1\n"})
    os.symlink("real.py", root / "alias.py")
    os.symlink(outside / "secret.py", root / "escape.py")
    os.symlink("../outside", root / "escape_dir")
    os.symlink("missing.py", root / "dangling.py")
    entries = {entry.path: entry.kind for entry in DirectorySource(root).entries()}
    assert entries == {
        "alias.py": "symlink",
        "dangling.py": "symlink",
        "escape.py": "symlink-outside",
        "escape_dir": "symlink-outside",
        "real.py": "file",
    }


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is not a directory"):
        DirectorySource(tmp_path / "nope")


def _tarball(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def _file(name: str, data: bytes, mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    return info, data


def _link(name: str, target: str) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, b""


def test_tarball_strips_the_top_folder_and_classifies_links() -> None:
    directory = tarfile.TarInfo("octo-repo-abc123/src")
    directory.type = tarfile.DIRTYPE
    archive = _tarball(
        [
            (directory, b""),
            _file("octo-repo-abc123/src/app.py", b"x = 1\n"),
            _file("octo-repo-abc123/bin/run", b"#!/usr/bin/env python\n", 0o755),
            _link("octo-repo-abc123/src/alias.py", "app.py"),
            _link("octo-repo-abc123/src/up.py", "../../../etc/passwd"),
            _link("octo-repo-abc123/src/abs.py", "/etc/passwd"),
            _file("octo-repo-abc123/../evil.py", b"x = 2\n"),
        ]
    )
    source = TarballSource(archive)
    entries = {entry.path: entry for entry in source.entries()}
    assert entries["src/app.py"] == Entry("src/app.py", 6)
    assert entries["bin/run"].executable
    assert entries["src/alias.py"].kind == "symlink"
    assert entries["src/up.py"].kind == "symlink-outside"
    assert entries["src/abs.py"].kind == "symlink-outside"
    assert entries["../evil.py"].kind == "outside"
    with pytest.raises(KeyError):
        source.read("../evil.py")
    assert source.read("src/app.py") == b"x = 1\n"
    assert source.head("bin/run", 2) == b"#!"


def test_corrupt_tarball_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="unreadable tarball"):
        TarballSource(b"\x1f\x8b not really gzip")
