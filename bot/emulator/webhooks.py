"""Webhook deliveries as GitHub makes them, built from GitHub's own example payloads.

The examples are the vendored extract of `@octokit/webhooks-examples@7.6.1` (see `payloads/PROVENANCE.md`).
A payload for an emulated pull request starts from a real example and swaps in the emulated pull request,
repository, installation, sender and organization, so every id and SHA in it is the emulator's.
"""

from __future__ import annotations

import copy
import functools
import json
import secrets
import uuid
from collections.abc import Mapping
from importlib import resources
from typing import Any

import aiohttp

from bot.emulator.state import EmulatorState, node_id
from bot.webhooks.signature import SIGNATURE_HEADER, sign

DELIVERY_TIMEOUT_SECONDS = 10.0


@functools.cache
def _examples() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("bot.emulator.payloads").joinpath("webhooks-examples.json").read_text("utf-8")
    return {entry["name"]: entry["examples"] for entry in json.loads(text)}


def load_examples() -> dict[str, list[dict[str, Any]]]:
    """Event name -> GitHub's example payloads for it (a fresh copy the caller may change)."""
    return copy.deepcopy(_examples())


def example_payload(
    event: str, action: str | None = None, *, organization: bool = False, installation: bool = True
) -> dict[str, Any]:
    """A copy of the first example of `event` (with `action`, when given) that carries an `installation`.

    With `organization=True` an example that has an `organization` is preferred; with False the chosen
    payload never has one. `installation=False` also accepts examples without an installation (`ping`).
    Raises KeyError for an unknown event and ValueError when no example fits.
    """
    examples = _examples()
    if event not in examples:
        raise KeyError(
            f"no webhook examples for event {event!r}; known events: {', '.join(sorted(examples))}"
        )
    candidates = [
        example
        for example in examples[event]
        if (action is None or example.get("action") == action)
        and (not installation or "installation" in example)
    ]
    if not candidates:
        wanted = f"{event}.{action}" if action else event
        raise ValueError(f"no {wanted} webhook example{' with an installation' if installation else ''}")
    preferred = [example for example in candidates if ("organization" in example) == organization]
    payload = copy.deepcopy((preferred or candidates)[0])
    if not organization:
        payload.pop("organization", None)
    return payload


def _about_repository(state: EmulatorState, payload: dict[str, Any], full_name: str) -> None:
    """Swap in the emulated repository, its installation and (for an organization) the organization."""
    repository = state.repository(full_name)
    installation_id = state.installation_of(full_name)
    payload["repository"] = repository
    payload["installation"] = {
        "id": installation_id,
        "node_id": node_id("IntegrationInstallation", installation_id),
    }
    if repository["owner"]["type"] == "Organization":
        payload["organization"] = state.organization(repository["owner"]["login"])
    else:
        payload.pop("organization", None)


def _repository_example(state: EmulatorState, event: str, action: str, full_name: str) -> dict[str, Any]:
    owner_is_org = state.repository(full_name)["owner"]["type"] == "Organization"
    payload = example_payload(event, action, organization=owner_is_org)
    payload["action"] = action
    _about_repository(state, payload, full_name)
    return payload


def pull_request_event(
    state: EmulatorState, full_name: str, number: int, action: str, *, before: str | None = None
) -> dict[str, Any]:
    """A `pull_request` webhook payload with `action` about the emulated pull request.

    For "synchronize", `after` is the pull request's head and `before` the head before the last push
    (or `before`, when several pushes are reported as one).
    """
    pull = state.pull_request(full_name, number)
    payload = _repository_example(state, "pull_request", action, full_name)
    payload["number"] = number
    payload["pull_request"] = pull
    payload["sender"] = pull["user"]
    if action == "synchronize":
        history = state.head_history(full_name, number)
        payload["before"] = before or (history[-2] if len(history) > 1 else history[-1])
        payload["after"] = history[-1]
    return payload


def issue_comment_event(
    state: EmulatorState,
    full_name: str,
    number: int,
    comment_id: int,
    action: str = "created",
    *,
    previous_body: str | None = None,
) -> dict[str, Any]:
    """An `issue_comment` webhook payload about comment `comment_id` on pull request `number`.

    Built from GitHub's `issue_comment.created` example (every action uses it as the template), whose
    issue is not a pull request: the emulated issue carries `issue.pull_request`, which GitHub adds when
    the issue is a pull request, so the payload is derived, not a verbatim example. For "edited",
    `previous_body` fills `changes.body.from`. Build a "deleted" payload before deleting the comment.
    """
    comment = state.issue_comment(full_name, comment_id)
    payload = _repository_example(state, "issue_comment", "created", full_name)
    payload["action"] = action
    payload["issue"] = state.issue(full_name, number)
    payload["comment"] = comment
    payload["sender"] = comment["user"]
    if action == "edited":
        payload["changes"] = {"body": {"from": previous_body or ""}}
    return payload


