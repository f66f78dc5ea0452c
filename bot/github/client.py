"""An installation-scoped GitHub client for the calls the review pipeline makes."""

from __future__ import annotations

import base64
from typing import Any, cast

import aiohttp
from gidgethub import BadRequest
from gidgethub.aiohttp import GitHubAPI

from bot.github.auth import AppAuth

USER_AGENT = "maze-review-bot"
JSON = dict[str, Any]


class GitHubClient:
    """Calls on behalf of one installation; the token is minted (or reused) on first use."""

    def __init__(
        self, session: aiohttp.ClientSession, auth: AppAuth, installation_id: int, *, base_url: str
    ) -> None:
        self._session = session
        self._auth = auth
        self._installation_id = installation_id
        self._base_url = base_url
        self._gh: GitHubAPI | None = None

    async def _api(self) -> GitHubAPI:
        if self._gh is None:
            bare = GitHubAPI(self._session, USER_AGENT, base_url=self._base_url)
            token = await self._auth.installation_token(bare, self._installation_id)
            self._gh = GitHubAPI(self._session, USER_AGENT, oauth_token=token, base_url=self._base_url)
        return self._gh

    async def repository(self, full_name: str) -> JSON:
        return cast(JSON, await (await self._api()).getitem(f"/repos/{full_name}"))

    async def pull_request(self, full_name: str, number: int) -> JSON:
        return cast(JSON, await (await self._api()).getitem(f"/repos/{full_name}/pulls/{number}"))

    async def pull_request_files(self, full_name: str, number: int) -> list[JSON]:
        gh = await self._api()
        return [
            cast(JSON, item)
            async for item in gh.getiter(f"/repos/{full_name}/pulls/{number}/files?per_page=100")
        ]

    async def file_content(self, full_name: str, path: str, ref: str) -> bytes | None:
        """The file's bytes at `ref`, or None when the path does not exist there."""
        gh = await self._api()
        try:
            item = await gh.getitem(f"/repos/{full_name}/contents/{path}{{?ref}}", {"ref": ref})
        except BadRequest as error:
            if error.status_code == 404:
                return None
            raise
        if not isinstance(item, dict) or item.get("type") != "file":
            return None
        return base64.b64decode(str(item.get("content", "")))

    async def reviews(self, full_name: str, number: int) -> list[JSON]:
        gh = await self._api()
        return [
            cast(JSON, item)
            async for item in gh.getiter(f"/repos/{full_name}/pulls/{number}/reviews?per_page=100")
        ]

    async def create_review(
        self, full_name: str, number: int, *, commit_id: str, body: str, comments: list[dict[str, object]]
    ) -> JSON:
        data = {"commit_id": commit_id, "body": body, "event": "COMMENT", "comments": comments}
        return cast(
            JSON, await (await self._api()).post(f"/repos/{full_name}/pulls/{number}/reviews", data=data)
        )

    async def update_review(self, full_name: str, number: int, review_id: int, *, body: str) -> JSON:
        url = f"/repos/{full_name}/pulls/{number}/reviews/{review_id}"
        return cast(JSON, await (await self._api()).put(url, data={"body": body}))

    async def review_comments(self, full_name: str, number: int, review_id: int) -> list[JSON]:
        gh = await self._api()
        url = f"/repos/{full_name}/pulls/{number}/reviews/{review_id}/comments?per_page=100"
        return [cast(JSON, item) async for item in gh.getiter(url)]
