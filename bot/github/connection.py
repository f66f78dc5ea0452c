"""The process-wide link to GitHub: one HTTP session, the app's credentials, write pacing, ETag caches."""

from __future__ import annotations

import time
from typing import Any, cast

import aiohttp
from cachetools import LRUCache

from bot.github.api import MazeGitHubAPI, RetryPolicy
from bot.github.auth import AppAuth
from bot.github.pacing import WritePacer

ETAG_ENTRIES_PER_INSTALLATION = 512
INSTALLATIONS_CACHED = 256


class GitHubConnection:
    """Shared by every review of a process; build it inside the event loop that will use it."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        auth: AppAuth,
        pacer: WritePacer,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.auth = auth
        self.pacer = pacer
        self.policy = policy or RetryPolicy()
        self._etags: LRUCache[int, LRUCache[str, Any]] = LRUCache(maxsize=INSTALLATIONS_CACHED)

    @property
    def graphql_url(self) -> str:
        """GitHub's GraphQL endpoint beside the REST base (`/api/v3` becomes `/api/graphql` on Enterprise)."""
        base = self.base_url.rstrip("/")
        return base.removesuffix("/v3") + "/graphql" if base.endswith("/api/v3") else base + "/graphql"

    def app_api(self) -> MazeGitHubAPI:
        """Requests made as the app itself (pass `jwt=` per call); safe to repeat, as they create nothing."""
        return MazeGitHubAPI(
            self.session,
            base_url=self.base_url,
            installation_id=None,
            pacer=self.pacer,
            policy=self.policy,
            repeat_posts=True,
        )

    def _etag_cache(self, installation_id: int) -> LRUCache[str, Any]:
        cache = self._etags.get(installation_id)
        if cache is None:
            cache = LRUCache(maxsize=ETAG_ENTRIES_PER_INSTALLATION)
            self._etags[installation_id] = cache
        return cache

    async def installation_api(self, installation_id: int) -> MazeGitHubAPI:
        token = await self.auth.installation_token(self.app_api(), installation_id, now=time.time())
        return MazeGitHubAPI(
            self.session,
            base_url=self.base_url,
            installation_id=installation_id,
            pacer=self.pacer,
            policy=self.policy,
            oauth_token=token,
            cache=self._etag_cache(installation_id),
        )

    async def app_installation(self, installation_id: int) -> dict[str, Any]:
        """GET /app/installations/{id}, as the app."""
        url = f"/app/installations/{installation_id}"
        return cast(dict[str, Any], await self.app_api().getitem(url, jwt=self.auth.app_jwt()))
