"""GitHub App authentication: app JWTs and installation tokens cached until shortly before expiry."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from gidgethub.abc import GitHubAPI
from gidgethub.apps import get_installation_access_token, get_jwt

EXPIRY_MARGIN_SECONDS = 300.0


@dataclass(frozen=True)
class InstallationToken:
    token: str
    expires_at: float

    def fresh(self, now: float) -> bool:
        return now < self.expires_at - EXPIRY_MARGIN_SECONDS


def _parse_expiry(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class AppAuth:
    """Mints installation tokens from the app's key and keeps them in memory until near expiry.

    Shared by the threads of a process, each running its own event loop, so no asyncio primitives here.
    """

    def __init__(self, app_id: int, private_key: str) -> None:
        self._app_id = app_id
        self._private_key = private_key
        self._tokens: dict[int, InstallationToken] = {}
        self._guard = threading.Lock()

    def app_jwt(self) -> str:
        return get_jwt(app_id=str(self._app_id), private_key=self._private_key)

    async def installation_token(self, gh: GitHubAPI, installation_id: int) -> str:
        with self._guard:
            cached = self._tokens.get(installation_id)
        if cached is not None and cached.fresh(time.time()):
            return cached.token
        answer = await get_installation_access_token(
            gh, installation_id=str(installation_id), app_id=str(self._app_id), private_key=self._private_key
        )
        token = InstallationToken(str(answer["token"]), _parse_expiry(str(answer["expires_at"])))
        with self._guard:
            self._tokens[installation_id] = token
        return token.token

    def forget(self, installation_id: int) -> None:
        with self._guard:
            self._tokens.pop(installation_id, None)
