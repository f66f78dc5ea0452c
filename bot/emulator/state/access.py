"""Credentials and who may do what: installation and user tokens, repository access, token permissions."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.emulator.errors import APPS_DOCS_URL, NOT_ACCESSIBLE, SUSPENDED_MESSAGE, EmulatorError
from bot.emulator.model import Repository, Token
from bot.emulator.render import app_json, iso8601
from bot.emulator.state.core import StateCore

TOKEN_LIFETIME_SECONDS = 3600
_LEVELS = {"read": 1, "write": 2, "admin": 3}
_DISCUSSION = frozenset({"issues", "pull_requests"})
_TOKEN_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class TokenInfo:
    """What a presented token stands for."""

    installation_id: int | None
    permissions: Mapping[str, str]
    user_login: str | None
    suspended: bool


@dataclass(frozen=True)
class Principal:
    """Who asks for a repository: an installation (with its token's permissions), a user, or nobody."""

    installation_id: int | None = None
    permissions: Mapping[str, str] | None = None
    user_login: str | None = None


def _new_token(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36))


def _grants(permissions: Mapping[str, str], names: tuple[str, ...], write: bool) -> bool:
    """Whether any of `names` is granted at the level needed; every token may read metadata."""
    if not write and "metadata" in names:
        return True
    needed = _LEVELS["write" if write else "read"]
    return any(_LEVELS.get(permissions.get(name, ""), 0) >= needed for name in names)


class AccessState(StateCore):
    """Tokens and access rules."""

    def app_json(self) -> dict[str, Any]:
        """`GET /app`."""
        with self._lock:
            return app_json(self._site(), self._app_owner)

    def mint_token(
        self, installation_id: int, permissions: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """A new installation token, valid for one hour (`POST /app/installations/{id}/access_tokens`).

        Raises 404 for an unknown installation, 403 for a suspended one and 422 when `permissions` asks
        for more than the installation was granted.
        """
        with self._lock:
            installation = self._installation(installation_id)
            if installation.suspended_at is not None:
                raise EmulatorError(403, SUSPENDED_MESSAGE, documentation_url=APPS_DOCS_URL)
            granted = self._requested_permissions(permissions)
            token = _new_token("ghs_")
            expires_at = self.clock() + TOKEN_LIFETIME_SECONDS
            self._tokens[token] = Token(expires_at, installation_id, granted)
            self.tokens_minted[installation_id] = self.tokens_minted.get(installation_id, 0) + 1
            return {
                "token": token,
                "expires_at": iso8601(expires_at),
                "permissions": dict(granted),
                "repository_selection": "all",
            }

    def _requested_permissions(self, requested: Mapping[str, str] | None) -> dict[str, str]:
        """The token's permissions: all the installation's, or the requested subset plus metadata read."""
        if not requested:
            return dict(self.permissions)
        for name, level in requested.items():
            if _LEVELS.get(level, 99) > _LEVELS.get(self.permissions.get(name, ""), 0):
                raise EmulatorError(
                    422,
                    "The permissions requested are not granted to this installation.",
                    documentation_url=APPS_DOCS_URL,
                )
        return {"metadata": "read", **requested}

    def create_user_token(self, login: str) -> str:
        """A personal access token of user `login` (not a GitHub App token: it cannot create check runs)."""
        with self._lock:
            token = _new_token("ghp_")
            self._tokens[token] = Token(float("inf"), user=self._account(login))
            return token

    def revoke_token(self, token: str) -> None:
        """Forget `token`: it answers 401 Bad credentials from now on."""
        with self._lock:
            self._tokens.pop(token, None)

    def expire_tokens(self) -> None:
        """Expire every installation token now (as if an hour had passed for them)."""
        with self._lock:
            for entry in self._tokens.values():
                if entry.installation_id is not None:
                    entry.expires_at = self.clock()

    def installation_for_token(self, token: str) -> int | None:
        """The installation of an unexpired installation token, or None."""
        info = self.token_info(token)
        return info.installation_id if info is not None else None

    def token_info(self, token: str) -> TokenInfo | None:
        """What an unexpired token stands for, or None when it is unknown, expired or revoked."""
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None or entry.expires_at <= self.clock():
                return None
            if entry.user is not None:
                return TokenInfo(None, {}, entry.user.login, False)
            installation = self._installations.get(entry.installation_id or -1)
            if installation is None:
                return None
            suspended = installation.suspended_at is not None
            return TokenInfo(installation.id, dict(entry.permissions), None, suspended)

    def check_access(
        self,
        full_name: str,
        installation_id: int | None,
        *,
        write: bool,
        permission: tuple[str, ...] = (),
        principal: Principal | None = None,
    ) -> None:
        """Raise GitHub's answer when the caller may not read (or, with `write`, change) the repository.

        Another installation's token, or none, reads a public repository and cannot see a private one; an
        installation's own token needs one of the `permission` names at the right level; a user token
        writes where the user is the owner or a collaborator, and comments on any public repository.
        """
        who = principal or Principal(installation_id)
        with self._lock:
            repo = self._repo(full_name)
            if who.user_login is not None:
                self._check_user_access(repo, who.user_login, write, permission)
                return
            if repo.installation_id == who.installation_id and who.installation_id in self._installations:
                self._check_permissions(who, permission, write)
                return
            if repo.private:
                raise EmulatorError(404)
            if write:
                raise EmulatorError(403, NOT_ACCESSIBLE)

    @staticmethod
    def _check_permissions(who: Principal, permission: tuple[str, ...], write: bool) -> None:
        if who.permissions is not None and permission and not _grants(who.permissions, permission, write):
            raise EmulatorError(403, NOT_ACCESSIBLE)

    @staticmethod
    def _check_user_access(repo: Repository, login: str, write: bool, permission: tuple[str, ...]) -> None:
        """Members do anything; on a public repository anyone reads, comments and reacts."""
        if login == repo.owner.login or login in repo.collaborators:
            return
        if repo.private:
            raise EmulatorError(404)
        if write and not set(permission) & _DISCUSSION:
            raise EmulatorError(403, "Must have push access to this repository.")
