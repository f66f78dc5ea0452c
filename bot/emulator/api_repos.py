"""Handlers for repository data: the repository, contents, git trees and blobs, commits, tarballs, and a
collaborator's permission.

`GET tarball/{ref}` answers 302 to `/_emulator/codeload/{owner}/{repo}/tar.gz/{sha}?token=...` on the
emulator's own address (codeload.github.com on GitHub): a short-lived signed URL that needs no credentials.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from bot.emulator.auth import repository_access
from bot.emulator.httputil import paginated, state_of

CODELOAD_PATH = "/_emulator/codeload/{owner}/{repo}/tar.gz/{sha}"


async def get_repository(request: web.Request) -> web.Response:
    name = repository_access(request, "metadata")
    return web.json_response(state_of(request).repository(name))


async def get_contents(request: web.Request) -> web.Response:
    name = repository_access(request, "contents")
    path = request.match_info.get("path", "")
    contents = state_of(request).contents(name, path, request.query.get("ref") or None)
    return web.json_response(contents)


async def get_tree(request: web.Request) -> web.Response:
    name = repository_access(request, "contents")
    recursive = request.query.get("recursive") not in (None, "", "0", "false")
    tree = state_of(request).tree(name, request.match_info["tree_sha"], recursive=recursive)
    return web.json_response(tree)


async def get_blob(request: web.Request) -> web.Response:
    name = repository_access(request, "contents")
    return web.json_response(state_of(request).blob(name, request.match_info["file_sha"]))


async def get_commit(request: web.Request) -> web.Response:
    name = repository_access(request, "contents")
    return web.json_response(state_of(request).commit(name, request.match_info["ref"]))


async def get_collaborator_permission(request: web.Request) -> web.Response:
    name = repository_access(request, "metadata")
    permission = state_of(request).collaborator_permission(name, request.match_info["username"])
    return web.json_response(permission)


async def list_pull_commits(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests")
    commits = state_of(request).pull_request_commits(name, int(request.match_info["pull_number"]))
    return paginated(request, commits)


async def download_tarball(request: web.Request) -> web.Response:
    """302 to a signed download URL of the archive (the redirect itself needs the caller's credentials)."""
    name = repository_access(request, "contents")
    state = state_of(request)
    sha = state.archive_sha(name, request.match_info["ref"])
    owner, repo = name.split("/")
    path = CODELOAD_PATH.format(owner=quote(owner), repo=quote(repo), sha=sha)
    token = state.download_token(name, sha)
    location = f"{request.url.origin()}{path}?token={token}"
    return web.Response(status=302, headers={"Location": location})


async def codeload(request: web.Request) -> web.Response:
    """The archive behind a download URL; 404 when its token is missing, wrong or expired."""
    name = f"{request.match_info['owner']}/{request.match_info['repo']}"
    archive = state_of(request).tarball(name, request.match_info["sha"], request.query.get("token", ""))
    return web.Response(
        body=archive.data,
        content_type="application/x-gzip",
        headers={"Content-Disposition": f"attachment; filename={archive.filename}"},
    )
