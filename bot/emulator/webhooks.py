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


def pull_request_event(state: EmulatorState, full_name: str, number: int, action: str) -> dict[str, Any]:
    """A `pull_request` webhook payload with `action` about the emulated pull request."""
    pull = state.pull_request(full_name, number)
    repository = state.repository(full_name)
    owner_is_org = repository["owner"]["type"] == "Organization"
    payload = example_payload("pull_request", action, organization=owner_is_org)
    installation_id = state.installation_of(full_name)
    payload["number"] = number
    payload["pull_request"] = pull
    payload["repository"] = repository
    payload["installation"] = {
        "id": installation_id,
        "node_id": node_id("IntegrationInstallation", installation_id),
    }
    payload["sender"] = pull["user"]
    if owner_is_org:
        payload["organization"] = state.organization(repository["owner"]["login"])
    if action == "synchronize":
        history = state.head_history(full_name, number)
        payload["before"] = history[-2] if len(history) > 1 else history[-1]
        payload["after"] = history[-1]
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
