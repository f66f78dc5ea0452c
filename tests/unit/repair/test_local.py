"""`changed_lines`: what a local working tree changed against HEAD or a base branch, on real git repos."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from maze.repair.local import NotAWorkTree, UnknownRef, changed_lines, work_tree_root

BASE = "def one() -> int:\n    return 1\n\n\ndef two() -> int:\n    return 2\n"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Maze Test", "-c", "user.email=maze@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "app.py").write_text(BASE, encoding="utf-8")
    (root / "gone.py").write_text("x = 1\n", encoding="utf-8")
    (root / ".gitignore").write_text("*.log\n", encoding="utf-8")
    _commit(root, "base")
    return root


def test_a_clean_tree_has_no_changes(repo: Path) -> None:
    assert changed_lines(repo, None) == {}


def test_uncommitted_changes_against_head(repo: Path) -> None:
    (repo / "app.py").write_text(
        "import os\n\ndef one() -> int:\n    return 1\n\n\ndef two() -> int:\n    return 22\n",
        encoding="utf-8",
    )
    (repo / "gone.py").unlink()
    (repo / "new.py").write_text("y = 2\n", encoding="utf-8")
    (repo / "debug.log").write_text("ignored\n", encoding="utf-8")

    changed = changed_lines(repo, None)

    # line 1 is added, line 2 is the blank line that came with it, line 8 is the changed return
    assert changed == {"app.py": {1, 2, 8}, "new.py": None}


def test_staged_changes_count_and_pure_deletions_give_no_lines(repo: Path) -> None:
    (repo / "app.py").write_text(BASE.replace("    return 2\n", "    return 3\n"), encoding="utf-8")
    _git(repo, "add", "app.py")
    (repo / "gone.py").write_text("", encoding="utf-8")

    assert changed_lines(repo, "HEAD") == {"app.py": {6}}


def test_against_a_base_branch_everything_since_the_merge_base(repo: Path) -> None:
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / "app.py").write_text(BASE + "\n\ndef three() -> int:\n    return 3\n", encoding="utf-8")
    _commit(repo, "three")
    _git(repo, "checkout", "-q", "main")
    (repo / "gone.py").write_text("x = 2\n", encoding="utf-8")
    _commit(repo, "a later change on main that the feature branch does not have")
    _git(repo, "checkout", "-q", "feature")
    (repo / "app.py").write_text(
        BASE.replace("return 1", "return 11") + "\n\ndef three() -> int:\n    return 3\n"
    )

    # committed (lines 7-10) and uncommitted (line 2) changes; main's own later commit is not the branch's
    assert changed_lines(repo, "main") == {"app.py": {2, 7, 8, 9, 10}}
    assert changed_lines(repo, None) == {"app.py": {2}}


def test_a_subdirectory_keeps_its_own_files_with_paths_from_the_top(repo: Path) -> None:
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_text("a = 1\n", encoding="utf-8")
    _commit(repo, "pkg")
    (repo / "pkg" / "mod.py").write_text("a = 1\nb = 2\n", encoding="utf-8")
    (repo / "pkg" / "extra.py").write_text("c = 3\n", encoding="utf-8")
    (repo / "app.py").write_text(BASE + "z = 0\n", encoding="utf-8")

    assert work_tree_root(repo / "pkg") == repo.resolve()
    assert changed_lines(repo / "pkg", None) == {"pkg/extra.py": None, "pkg/mod.py": {2}}
    assert set(changed_lines(repo, None)) == {"app.py", "pkg/extra.py", "pkg/mod.py"}


def test_a_repository_without_commits_is_all_new(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.py").write_text("a = 1\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("b = 1\n", encoding="utf-8")
    _git(tmp_path, "add", "a.py")

    assert changed_lines(tmp_path, None) == {"a.py": {1}, "b.py": None}
    with pytest.raises(UnknownRef, match="no commit yet"):
        changed_lines(tmp_path, "HEAD")


def test_errors_say_what_is_wrong(repo: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(NotAWorkTree, match="not inside a git working tree"):
        changed_lines(plain, None)
    with pytest.raises(UnknownRef, match="unknown ref 'no-such-branch'"):
        changed_lines(repo, "no-such-branch")
    with pytest.raises(UnknownRef, match="unknown ref '--output=/tmp/x'"):
        changed_lines(repo, "--output=/tmp/x")
    assert isinstance(UnknownRef("x"), ValueError)
