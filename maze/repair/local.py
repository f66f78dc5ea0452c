"""What `maze review` looks at: the lines a local git working tree changed against a base.

    changed_lines(root, base) -> {path: added line numbers, or None for a whole new file}

With no base the changes are the uncommitted ones (the working tree and the index against `HEAD`); with a
base such as `main`, everything since the merge base of that ref and `HEAD`, committed or not. Lines
come from `git diff --unified=0` on the new side, so a pure deletion gives none; untracked files (that
.gitignore does not hide) are whole new files; deleted files, submodules and symlinks are left out.
Paths are relative to the top of the work tree; when `root` is a directory below the top, only files
under it are kept. Git runs from an argv list, never a shell, with a timeout.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Final

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

GIT_TIMEOUT_SECONDS: Final = 120.0
# `git hash-object -t tree /dev/null`: what a repository without commits is compared with.
EMPTY_TREE: Final = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

Changed = dict[str, set[int] | None]


class LocalReviewError(ValueError):
    """`maze review` cannot look at this tree as asked; the message says why."""


class NotAWorkTree(LocalReviewError):
    """The path is not inside a git working tree."""


class UnknownRef(LocalReviewError):
    """The base names no commit of the repository."""


class GitFailed(LocalReviewError):
    """A git command failed (or could not start, or timed out)."""


def _git(root: Path, *args: str) -> bytes:
    argv = ["git", "-C", str(root), "-c", "core.quotePath=false", *args]
    try:
        done = subprocess.run(argv, capture_output=True, check=False, timeout=GIT_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitFailed(f"git {args[0]} failed: {error}") from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise GitFailed(f"git {args[0]} failed: {message}")
    return done.stdout


def work_tree_root(path: Path) -> Path:
    """The top directory of the git working tree holding `path`."""
    if not path.is_dir():
        raise NotAWorkTree(f"{path} is not a directory")
    try:
        inside = _git(path, "rev-parse", "--is-inside-work-tree").decode().strip()
        top = _git(path, "rev-parse", "--show-toplevel").decode().strip()
    except GitFailed as error:
        raise NotAWorkTree(f"{path} is not inside a git working tree ({error})") from error
    if inside != "true" or not top:
        raise NotAWorkTree(f"{path} is not inside a git working tree")
    return Path(top).resolve()


def _commit_of(root: Path, ref: str) -> str | None:
    try:
        found = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except GitFailed:
        return None
    return found.decode().strip() or None


def _compared_with(root: Path, base: str | None) -> str:
    """The commit (or tree) the working tree is compared with."""
    if base is None or base == "HEAD":
        head = _commit_of(root, "HEAD")
        if head is None and base is None:
            return EMPTY_TREE  # no commit yet: every tracked file is new
        if head is None:
            raise UnknownRef(f"unknown ref 'HEAD': {root} has no commit yet")
        return head
    commit = _commit_of(root, base)
    if commit is None:
        raise UnknownRef(f"unknown ref {base!r}: it names no commit of the repository at {root}")
    try:
        return _git(root, "merge-base", commit, "HEAD").decode().strip()
    except GitFailed as error:
        raise UnknownRef(f"{base!r} and HEAD have no common ancestor ({error})") from error


def _added_lines(diff: bytes) -> Changed:
    try:
        patch = PatchSet(io.StringIO(diff.decode("utf-8", "replace")))
    except UnidiffParseError as error:
        raise GitFailed(f"cannot read the output of git diff: {error}") from error
    changed: Changed = {}
    for patched in patch:
        if patched.is_removed_file:
            continue
        lines = {
            line.target_line_no
            for hunk in patched
            for line in hunk
            if line.is_added and isinstance(line.target_line_no, int)
        }
        if lines:
            changed[patched.path] = lines
    return changed


def _untracked(root: Path) -> list[str]:
    listed = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--full-name", "--", ".")
    return [path for path in listed.decode("utf-8", "surrogateescape").split("\0") if path]


def _is_plain_file(top: Path, path: str) -> bool:
    target = top / path
    return target.is_file() and not target.is_symlink()


def changed_lines(root: Path, base: str | None = None) -> Changed:
    """The added and changed lines of the working tree at `root` against `base` (default `HEAD`)."""
    top = work_tree_root(root)
    against = _compared_with(root, base)
    diff = _git(
        root, "diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-renames", against, "--", "."
    )
    changed = _added_lines(diff)
    for path in _untracked(root):
        changed[path] = None
    return {path: lines for path, lines in sorted(changed.items()) if _is_plain_file(top, path)}