def review_comment_event(
    state: EmulatorState,
    full_name: str,
    number: int,
    comment_id: int,
    action: str = "created",
    *,
    previous_body: str | None = None,
) -> dict[str, Any]:
    """A `pull_request_review_comment` webhook payload about review comment `comment_id`.

    The comment (with `path`, `line`, `side`, `diff_hunk`, `commit_id`) and the pull request are the
    emulated ones; the rest is GitHub's example for the action. For "edited", `previous_body` fills
    `changes.body.from`.
    """
    comment = state.review_comment(full_name, comment_id)
    payload = _repository_example(state, "pull_request_review_comment", action, full_name)
    payload["comment"] = comment
    payload["pull_request"] = state.pull_request(full_name, number)
    payload["sender"] = comment["user"]
    if action == "edited":
        payload["changes"] = {"body": {"from": previous_body or ""}}
    return payload


def review_thread_event(
    state: EmulatorState,
    full_name: str,
    number: int,
    comment_id: int,
    action: str = "resolved",
    *,
    sender_login: str = "octocat",
) -> dict[str, Any]:
    """A `pull_request_review_thread` webhook ("resolved" or "unresolved") about the thread holding review
    comment `comment_id` (its top-level comment or a reply), sent by `sender_login` (who resolved it).

    Shaped like GitHub's example: `thread` holds the thread's `node_id` (`PRRT_...`, the id GraphQL's
    `resolveReviewThread` takes) and its `comments` as REST shows them, top-level comment first.
    """
    payload = _repository_example(state, "pull_request_review_thread", action, full_name)
    payload["thread"] = state.review_thread(full_name, comment_id)
    payload["pull_request"] = state.pull_request(full_name, number)
    payload["sender"] = state.user(sender_login)
    return payload


def installation_event(
    state: EmulatorState, installation_id: int, action: str, *, sender_login: str = "octocat"
) -> dict[str, Any]:
    """An `installation` webhook ("created", "deleted", "suspend", "unsuspend", "new_permissions_accepted")
    from GitHub's example for the action, with the emulated installation and its repositories.

    Build a "deleted" payload before `state.delete_installation`.
    """
    payload = example_payload("installation", action)
    payload["installation"] = state.installation(installation_id)
    if "repositories" in payload:
        names = [repo["full_name"] for repo in state.installation_repositories(installation_id)]
        payload["repositories"] = state.repository_stubs(names)
    payload["requester"] = None
    payload["sender"] = state.user(sender_login)
    return payload


def installation_repositories_event(
    state: EmulatorState,
    installation_id: int,
    action: str,
    repositories: list[str],
    *,
    sender_login: str = "octocat",
) -> dict[str, Any]:
    """An `installation_repositories` webhook: `repositories` (full names) were "added" or "removed"."""
    payload = example_payload("installation_repositories", action)
    installation = state.installation(installation_id)
    stubs = state.repository_stubs(repositories)
    payload["installation"] = installation
    payload["repository_selection"] = installation["repository_selection"]
    payload["repositories_added"] = stubs if action == "added" else []
    payload["repositories_removed"] = stubs if action == "removed" else []
    payload["requester"] = None
    payload["sender"] = state.user(sender_login)
    return payload


def webhook_request(
    event: str,
    payload: Mapping[str, Any],
    secret: str,
    *,
    delivery_id: str | None = None,
    target_id: int | None = None,
    hook_id: int | None = None,
) -> tuple[dict[str, str], bytes]:
    """The headers and body of a delivery of `payload` for `event`, signed with `secret`.

    `target_id` is the app id GitHub names in `X-GitHub-Hook-Installation-Target-ID` (left out when None).
    """
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"GitHub-Hookshot/{secrets.token_hex(4)[:7]}",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": str(hook_id if hook_id is not None else 1),
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        SIGNATURE_HEADER: sign(secret, body),
    }
    if target_id is not None:
        headers["X-GitHub-Hook-Installation-Target-ID"] = str(target_id)
    return headers, body


async def deliver(
    session: aiohttp.ClientSession,
    url: str,
    event: str,
    payload: Mapping[str, Any],
    secret: str,
    *,
    delivery_id: str | None = None,
    target_id: int | None = None,
) -> int:
    """POST one signed delivery to `url` within GitHub's 10 s; returns the response status."""
    headers, body = webhook_request(event, payload, secret, delivery_id=delivery_id, target_id=target_id)
    timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT_SECONDS)
    async with session.post(url, data=body, headers=headers, timeout=timeout) as response:
        await response.read()
        return response.status
