"""GitHub's JSON for repository data: changed files, contents, git trees and blobs, commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from bot.emulator.diffing import FileDiff, blob_sha
from bot.emulator.model import Account, Commit, Repository, TreeEntry
from bot.emulator.render import Site, github_base64, iso8601, node_id, user_json

MAX_CONTENT_BYTES = 1024 * 1024


def file_json(site: Site, repo: Repository, head_sha: str, diff: FileDiff) -> dict[str, Any]:
    """One entry of `pulls/{n}/files` or of a commit's `files`."""
    full = repo.full_name
    content = diff.new_content if diff.new_content is not None else diff.old_content or b""
    quoted = quote(diff.path)
    entry: dict[str, Any] = {
        "sha": blob_sha(content),
        "filename": diff.path,
        "status": diff.status,
        "additions": diff.additions,
        "deletions": diff.deletions,
        "changes": diff.changes,
        "blob_url": f"{site.repo_html(full)}/blob/{head_sha}/{quoted}",
        "raw_url": f"{site.repo_html(full)}/raw/{head_sha}/{quoted}",
        "contents_url": f"{site.repo_api(full)}/contents/{quoted}?ref={head_sha}",
    }
    patch = diff.patch
    if patch is not None:
        entry["patch"] = patch
    if diff.previous_path is not None:
        entry["previous_filename"] = diff.previous_path
    return entry


def content_json(
    site: Site, repo: Repository, ref: str, path: str, data: bytes, *, with_content: bool
) -> dict[str, Any]:
    """A file of the contents API: with its base64 `content` when fetched itself, without in a listing."""
    full = repo.full_name
    sha = blob_sha(data)
    url = f"{site.repo_api(full)}/contents/{quote(path)}?ref={quote(ref)}"
    git_url = f"{site.repo_api(full)}/git/blobs/{sha}"
    html_url = f"{site.repo_html(full)}/blob/{quote(ref)}/{quote(path)}"
    entry: dict[str, Any] = {
        "type": "file",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": f"https://raw.githubusercontent.com/{full}/{quote(ref)}/{quote(path)}",
        "_links": {"self": url, "git": git_url, "html": html_url},
    }
    if with_content:
        small = len(data) <= MAX_CONTENT_BYTES
        entry["encoding"] = "base64" if small else "none"
        entry["content"] = github_base64(data) if small else ""
    return entry


def directory_entry_json(site: Site, repo: Repository, ref: str, path: str, tree_sha: str) -> dict[str, Any]:
    """A directory in a contents listing; its `sha` is the directory's git tree id."""
    full = repo.full_name
    url = f"{site.repo_api(full)}/contents/{quote(path)}?ref={quote(ref)}"
    git_url = f"{site.repo_api(full)}/git/trees/{tree_sha}"
    html_url = f"{site.repo_html(full)}/tree/{quote(ref)}/{quote(path)}"
    return {
        "type": "dir",
        "size": 0,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": tree_sha,
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": None,
        "_links": {"self": url, "git": git_url, "html": html_url},
    }


def tree_json(
    site: Site, repo: Repository, sha: str, entries: Iterable[tuple[str, TreeEntry]], *, truncated: bool
) -> dict[str, Any]:
    """`GET git/trees/{sha}`."""
    api = site.repo_api(repo.full_name)
    rendered: list[dict[str, Any]] = []
    for path, entry in entries:
        item: dict[str, Any] = {"path": path, "mode": entry.mode, "type": entry.type, "sha": entry.sha}
        if entry.size is not None:
            item["size"] = entry.size
        item["url"] = f"{api}/git/{entry.type}s/{entry.sha}"
        rendered.append(item)
    return {"sha": sha, "url": f"{api}/git/trees/{sha}", "tree": rendered, "truncated": truncated}


def blob_json(site: Site, repo: Repository, sha: str, data: bytes) -> dict[str, Any]:
    """`GET git/blobs/{sha}`."""
    return {
        "sha": sha,
        "node_id": node_id("Blob", int(sha[:8], 16)),
        "size": len(data),
        "url": f"{site.repo_api(repo.full_name)}/git/blobs/{sha}",
        "content": github_base64(data),
        "encoding": "base64",
    }


def _git_user(account: Account, timestamp: float) -> dict[str, str]:
    return {
        "name": account.login,
        "email": f"{account.id}+{account.login}@users.noreply.github.com",
        "date": iso8601(timestamp),
    }


def commit_json(
    site: Site,
    repo: Repository,
    commit: Commit,
    *,
    files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A commit as `GET commits/{ref}` (with `files` and `stats`) or `pulls/{n}/commits` (without) show it."""
    api, html = site.repo_api(repo.full_name), site.repo_html(repo.full_name)
    git_user = _git_user(commit.author, commit.timestamp)
    parents = [commit.parent] if commit.parent else []
    rendered: dict[str, Any] = {
        "sha": commit.sha,
        "node_id": node_id("Commit", int(commit.sha[:8], 16)),
        "commit": {
            "author": git_user,
            "committer": git_user,
            "message": commit.message,
            "tree": {"sha": commit.tree_sha, "url": f"{api}/git/trees/{commit.tree_sha}"},
            "url": f"{api}/git/commits/{commit.sha}",
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "url": f"{api}/commits/{commit.sha}",
        "html_url": f"{html}/commit/{commit.sha}",
        "comments_url": f"{api}/commits/{commit.sha}/comments",
        "author": user_json(site, commit.author),
        "committer": user_json(site, commit.author),
        "parents": [
            {"sha": sha, "url": f"{api}/commits/{sha}", "html_url": f"{html}/commit/{sha}"} for sha in parents
        ],
    }
    if files is not None:
        additions = sum(int(entry["additions"]) for entry in files)
        deletions = sum(int(entry["deletions"]) for entry in files)
        rendered["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
        rendered["files"] = files
    return rendered


def directory_listing(
    site: Site,
    repo: Repository,
    ref: str,
    files: Mapping[str, bytes],
    directories: Mapping[str, str],
) -> list[dict[str, Any]]:
    """A contents listing from its files (path -> bytes) and directories (path -> tree id), by name."""
    entries = [content_json(site, repo, ref, path, data, with_content=False) for path, data in files.items()]
    entries += [directory_entry_json(site, repo, ref, path, sha) for path, sha in directories.items()]
    return sorted(entries, key=lambda entry: str(entry["name"]))
