"""How GitHub validates check run requests (`POST check-runs`, `PATCH check-runs/{id}`) and applies them.

Rules: a `completed` status (or a `completed_at`) needs a `conclusion`, and a conclusion completes the run;
`output` needs a `title` and a `summary`; at most 50 annotations and 3 actions per request; annotations
need path, lines, a known level and a message, with columns only on one-line annotations; annotations of
successive requests accumulate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bot.emulator.errors import CHECKS_DOCS_URL, EmulatorError, invalid_request
from bot.emulator.model import CheckRun

MAX_ANNOTATIONS = 50
MAX_ACTIONS = 3
MAX_TEXT = 65535
CREATE_STATUSES = ("queued", "in_progress", "completed")
UPDATE_STATUSES = (*CREATE_STATUSES, "waiting", "requested", "pending")
CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out")
ANNOTATION_LEVELS = ("notice", "warning", "failure")
_ANNOTATION_REQUIRED = ("path", "start_line", "end_line", "annotation_level", "message")
_ACTION_LIMITS = {"label": 20, "description": 40, "identifier": 20}


def _invalid(detail: str) -> EmulatorError:
    return invalid_request(detail, documentation_url=CHECKS_DOCS_URL)


def _string(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"For 'properties/{key}', {value!r} is not a string.")
    return value


def _required(body: Mapping[str, Any], key: str) -> str:
    value = _string(body, key)
    if value is None:
        raise _invalid(f'"{key}" wasn\'t supplied.')
    return value


def _one_of(body: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = _string(body, key)
    if value is not None and value not in allowed:
        listed = ", ".join(f'"{name}"' for name in allowed)
        raise _invalid(f"For 'properties/{key}', \"{value}\" is not one of [{listed}].")
    return value


def _timestamp(body: Mapping[str, Any], key: str) -> float | None:
    value = _string(body, key)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError as error:
        raise _invalid(f"For 'properties/{key}', \"{value}\" is not a date-time.") from error


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _annotation(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _invalid(f"For 'items', {raw!r} is not an object.")
    for key in _ANNOTATION_REQUIRED:
        if key not in raw:
            raise _invalid(f'"{key}" wasn\'t supplied.')
    for key in ("start_line", "end_line", "start_column", "end_column"):
        if key in raw and not _is_int(raw[key]):
            raise _invalid(f"For 'properties/{key}', {raw[key]!r} is not an integer.")
    _one_of(raw, "annotation_level", ANNOTATION_LEVELS)
    if raw["start_line"] > raw["end_line"]:
        raise _invalid("For 'properties/end_line', end_line must not precede start_line.")
    has_columns = "start_column" in raw or "end_column" in raw
    if has_columns and raw["start_line"] != raw["end_line"]:
        raise _invalid("start_column and end_column may only be given when start_line equals end_line.")
    return dict(raw)


def _action(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _invalid(f"For 'items', {raw!r} is not an object.")
    for key, longest in _ACTION_LIMITS.items():
        value = _required(raw, key)
        if len(value) > longest:
            raise _invalid(
                f"For 'properties/{key}', \"{value}\" is too long (maximum is {longest} characters)."
            )
    return dict(raw)


def _bounded_list(
    value: Any, key: str, most: int, check: Callable[[Any], dict[str, Any]]
) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _invalid(f"For 'properties/{key}', {value!r} is not an array.")
    if len(value) > most:
        raise _invalid(f"For 'properties/{key}', the array is too long (maximum is {most} items).")
    return [check(item) for item in value]


def _output(raw: Any) -> tuple[dict[str, str | None], list[dict[str, Any]]]:
    if not isinstance(raw, Mapping):
        raise _invalid(f"For 'properties/output', {raw!r} is not an object.")
    title, summary = _required(raw, "title"), _required(raw, "summary")
    text = _string(raw, "text")
    for key, value in (("summary", summary), ("text", text)):
        if value is not None and len(value) > MAX_TEXT:
            raise _invalid(
                f"For 'properties/{key}', the string is too long (maximum is {MAX_TEXT} characters)."
            )
    annotations = _bounded_list(raw.get("annotations", []), "annotations", MAX_ANNOTATIONS, _annotation)
    return {"title": title, "summary": summary, "text": text}, annotations


def _completion(
    body: Mapping[str, Any], statuses: tuple[str, ...]
) -> tuple[str | None, str | None, float | None]:
    """The requested status, conclusion and completed_at, with GitHub's rules applied."""
    status = _one_of(body, "status", statuses)
    if body.get("conclusion") == "stale":
        raise _invalid('The conclusion "stale" can only be set by GitHub.')
    conclusion = _one_of(body, "conclusion", CONCLUSIONS)
    completed_at = _timestamp(body, "completed_at")
    if conclusion is None and (status == "completed" or completed_at is not None):
        raise _invalid('"conclusion" wasn\'t supplied.')
    if conclusion is not None:
        status = "completed"
    return status, conclusion, completed_at


def new_check_run(
    body: Mapping[str, Any], run_id: int, full_name: str, suite_id: int, now: float
) -> CheckRun:
    """A check run from a `POST check-runs` body (the head SHA is checked by the caller)."""
    name, head_sha = _required(body, "name"), _required(body, "head_sha")
    run = CheckRun(run_id, full_name, head_sha, name, "queued", None, now, None, None, None, suite_id)
    apply_update(run, body, now, statuses=CREATE_STATUSES)
    return run


def apply_update(
    run: CheckRun, body: Mapping[str, Any], now: float, *, statuses: tuple[str, ...] = UPDATE_STATUSES
) -> None:
    """Validate a check run request completely, then change `run` (nothing changes on a 422)."""
    name = _string(body, "name")
    details_url = _string(body, "details_url")
    external_id = _string(body, "external_id")
    started_at = _timestamp(body, "started_at")
    status, conclusion, completed_at = _completion(body, statuses)
    output = _output(body["output"]) if body.get("output") is not None else None
    actions = _bounded_list(body.get("actions", []), "actions", MAX_ACTIONS, _action)
    run.name = name or run.name
    run.details_url = details_url or run.details_url
    run.external_id = external_id or run.external_id
    run.started_at = started_at or run.started_at
    if status is not None:
        run.status = status
    if conclusion is not None:
        run.conclusion = conclusion
        run.completed_at = completed_at or now
    if output is not None:
        run.output = output[0]
        run.annotations.extend(output[1])
    if actions:
        run.actions = actions
