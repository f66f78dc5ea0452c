"""Builders shared by the emulator's tests: app keys, a small world of repositories, JWTs and tokens."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.emulator import (
    EmulatorState,
)
from bot.emulator.keys import generate_app_key

APP_ID = 4242
REPO = "acme/widgets"
OTHER_REPO = "zed/private-things"
BASE_LINES = [f"l{number}" for number in range(1, 31)]

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


@dataclass(frozen=True)
class Keys:
    private_pem: str
    public_pem: str
    wrong_private_pem: str


def new_keys() -> Keys:
    pair = generate_app_key()
    return Keys(pair.private_pem, pair.public_pem, generate_app_key().private_pem)


def _head_lines() -> list[str]:
    lines = list(BASE_LINES)
    lines[2] = "L3"  # hunk A: -1,6 +1,6
    del lines[28:30]  # hunk C: -26,5 +25,3 (old 29 and 30 deleted)
    del lines[14]  # hunk B: -12,7 +12,6 (old 15 deleted)
    return lines


@dataclass
class World:
    state: EmulatorState
    installation: int
    other_installation: int
    head_sha: str


def make_world(keys: Keys, clock: Callable[[], float] = time.time) -> World:
    """acme/widgets (private, pull request 1 from `feature`), zed/private-things and the public zed/open."""
    state = EmulatorState(app_id=APP_ID, app_public_key_pem=keys.public_pem, clock=clock)
    installation = state.add_installation("acme")
    other = state.add_installation("zed", "User")
    files = {
        "src/calc.py": "\n".join(BASE_LINES) + "\n",
        "README.md": "# Widgets\n",
        "docs/guide.md": "hello\n",
    }
    state.create_repository(installation, REPO, files, private=True)
    state.create_repository(other, OTHER_REPO, {"a.txt": "a\n"}, private=True)
    state.create_repository(other, "zed/open", {"a.txt": "a\n"})
    head = state.push(
        REPO,
        "feature",
        {"src/calc.py": "\n".join(_head_lines()) + "\n", "NOTES": "no newline", "docs/guide.md": None},
    )
    state.open_pull_request(REPO, head="feature", title="Improve calc", body="Please review")
    return World(state, installation, other, head)


def app_jwt(
    private_pem: str, *, iat: float | None = None, exp: float | None = None, iss: Any = APP_ID
) -> str:
    """An app JWT; signed through PyJWS because PyJWT's encoder refuses the integer `iss` GitHub accepts."""
    now = time.time()
    claims = {
        "iat": int(now - 60 if iat is None else iat),
        "exp": int(now + 540 if exp is None else exp),
        "iss": iss,
    }
    return jwt.PyJWS().encode(json.dumps(claims).encode(), private_pem, algorithm="RS256")


def bearer(keys: Keys) -> dict[str, str]:
    return {"Authorization": f"Bearer {app_jwt(keys.private_pem)}"}


async def mint(client: Client, keys: Keys, installation: int) -> str:
    response = await client.post(f"/app/installations/{installation}/access_tokens", headers=bearer(keys))
    assert response.status == 201
    token: str = (await response.json())["token"]
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


async def post_review(client: Client, token: str, payload: dict[str, Any]) -> aiohttp.ClientResponse:
    return await client.post(f"/repos/{REPO}/pulls/1/reviews", json=payload, headers=auth(token))
