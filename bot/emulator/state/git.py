"""Git data as GitHub serves it: trees, blobs, commits with their files, and codeload tarballs.

A tarball is fetched in two steps like on GitHub: `GET tarball/{ref}` answers a redirect to a short-lived
signed download URL, and that URL (which needs no Authorization) serves the archive.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
from dataclasses import dataclass
from typing import Any

from bot.emulator.errors import EmulatorError, not_found, validation_failed
from bot.emulator.gitdata import tarball, walk_tree
from bot.emulator.render_git import blob_json, commit_json, file_json, tree_json
from bot.emulator.state.core import StateCore

DOWNLOAD_LIFETIME_SECONDS = 300
MAX_PULL_COMMITS = 250
_SHA = re.compile(r"[0-9a-f]{40}")
_GIT_DOCS = "https://docs.github.com/rest/git"


@dataclass(frozen=True)
class Archive:
    """A codeload tarball: the file name GitHub gives it, and its bytes."""

    filename: str
    data: bytes


class GitState(StateCore):
    """Trees, blobs, commits and archives."""

    def tree(self, full_name: str, tree_sha: str, *, recursive: bool = False) -> dict[str, Any]:
        """`GET git/trees/{tree_sha}`: a tree id, or a commit SHA or branch whose root tree is listed."""
        with self._lock:
            repo = self._repo(full_name)
            sha = tree_sha if tree_sha in repo.trees else self._root_tree(full_name, tree_sha)
            entries = list(
                itertools.islice(walk_tree(repo.trees, sha, recursive=recursive), self.tree_entry_limit + 1)
            )
            truncated = len(entries) > self.tree_entry_limit
            return tree_json(self._site(), repo, sha, entries[: self.tree_entry_limit], truncated=truncated)

    def _root_tree(self, full_name: str, ref: str) -> str:
        repo = self._repo(full_name)
        try:
            return repo.commits[self._resolve_ref(repo, ref)].tree_sha
        except EmulatorError as error:
            raise not_found(f"{_GIT_DOCS}/trees#get-a-tree") from error

    def blob(self, full_name: str, file_sha: str) -> dict[str, Any]:
        """`GET git/blobs/{file_sha}`: 422 for a malformed SHA, 404 for an unknown one."""
        with self._lock:
            repo = self._repo(full_name)
            if not _SHA.fullmatch(file_sha):
                raise validation_failed(
                    "Blob", "sha", "invalid", file_sha, documentation_url=f"{_GIT_DOCS}/blobs"
                )
            data = repo.blobs.get(file_sha)
            if data is None:
                raise not_found(f"{_GIT_DOCS}/blobs#get-a-blob")
            return blob_json(self._site(), repo, file_sha, data)

    def commit(self, full_name: str, ref: str) -> dict[str, Any]:
        """`GET commits/{ref}`: the commit with `stats` and its `files` changed against its parent."""
        with self._lock:
            repo = self._repo(full_name)
            commit = repo.commits[self._resolve_ref(repo, ref, status=422)]
            site = self._site()
            files = [
                file_json(site, repo, commit.sha, diff)
                for diff in self._diff(repo, commit.parent, commit.sha)
            ]
            return commit_json(site, repo, commit, files=files)

    def commit_sha(self, full_name: str, ref: str) -> str:
        """The full SHA `ref` names in the repository (422 when there is none, like `commits/{ref}`)."""
        with self._lock:
            repo = self._repo(full_name)
            return self._resolve_ref(repo, ref, status=422)

    def pull_request_commits(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """`GET pulls/{n}/commits`: the pull request's commits, oldest first, at most 250."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            site = self._site()
            return [commit_json(site, repo, c) for c in self._pull_commits(repo, pull)[:MAX_PULL_COMMITS]]

    def archive_sha(self, full_name: str, ref: str) -> str:
        """The commit a `tarball/{ref}` request archives (404 for an unknown ref)."""
        with self._lock:
            repo = self._repo(full_name)
            return self._resolve_ref(repo, ref)

    def download_token(self, full_name: str, sha: str) -> str:
        """A signed token valid for five minutes for downloading the archive of `sha`."""
        expires = int(self.clock()) + DOWNLOAD_LIFETIME_SECONDS
        return f"{expires}.{self._download_signature(full_name, sha, expires)}"

    def tarball(self, full_name: str, sha: str, token: str) -> Archive:
        """The archive of commit `sha`, when `token` is a valid, unexpired download token for it."""
        with self._lock:
            if not self._download_allowed(full_name, sha, token):
                raise not_found()
            repo = self._repo(full_name)
            commit = repo.commits.get(sha)
            if commit is None:
                raise not_found()
            top = f"{repo.owner.login}-{repo.name}-{sha[:7]}"
            data = tarball(commit.tree, top, commit_sha=sha, mtime=commit.timestamp)
            return Archive(f"{top}.tar.gz", data)

    def _download_signature(self, full_name: str, sha: str, expires: int) -> str:
        message = f"{full_name}\0{sha}\0{expires}".encode()
        return hmac.new(self.download_secret, message, hashlib.sha256).hexdigest()

    def _download_allowed(self, full_name: str, sha: str, token: str) -> bool:
        expires_text, _, signature = token.partition(".")
        if not expires_text.isdigit() or int(expires_text) < self.clock():
            return False
        expected = self._download_signature(full_name, sha, int(expires_text))
        return hmac.compare_digest(expected, signature)
