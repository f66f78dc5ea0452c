"""The emulator's in-memory GitHub: installations, repositories, pull requests, reviews, comments, checks.

Every public method takes the state's lock, so tests may read the state from one thread while the emulator
serves requests from another. JSON is rendered on read, in the shapes of GitHub's REST API, with URLs under
`api_url` (set to the emulator's own address when it serves) and `html_url`. Each area lives in its own
module of this package; `EmulatorState` puts them together with the rate limits and injected faults.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

from bot.emulator.errors import DOCS_URL, EmulatorError
from bot.emulator.faults import Fault, FaultPlan
from bot.emulator.limits import RateLimit
from bot.emulator.render import github_base64, iso8601, node_id
from bot.emulator.state.access import AccessState, Principal, TokenInfo
from bot.emulator.state.checkruns import CheckRunState
from bot.emulator.state.core import (
    DEFAULT_GRAPHQL_RATE_LIMIT,
    DEFAULT_RATE_LIMIT,
    UNAUTHENTICATED_RATE_LIMIT,
)
from bot.emulator.state.git import Archive, GitState
from bot.emulator.state.pulls import PullState
from bot.emulator.state.threads import NodeRef, ThreadState
from bot.emulator.state.world import WorldState

__all__ = [
    "DEFAULT_GRAPHQL_RATE_LIMIT",
    "DEFAULT_RATE_LIMIT",
    "DOCS_URL",
    "UNAUTHENTICATED_RATE_LIMIT",
    "Archive",
    "EmulatorError",
    "EmulatorState",
    "Fault",
    "FaultPlan",
    "NodeRef",
    "Principal",
    "RateLimit",
    "TokenInfo",
    "github_base64",
    "iso8601",
    "node_id",
]

log = logging.getLogger("bot.emulator.contract")


class EmulatorState(WorldState, AccessState, PullState, GitState, ThreadState, CheckRunState):
    """An in-memory GitHub for one GitHub App."""

    # ----- rate limits ----------------------------------------------------------------------------

    def consume_rate_limit(self, identity: str, limit: int | None = None) -> RateLimit:
        """Count one request for `identity` in its hourly window."""
        with self._lock:
            return self._primary.consume(identity, self.rate_limit if limit is None else limit, self.clock())

    def peek_rate_limit(self, identity: str, limit: int | None = None) -> RateLimit:
        """The quota of `identity` without counting a request."""
        with self._lock:
            return self._primary.peek(identity, self.rate_limit if limit is None else limit, self.clock())

    def refund_rate_limit(self, identity: str, limit: int | None = None) -> RateLimit:
        """Give back the request just counted for `identity` (GitHub does not count 304 answers)."""
        with self._lock:
            return self._primary.refund(identity, self.rate_limit if limit is None else limit, self.clock())

    def admit_write(self, identity: str) -> int | None:
        """Count a content-creating request; the seconds to wait instead when a secondary limit is hit."""
        with self._lock:
            return self._secondary.admit_write(
                identity,
                self.clock(),
                self.secondary_write_limit_per_minute,
                self.secondary_write_limit_per_hour,
            )

    def enter_request(self, identity: str) -> bool:
        """Count a request in flight; False when `max_concurrent_requests` are already in flight."""
        with self._lock:
            return self._secondary.enter(identity, self.max_concurrent_requests)

    def leave_request(self, identity: str) -> None:
        with self._lock:
            self._secondary.leave(identity)

    # ----- faults ---------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        """Make the next `times` requests whose method matches (or "*") and whose path matches `path_regex`
        (searched, not full-matched) answer `status` with a GitHub error body and `headers`."""
        with self._lock:
            self._faults.fail_next(method, path_regex, status, times, headers, message)

    def set_faults(self, plan: FaultPlan | None) -> None:
        """Inject random faults by `plan` from now on (None stops them); restarts the plan's generator."""
        with self._lock:
            self._faults.set_plan(plan)

    @property
    def faults_injected(self) -> Counter[str]:
        """How many faults were injected, by kind ("fail_next" counts the armed one-off errors)."""
        with self._lock:
            return Counter(self._faults.injected)

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if one is armed or drawn."""
        with self._lock:
            return self._faults.take(method, path)

    # ----- records ----------------------------------------------------------------------------------

    def log_request(self, method: str, path: str, status: int) -> None:
        """Record a request (status 0: the connection was dropped without an answer)."""
        with self._lock:
            self.request_log.append((method, path, status))

    def record_violations(self, violations: list[str]) -> None:
        """Keep (and log) contract violations found by the middleware."""
        if not violations:
            return
        with self._lock:
            self.contract_violations.extend(violations)
        for violation in violations:
            log.warning("GitHub contract violation: %s", violation)
