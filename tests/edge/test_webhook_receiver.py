"""POST /webhook with GitHub's real example payloads: verify, claim, route, enqueue, answer."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from click.testing import CliRunner

from bot.app import MAX_WEBHOOK_BYTES, MissingWebhookSecret, create_app
from bot.cli import main
from bot.emulator.webhooks import example_payload, load_examples, webhook_request
from bot.webhooks.claims import MemoryClaims, RedisClaims
from bot.webhooks.installations import INSTALLATION_ACTIONS, REPOSITORY_ACTIONS
from bot.webhooks.pull_requests import REVIEW_ACTIONS
from bot.webhooks.signature import sign, verify
from maze.installations import InstallationSync
from maze.runs import ReviewRequest
from tasks.queue import Job

SECRET = "webhook-test-secret"
ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


class RecordingEnqueuer:
    """Stands in for the queue so the edge can be checked in isolation; records what would be enqueued."""

    def __init__(self, fail: bool = False) -> None:
        self.requests: list[Job] = []
        self.fail = fail

    async def enqueue(self, job: Job) -> None:
        if self.fail:
            raise ConnectionError("broker unreachable")
        self.requests.append(job)

    def close(self) -> None:
        pass


@pytest.fixture()
def enqueuer() -> RecordingEnqueuer:
    return RecordingEnqueuer()


@pytest.fixture()
async def client(aiohttp_client: ClientFactory, enqueuer: RecordingEnqueuer) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(webhook_secret=SECRET, claims=MemoryClaims(), enqueuer=enqueuer))


async def _post(client: TestClient[Any, Any], event: str, payload: dict[str, Any], **kwargs: Any) -> Any:
    headers, body = webhook_request(event, payload, SECRET, **kwargs)
    return await client.post("/webhook", data=body, headers=headers)


def test_github_documented_signature_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign("It's a Secret to Everybody", b"Hello, World!") == expected
    assert verify("It's a Secret to Everybody", b"Hello, World!", expected)
    assert not verify("It's a Secret to Everybody", b"Hello, World?", expected)
    assert not verify("It's a Secret to Everybody", b"Hello, World!", expected.replace("sha256=", "sha1="))


@pytest.mark.parametrize("action", REVIEW_ACTIONS)
async def test_review_actions_enqueue_ids_and_answer_202(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer, action: str
) -> None:
    payload = example_payload("pull_request", action)
    response = await _post(client, "pull_request", payload, delivery_id=f"delivery-{action}")
    assert response.status == 202
    assert (await response.json())["status"] == "accepted"
    (request,) = enqueuer.requests
    assert request == ReviewRequest(
        installation_id=payload["installation"]["id"],
        repository_id=payload["repository"]["id"],
        repository=payload["repository"]["full_name"],
        pr_number=payload["pull_request"]["number"],
        head_sha=payload["pull_request"]["head"]["sha"],
        delivery_id=f"delivery-{action}",
        event="pull_request",
        action=action,
    )


async def test_organisation_example_is_accepted(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer
) -> None:
    payload = example_payload("pull_request", "opened", organization=True)
    assert "organization" in payload
    assert (await _post(client, "pull_request", payload)).status == 202
    assert len(enqueuer.requests) == 1


async def test_form_encoded_delivery_is_accepted(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer
) -> None:
    body = urlencode({"payload": json.dumps(example_payload("pull_request", "opened"))}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": "form-1",
        "X-Hub-Signature-256": sign(SECRET, body),
    }
    assert (await client.post("/webhook", data=body, headers=headers)).status == 202
    assert len(enqueuer.requests) == 1


async def test_redelivery_is_acknowledged_once(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer
) -> None:
    payload = example_payload("pull_request", "opened")
    first = await _post(client, "pull_request", payload, delivery_id="same-id")
    second = await _post(client, "pull_request", payload, delivery_id="same-id")
    assert (first.status, second.status) == (202, 200)
    assert (await second.json())["status"] == "duplicate"
    assert len(enqueuer.requests) == 1


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        "sha1=" + "0" * 40,
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    ],
    ids=["missing", "empty", "wrong", "sha1-only", "other-body"],
)
async def test_bad_signatures_get_401_and_nothing_is_enqueued(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer, signature: str | None
) -> None:
    headers, body = webhook_request("pull_request", example_payload("pull_request", "opened"), SECRET)
    del headers["X-Hub-Signature-256"]
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    response = await client.post("/webhook", data=body, headers=headers)
    assert response.status == 401
    assert enqueuer.requests == []


async def test_signature_made_with_another_secret_is_refused(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer
) -> None:
    headers, body = webhook_request(
        "pull_request", example_payload("pull_request", "opened"), "not-the-secret"
    )
    assert (await client.post("/webhook", data=body, headers=headers)).status == 401
    assert enqueuer.requests == []


async def test_ping_answers_200(client: TestClient[Any, Any], enqueuer: RecordingEnqueuer) -> None:
    ping = load_examples()["ping"][0]
    response = await _post(client, "ping", ping)
    assert response.status == 200 and (await response.json())["status"] == "pong"
    assert enqueuer.requests == []


@pytest.mark.parametrize(
    ("event", "action"),
    [("watch", "started"), ("push", None), ("pull_request", "closed"), ("pull_request", "labeled")],
)
async def test_unhandled_events_are_acknowledged_without_work(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer, event: str, action: str | None
) -> None:
    response = await _post(client, event, example_payload(event, action))
    assert response.status == 200 and (await response.json())["status"] == "ignored"
    assert enqueuer.requests == []


async def test_malformed_json_gets_400(client: TestClient[Any, Any], enqueuer: RecordingEnqueuer) -> None:
    body = b'{"action": "opened", "pull_request": '
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": "bad-1",
        "X-Hub-Signature-256": sign(SECRET, body),
    }
    assert (await client.post("/webhook", data=body, headers=headers)).status == 400
    array = b"[1, 2]"
    headers["X-Hub-Signature-256"] = sign(SECRET, array)
    assert (await client.post("/webhook", data=array, headers=headers)).status == 400
    assert enqueuer.requests == []


async def test_unsupported_content_type_gets_415(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer
) -> None:
    headers, body = webhook_request("pull_request", example_payload("pull_request", "opened"), SECRET)
    headers["Content-Type"] = "text/plain"
    assert (await client.post("/webhook", data=body, headers=headers)).status == 415
    assert enqueuer.requests == []


async def test_missing_event_header_gets_400(client: TestClient[Any, Any]) -> None:
    headers, body = webhook_request("pull_request", example_payload("pull_request", "opened"), SECRET)
    del headers["X-GitHub-Event"]
    assert (await client.post("/webhook", data=body, headers=headers)).status == 400


async def test_delivery_without_installation_gets_400(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer
) -> None:
    older = load_examples()["pull_request"][0]
    assert older["action"] == "opened" and "installation" not in older
    assert (await _post(client, "pull_request", older)).status == 400
    assert enqueuer.requests == []


async def test_payload_missing_fields_gets_400_and_is_not_claimed(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer
) -> None:
    payload = example_payload("pull_request", "opened")
    del payload["pull_request"]["head"]
    assert (await _post(client, "pull_request", payload, delivery_id="x-1")).status == 400
    assert enqueuer.requests == []


async def test_broker_failure_gets_503_and_redelivery_is_accepted(aiohttp_client: ClientFactory) -> None:
    enqueuer = RecordingEnqueuer(fail=True)
    client = await aiohttp_client(create_app(webhook_secret=SECRET, claims=MemoryClaims(), enqueuer=enqueuer))
    payload = example_payload("pull_request", "opened")
    assert (await _post(client, "pull_request", payload, delivery_id="retry-1")).status == 503
    enqueuer.fail = False
    assert (await _post(client, "pull_request", payload, delivery_id="retry-1")).status == 202
    assert len(enqueuer.requests) == 1


async def test_oversized_body_gets_413(client: TestClient[Any, Any], enqueuer: RecordingEnqueuer) -> None:
    body = b" " * (MAX_WEBHOOK_BYTES + 1)
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": "big",
        "X-Hub-Signature-256": sign(SECRET, body),
    }
    assert (await client.post("/webhook", data=body, headers=headers)).status == 413
    assert enqueuer.requests == []


async def test_healthz(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200 and (await response.json()) == {"status": "ok"}


def test_app_refuses_to_start_without_a_secret(enqueuer: RecordingEnqueuer) -> None:
    with pytest.raises(MissingWebhookSecret, match="MAZE_WEBHOOK_SECRET"):
        create_app(webhook_secret=None, claims=MemoryClaims(), enqueuer=enqueuer)
    with pytest.raises(MissingWebhookSecret):
        create_app(webhook_secret="", claims=MemoryClaims(), enqueuer=enqueuer)


def test_maze_serve_refuses_to_start_without_a_secret(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("MAZE_WEBHOOK_SECRET", "MAZE_REDIS_URL", "MAZE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["serve", "--port", "0"])
    assert result.exit_code != 0
    assert "webhook secret" in result.output


@pytest.mark.services
async def test_redis_claims_are_shared_between_receivers(
    aiohttp_client: ClientFactory, redis_url: str, redis_prefix: str
) -> None:
    first, second = RecordingEnqueuer(), RecordingEnqueuer()
    one = await aiohttp_client(
        create_app(webhook_secret=SECRET, claims=RedisClaims(redis_url, redis_prefix), enqueuer=first)
    )
    two = await aiohttp_client(
        create_app(webhook_secret=SECRET, claims=RedisClaims(redis_url, redis_prefix), enqueuer=second)
    )
    payload = example_payload("pull_request", "synchronize")
    assert (await _post(one, "pull_request", payload, delivery_id="shared-1")).status == 202
    assert (await _post(two, "pull_request", payload, delivery_id="shared-1")).status == 200
    assert len(first.requests) + len(second.requests) == 1


async def test_redelivery_with_a_new_id_of_the_same_head_is_not_enqueued_again(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer
) -> None:
    payload = example_payload("pull_request", "synchronize")
    first = await _post(client, "pull_request", payload, delivery_id="logical-1")
    second = await _post(client, "pull_request", payload, delivery_id="logical-2")
    assert (first.status, second.status) == (202, 200)
    assert (await second.json())["status"] == "duplicate"
    assert len(enqueuer.requests) == 1
    payload["pull_request"]["head"]["sha"] = "f" * 40
    assert (await _post(client, "pull_request", payload, delivery_id="logical-3")).status == 202


async def test_failed_enqueue_releases_the_logical_claim_too(aiohttp_client: ClientFactory) -> None:
    enqueuer = RecordingEnqueuer(fail=True)
    client = await aiohttp_client(create_app(webhook_secret=SECRET, claims=MemoryClaims(), enqueuer=enqueuer))
    payload = example_payload("pull_request", "opened")
    assert (await _post(client, "pull_request", payload, delivery_id="a")).status == 503
    enqueuer.fail = False
    assert (await _post(client, "pull_request", payload, delivery_id="b")).status == 202


def _handled_examples(event: str, actions: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{event}.{example['action']}#{index}", example)
        for index, example in enumerate(load_examples()[event])
        if example.get("action") in actions and "installation" in example
    ]


ALL_PULL_REQUEST_EXAMPLES = _handled_examples("pull_request", REVIEW_ACTIONS)
ALL_INSTALLATION_EXAMPLES = _handled_examples("installation", INSTALLATION_ACTIONS) + _handled_examples(
    "installation_repositories", REPOSITORY_ACTIONS
)


@pytest.mark.parametrize(
    ("name", "payload"), ALL_PULL_REQUEST_EXAMPLES, ids=[n for n, _ in ALL_PULL_REQUEST_EXAMPLES]
)
async def test_every_pull_request_example_is_enqueued(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer, name: str, payload: dict[str, Any]
) -> None:
    response = await _post(client, "pull_request", payload, delivery_id=name)
    assert response.status == 202, await response.text()
    (request,) = enqueuer.requests
    assert isinstance(request, ReviewRequest)
    assert request.head_sha == payload["pull_request"]["head"]["sha"]


@pytest.mark.parametrize(
    ("name", "payload"), ALL_INSTALLATION_EXAMPLES, ids=[n for n, _ in ALL_INSTALLATION_EXAMPLES]
)
async def test_every_installation_example_enqueues_a_sync(
    client: TestClient[Any, Any], enqueuer: RecordingEnqueuer, name: str, payload: dict[str, Any]
) -> None:
    event = name.split(".", 1)[0]
    response = await _post(client, event, payload, delivery_id=name)
    assert response.status == 202, await response.text()
    assert enqueuer.requests == [InstallationSync(payload["installation"]["id"], payload["action"], name)]


def test_examples_cover_organisations_and_every_installation_action() -> None:
    assert any("organization" in payload for _, payload in ALL_PULL_REQUEST_EXAMPLES)
    covered = {
        payload["action"] for name, payload in ALL_INSTALLATION_EXAMPLES if name.startswith("installation.")
    }
    assert {"created", "deleted", "suspend", "unsuspend"} <= covered
    assert {
        p["action"] for n, p in ALL_INSTALLATION_EXAMPLES if n.startswith("installation_repositories")
    } == {
        "added",
        "removed",
    }


async def test_events_caused_by_the_app_itself_are_ignored(
    aiohttp_client: ClientFactory, enqueuer: RecordingEnqueuer
) -> None:
    client = await aiohttp_client(
        create_app(
            webhook_secret=SECRET, claims=MemoryClaims(), enqueuer=enqueuer, app_id=31, bot_login="maze[bot]"
        )
    )
    by_bot = example_payload("pull_request", "synchronize")
    by_bot["sender"] = {**by_bot["sender"], "login": "maze[bot]", "type": "Bot"}
    response = await _post(client, "pull_request", by_bot)
    assert response.status == 200 and (await response.json())["reason"] == "caused by this app"
    via_app = example_payload("pull_request", "opened")
    via_app["pull_request"]["performed_via_github_app"] = {"id": 31, "slug": "maze"}
    assert (await _post(client, "pull_request", via_app)).status == 200
    other_app = example_payload("pull_request", "opened")
    other_app["pull_request"]["performed_via_github_app"] = {"id": 99, "slug": "other"}
    assert (await _post(client, "pull_request", other_app)).status == 202
    assert len(enqueuer.requests) == 1


async def test_rejections_are_logged_with_the_delivery_and_without_the_payload(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    headers, body = webhook_request(
        "pull_request", example_payload("pull_request", "opened"), "wrong-secret", delivery_id="logged-1"
    )
    with caplog.at_level("INFO"):
        assert (await client.post("/webhook", data=body, headers=headers)).status == 401
    (record,) = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert "delivery=logged-1" in record.getMessage()
    assert SECRET not in caplog.text and "wrong-secret" not in caplog.text
    assert body.decode()[:40] not in caplog.text
