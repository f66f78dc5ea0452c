"""Who a request is: the app (RS256 JWT), an installation or user (token), or an anonymous client.

`/app/...` wants the app's JWT (`Authorization: Bearer <jwt>`); repository endpoints want a token
(`Authorization: token <t>` or `Bearer <t>`). A token of another installation sees a public repository
read-only and a private one not at all (404); without credentials, public repositories can be read at the
unauthenticated rate limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web

from bot.emulator.errors import DOCS_URL, EmulatorError
from bot.emulator.httputil import full_name, state_of
from bot.emulator.state import UNAUTHENTICATED_RATE_LIMIT, EmulatorState, Principal

JWT_MAX_LIFETIME_SECONDS = 600
JWT_LIFETIME_LEEWAY_SECONDS = 60
JWT_CLOCK_DRIFT_SECONDS = 60
JWT_EXPIRY_LEEWAY_SECONDS = 10
JWT_UNDECODABLE = "A JSON web token could not be decoded"


@dataclass(frozen=True)
class Caller:
    """Who a request authenticates as, and which rate-limit bucket it draws from."""

    identity: str
    limit: int | None = None
    installation_id: int | None = None
    is_app: bool = False
    jwt_error: str | None = None
    sent_credentials: bool = False
    token: str | None = None
    permissions: Mapping[str, str] | None = None
    user_login: str | None = None
    suspended: bool = False

    @property
    def writes_content(self) -> bool:
        """Whether the caller's writes count against the secondary limits (installations and users)."""
        return self.installation_id is not None or self.user_login is not None


CALLER = web.RequestKey("maze.emulator.caller", Caller)


def identify_caller(state: EmulatorState, request: web.Request) -> Caller:
    """Resolve the Authorization header to an installation, a user, the app, or an anonymous client."""
    anonymous = f"ip:{request.remote or 'unknown'}"
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return Caller(anonymous, UNAUTHENTICATED_RATE_LIMIT)
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() not in ("token", "bearer") or not credential:
        return Caller(anonymous, UNAUTHENTICATED_RATE_LIMIT, sent_credentials=True)
    info = state.token_info(credential)
    if info is not None and info.installation_id is not None:
        return Caller(
            f"installation:{info.installation_id}",
            installation_id=info.installation_id,
            token=credential,
            permissions=info.permissions,
            suspended=info.suspended,
        )
    if info is not None and info.user_login is not None:
        return Caller(f"user:{info.user_login}", token=credential, user_login=info.user_login)
    if credential.count(".") == 2:
        problem = verify_app_jwt(state, credential)
        if problem is None:
            return Caller(f"app:{state.app_id}", is_app=True)
        return Caller(anonymous, UNAUTHENTICATED_RATE_LIMIT, jwt_error=problem, sent_credentials=True)
    return Caller(anonymous, UNAUTHENTICATED_RATE_LIMIT, sent_credentials=True)


def verify_app_jwt(state: EmulatorState, token: str) -> str | None:
    """None when `token` is a valid app JWT; otherwise the message GitHub answers with its 401."""
    try:
        claims = jwt.decode(
            token,
            state.app_public_key_pem,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_iss": False},
        )
    except jwt.PyJWTError:
        return JWT_UNDECODABLE
    return _jwt_claims_problem(state, claims)


def _numeric_claim(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _jwt_claims_problem(state: EmulatorState, claims: Mapping[str, Any]) -> str | None:
    now = state.clock()
    issued_at, expires_at = _numeric_claim(claims, "iat"), _numeric_claim(claims, "exp")
    if issued_at is None or issued_at > now + JWT_CLOCK_DRIFT_SECONDS:
        return (
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
        )
    if expires_at is None or expires_at <= now:
        return (
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which "
            "the assertion expires"
        )
    too_long = expires_at - issued_at > JWT_MAX_LIFETIME_SECONDS + JWT_LIFETIME_LEEWAY_SECONDS
    if too_long or expires_at - now > JWT_MAX_LIFETIME_SECONDS + JWT_EXPIRY_LEEWAY_SECONDS:
        return "'Expiration time' claim ('exp') is too far in the future"
    if str(claims.get("iss")) != str(state.app_id):
        return JWT_UNDECODABLE
    return None


def caller_of(request: web.Request) -> Caller:
    caller: Caller = request[CALLER]
    return caller


def require_app(request: web.Request) -> None:
    """401 unless the request carries a valid app JWT."""
    caller = caller_of(request)
    if not caller.is_app:
        raise EmulatorError(401, caller.jwt_error or JWT_UNDECODABLE, documentation_url=DOCS_URL)


def require_installation(request: web.Request) -> int:
    """The caller's installation id; 401 when the request does not carry an installation token."""
    caller = caller_of(request)
    if caller.installation_id is None:
        raise EmulatorError(401, "Bad credentials" if caller.sent_credentials else "Requires authentication")
    return caller.installation_id


def repository_access(request: web.Request, *permission: str, write: bool = False) -> str:
    """The `owner/repo` of the request, once the caller may see it (and write to it when `write`).

    `permission` names the installation permissions any one of which the endpoint accepts
    (e.g. "issues", "pull_requests" for a comment on a pull request).
    """
    caller = caller_of(request)
    name = full_name(request)
    if caller.sent_credentials and caller.installation_id is None and caller.user_login is None:
        raise EmulatorError(401, "Bad credentials")
    if caller.installation_id is None and caller.user_login is None and write:
        raise EmulatorError(401, "Requires authentication")
    principal = Principal(caller.installation_id, caller.permissions, caller.user_login)
    state_of(request).check_access(
        name, caller.installation_id, write=write, permission=permission, principal=principal
    )
    return name
