"""gidgethub's aiohttp client with the manners GitHub asks for.

- Transient failures (5xx, timeouts, dropped connections) are retried with exponential backoff and full
  jitter, but only for requests that are safe to repeat: a POST that may have been processed is left to
  the caller, who can look for what it created.
- Rate limits: when the primary budget is spent it waits for `x-ratelimit-reset`; a secondary limit
  (403 or 429 with `retry-after`) is honoured.
- Content-creating requests are paced per installation.
- GET responses are cached by ETag per installation; a 304 costs no rate limit.
Every wait and retry is logged with the installation and the request.
"""

from __future__ import annotations

import asyncio
import http
import logging
import random
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from gidgethub import GitHubBroken, HTTPException, RateLimitExceeded, sansio
from gidgethub.aiohttp import GitHubAPI

from bot.github.pacing import WritePacer

log = logging.getLogger("maze.github")

USER_AGENT = "maze-review-bot"
SAFE_TO_REPEAT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DOWNLOAD_RETRY = frozenset({403, 404, 429, 500, 502, 503, 504})
TRANSIENT_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError)


class GitHubUnavailable(ConnectionError):
    """GitHub could not be reached (or kept failing) for a request; the caller decides what to do next."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 0.25
    max_delay: float = 20.0
    max_rate_limit_wait: float = 900.0
    request_timeout: float = 30.0

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class MazeGitHubAPI(GitHubAPI):
    """One installation's (or the app's) view of GitHub through the process-wide session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        installation_id: int | None,
        pacer: WritePacer,
        policy: RetryPolicy,
        oauth_token: str | None = None,
        cache: MutableMapping[str, Any] | None = None,
        repeat_posts: bool = False,
    ) -> None:
        super().__init__(session, USER_AGENT, oauth_token=oauth_token, cache=cache, base_url=base_url)
        self._installation = installation_id
        self._pacer = pacer
        self._policy = policy
        self._repeat_posts = repeat_posts

    def _who(self) -> str:
        return f"installation={self._installation}" if self._installation is not None else "app"

    def _repeatable(self, method: str) -> bool:
        return method in SAFE_TO_REPEAT or self._repeat_posts

    async def manage_rate_limit(self, *, method: str, url: str) -> None:
        limit = self.rate_limit
        if limit is not None and limit.remaining <= 0:
            wait = limit.reset_datetime.timestamp() - time.time() + 1
            if wait > self._policy.max_rate_limit_wait:
                raise GitHubUnavailable(
                    f"{self._who()}: rate limit spent until {limit.reset_datetime:%H:%M:%S}Z"
                )
            if wait > 0:
                log.warning(
                    "rate limit spent: %s %s %s; waiting %.1f s for the reset", self._who(), method, url, wait
                )
                await asyncio.sleep(wait)
        if method in WRITES and self._installation is not None:
            waited = await self._pacer.wait_turn(self._installation)
            if waited > 0.05:
                log.info("write paced: %s %s %s waited %.2f s", self._who(), method, url, waited)

    async def handle_rate_limit_error(
        self, *, method: str, url: str, exception: HTTPException, attempt: int
    ) -> bool:
        if attempt >= self._policy.max_attempts:
            return False
        status = int(exception.status_code)
        if isinstance(exception, RateLimitExceeded):
            wait = exception.rate_limit.reset_datetime.timestamp() - time.time() + 1
            if wait > self._policy.max_rate_limit_wait:
                return False
            log.warning("primary rate limit: %s %s %s; retrying after %.1f s", self._who(), method, url, wait)
            await asyncio.sleep(max(wait, 0.0))
            return True
        retry_after = _retry_after(exception.headers or {})
        if status in (403, 429) and retry_after is not None:
            if retry_after > self._policy.max_rate_limit_wait:
                return False
            delay = retry_after + random.uniform(0, 0.25)
            log.warning(
                "secondary rate limit: %s %s %s (%d); retrying after %.2f s (attempt %d)",
                self._who(),
                method,
                url,
                status,
                delay,
                attempt,
            )
            await asyncio.sleep(delay)
            return True
        if isinstance(exception, GitHubBroken) and self._repeatable(method):
            delay = self._policy.backoff(attempt)
            log.warning(
                "GitHub %d: %s %s %s; retrying after %.2f s (attempt %d)",
                status,
                self._who(),
                method,
                url,
                delay,
                attempt,
            )
            await asyncio.sleep(delay)
            return True
        return False

    async def download(self, url: str, url_vars: Mapping[str, str] | None = None) -> bytes:
        """GET binary content such as an archive, following GitHub's redirect to a signed download URL.

        The redirect target carries its own token, so our credentials are not sent there. Rate limits and
        transient failures get the same handling as JSON requests.
        """
        request_url = sansio.format_url(url, dict(url_vars or {}), base_url=self.base_url)
        attempt = 0
        while True:
            attempt += 1
            await self.manage_rate_limit(method="GET", url=request_url)
            headers = sansio.create_headers(self.requester, oauth_token=self.oauth_token)
            status, response_headers, body = await self._request("GET", request_url, headers)
            redirected = status in _REDIRECTS and "Location" in response_headers
            if redirected:
                status, response_headers, body = await self._request(
                    "GET", response_headers["Location"], {"user-agent": self.requester}
                )
            if status == 200:
                return body
            try:
                sansio.decipher_response(status, response_headers, body)
            except HTTPException as error:
                if await self.handle_rate_limit_error(
                    method="GET", url=request_url, exception=error, attempt=attempt
                ):
                    continue
                # The download host refuses or limits without `retry-after`, or its signed URL expired:
                # a fresh redirect after a backoff is the remedy.
                if redirected and status in _DOWNLOAD_RETRY and attempt < self._policy.max_attempts:
                    await asyncio.sleep(self._policy.backoff(attempt))
                    continue
                raise
            raise GitHubBroken(http.HTTPStatus(status), f"unexpected {status} downloading {request_url}")

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        timeout = aiohttp.ClientTimeout(total=self._policy.request_timeout)
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._session.request(
                    method, url, headers=headers, data=body, timeout=timeout, allow_redirects=False
                ) as response:
                    return response.status, response.headers, await response.read()
            except TRANSIENT_ERRORS as error:
                reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                if not self._repeatable(method) or attempt >= self._policy.max_attempts:
                    raise GitHubUnavailable(f"{self._who()} {method} {url}: {reason}") from error
                delay = self._policy.backoff(attempt)
                log.warning(
                    "connection failed: %s %s %s (%s); retrying after %.2f s (attempt %d)",
                    self._who(),
                    method,
                    url,
                    reason,
                    delay,
                    attempt,
                )
                await asyncio.sleep(delay)
