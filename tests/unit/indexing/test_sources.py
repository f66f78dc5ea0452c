"""Listing repository snapshots: git work trees, plain directories with .gitignore, codeload tarballs."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from maze.indexing.sources import (
    DirectorySource,
    Entry,
    SourceError,
    TarballSource,
    git_blob_sha,
    parse_ls_files,
)


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


def _git(root: Path, *arguments: str) -> str:
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    environment = {**os.environ, **identity, "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(
        ["git", "-C", str(root), *arguments], check=True, capture_output=True, text=True, env=environment
    ).stdout


def test_git_work_tree_gives_the_blob_sha_of_clean_files_only(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"clean.py": "a = 1\n", "edited.py": "b = 2\n", "assumed.py": "c = 3\n", "pkg/deep.py": "d = 4\n"},
    )
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "--no-gpg-sign", "-m", "first")
    (tmp_path / "edited.py").write_text("b = 22\n")
    (tmp_path / "assumed.py").write_text("c = 33\n")
    _git(tmp_path, "update-index", "--assume-unchanged", "assumed.py")
    (tmp_path / "new.py").write_text("e = 5\n")
    os.symlink("clean.py", tmp_path / "alias.py")
    _git(tmp_path, "add", "alias.py")

    entries = {entry.path: entry for entry in DirectorySource(tmp_path).entries()}
    assert sorted(entries) == ["alias.py", "assumed.py", "clean.py", "edited.py", "new.py", "pkg/deep.py"]
    for clean in ("clean.py", "pkg/deep.py"):
        expected = _git(tmp_path, "hash-object", clean).strip()
        assert entries[clean].blob_sha == expected == git_blob_sha((tmp_path / clean).read_bytes())
        assert entries[clean].size == (tmp_path / clean).stat().st_size
    # Modified, flagged assume-unchanged (git does not look at it), untracked: read and hashed instead.
    assert entries["edited.py"].blob_sha is None
    assert entries["assumed.py"].blob_sha is None
    assert entries["new.py"].blob_sha is None
    assert entries["alias.py"].kind == "symlink" and entries["alias.py"].blob_sha is None


def test_ls_files_records() -> None:
    sha = "a" * 40
    listing = b"\0".join(
        [
            b"H 100644 " + sha.encode() + b" 0\tclean.py",
            b"H 100755 " + sha.encode() + b" 0\tbin/tool",
            b"H 100644 " + sha.encode() + b" 0\tchanged.py",
            b"C 100644 " + sha.encode() + b" 0\tchanged.py",
            b"H 100644 " + sha.encode() + b" 0\tgone.py",
            b"R 100644 " + sha.encode() + b" 0\tgone.py",
            b"C 100644 " + sha.encode() + b" 0\tgone.py",
            b"h 100644 " + sha.encode() + b" 0\tassumed.py",
            b"S 100644 " + sha.encode() + b" 0\tsparse.py",
            b"M 100644 " + sha.encode() + b" 1\tconflict.py",
            b"M 100644 " + sha.encode() + b" 2\tconflict.py",
            b"H 120000 " + sha.encode() + b" 0\tlink.py",
            b"H 160000 " + sha.encode() + b" 0\tvendor/sub",
            b"? untracked with space.py",
            b"H 100644 " + sha.encode() + b" 0\ttab\tin name.py",
            b"",
        ]
    )
    assert parse_ls_files(listing) == {
        "clean.py": sha,
        "bin/tool": sha,
        "changed.py": None,
        "gone.py": None,
        "assumed.py": None,
        "sparse.py": None,
        "conflict.py": None,
        "link.py": None,
        "vendor/sub": None,
        "untracked with space.py": None,
        "tab\tin name.py": sha,
    }
