"""Injected failures: one-off errors (`fail_next`) and random faults by plan (`FaultPlan`).

A plan draws from its own seeded generator once per matching request, so the same plan and the same
sequence of requests give the same faults. Kinds:

- "5xx": 500, 502, 503 or 504 with GitHub's error body;
- "secondary": a secondary rate limit answer, 403 or 429, with `retry-after`;
- "latency": the request is answered normally after a delay drawn from `latency_seconds`;
- "drop": the connection is closed before the request is handled;
- "drop_after": the request is handled (state changes) and the connection is closed without an answer.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from bot.emulator.errors import SECONDARY_LIMIT_MESSAGE, EmulatorError, default_message, secondary_limit

FAULT_KINDS = frozenset({"5xx", "secondary", "latency", "drop", "drop_after"})
SERVER_ERROR_STATUSES = (500, 502, 503, 504)
SECONDARY_STATUSES = (403, 429)


@dataclass(frozen=True)
class FaultPlan:
    """Random faults for the requests whose method and path match."""

    probability: float
    kinds: tuple[str, ...] = ("5xx",)
    seed: int | None = None
    latency_seconds: tuple[float, float] = (0.05, 0.3)
    retry_after_seconds: int = 1
    methods: tuple[str, ...] = ("*",)
    path_regex: str = ".*"

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], not {self.probability}")
        unknown = set(self.kinds) - FAULT_KINDS
        if not self.kinds or unknown:
            raise ValueError(f"fault kinds must be some of {sorted(FAULT_KINDS)}, not {list(self.kinds)}")
        low, high = self.latency_seconds
        if not 0.0 <= low <= high:
            raise ValueError(f"latency_seconds must be (low, high) with 0 <= low <= high, not {low, high}")
        re.compile(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        methods = {name.upper() for name in self.methods}
        return ("*" in methods or method.upper() in methods) and re.search(self.path_regex, path) is not None


@dataclass(frozen=True)
class Fault:
    """What to do to one request: answer `error`, wait `delay` first, or drop the connection."""

    kind: str
    error: EmulatorError | None = None
    delay: float = 0.0

    @property
    def drops_before(self) -> bool:
        return self.kind == "drop"

    @property
    def drops_after(self) -> bool:
        return self.kind == "drop_after"


@dataclass
class _Armed:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    headers: dict[str, str]
    message: str | None

    def error(self) -> EmulatorError:
        return EmulatorError(self.status, self.message or self._default_message(), headers=self.headers)

    def _default_message(self) -> str:
        if self.status in SECONDARY_STATUSES and any(name.lower() == "retry-after" for name in self.headers):
            return SECONDARY_LIMIT_MESSAGE
        return default_message(self.status)


class FaultInjector:
    """The armed one-off errors and the current plan; not thread-safe (the state's lock guards it)."""

    def __init__(self) -> None:
        self.injected: Counter[str] = Counter()
        self._armed: list[_Armed] = []
        self._plan: FaultPlan | None = None
        self._random = random.Random()

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int,
        headers: Mapping[str, str] | None,
        message: str | None,
    ) -> None:
        armed = _Armed(method.upper(), re.compile(path_regex), status, times, dict(headers or {}), message)
        self._armed.append(armed)

    def set_plan(self, plan: FaultPlan | None) -> None:
        self._plan = plan
        self._random = random.Random(plan.seed if plan is not None else None)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any: armed errors first, then a draw from the plan."""
        armed = self._take_armed(method, path)
        if armed is not None:
            self.injected["fail_next"] += 1
            return Fault("fail_next", armed.error())
        plan = self._plan
        if plan is None or not plan.matches(method, path) or self._random.random() >= plan.probability:
            return None
        fault = self._draw(plan)
        self.injected[fault.kind] += 1
        return fault

    def _take_armed(self, method: str, path: str) -> _Armed | None:
        for armed in self._armed:
            if armed.method in ("*", method.upper()) and armed.pattern.search(path):
                armed.remaining -= 1
                if armed.remaining <= 0:
                    self._armed.remove(armed)
                return armed
        return None

    def _draw(self, plan: FaultPlan) -> Fault:
        kind = self._random.choice(plan.kinds)
        if kind == "5xx":
            return Fault(kind, EmulatorError(self._random.choice(SERVER_ERROR_STATUSES)))
        if kind == "secondary":
            status = self._random.choice(SECONDARY_STATUSES)
            return Fault(kind, secondary_limit(plan.retry_after_seconds, status))
        if kind == "latency":
            return Fault(kind, delay=self._random.uniform(*plan.latency_seconds))
        return Fault(kind)
