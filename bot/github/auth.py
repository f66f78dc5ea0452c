"""GitHub App authentication: the app's JWT, and installation tokens minted once, shared until near expiry."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from gidgethub.abc import GitHubAPI
from gidgethub.apps import get_jwt

from bot.github.tokens import InstallationToken, TokenStore

log = logging.getLogger("maze.github")


def _parse_expiry(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class AppAuth:
    """The app's credentials. Tokens are minted inside workers from the installation id and never logged."""

    def __init__(self, app_id: int, private_key: str, store: TokenStore) -> None:
        self._app_id = app_id
        self._private_key = private_key
        self._store = store
        self.minted: Counter[int] = Counter()

    @property
    def app_id(self) -> int:
        return self._app_id

    def app_jwt(self) -> str:
        """RS256, `iat` 60 s in the past, `exp` 10 minutes after `iat`, `iss` the app id."""
        return get_jwt(app_id=str(self._app_id), private_key=self._private_key)

    async def installation_token(self, app_api: GitHubAPI, installation_id: int, *, now: float) -> str:
        cached = await self._store.get(installation_id)
        if cached is not None and cached.fresh(now):
            return cached.token
        async with self._store.minting(installation_id):
            cached = await self._store.get(installation_id)
            if cached is not None and cached.fresh(now):
                return cached.token
            answer = await app_api.post(
                f"/app/installations/{installation_id}/access_tokens", data=b"", jwt=self.app_jwt()
            )
            token = InstallationToken(str(answer["token"]), _parse_expiry(str(answer["expires_at"])))
            await self._store.put(installation_id, token)
            self.minted[installation_id] += 1
            log.info(
                "installation token minted: installation=%s expires_at=%s",
                installation_id,
                answer["expires_at"],
            )
            return token.token

    async def forget(self, installation_id: int) -> None:
        await self._store.forget(installation_id)
