"""The emulator keeps GitHub's REST contract: every endpoint, driven for real, records no violation.

Also unit tests of the checker itself: it must catch a bad request body and a bad answer.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.emulator import EmulatorState, create_emulator_app
from bot.emulator.contract import DOCUMENTATION_GAPS, Contract, default_contract
from bot.emulator.keys import AppKeyPair

APP_ID = 777
REPO = "acme/widgets"

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]


def app_jwt(private_pem: str) -> str:
    now = int(time.time())
    claims = {"iat": now - 60, "exp": now + 540, "iss": APP_ID}
    return jwt.PyJWS().encode(json.dumps(claims).encode(), private_pem, algorithm="RS256")


@pytest.fixture()
def state(app_key: AppKeyPair) -> EmulatorState:
    state = EmulatorState(app_id=APP_ID, app_public_key_pem=app_key.public_pem)
    installation = state.add_installation("acme")
    files = {"src/calc.py": "".join(f"line {n}\n" for n in range(1, 21)), "README.md": "# Widgets\n"}
    state.create_repository(installation, REPO, files, private=True)
    changed = "".join(f"line {n}\n" for n in range(1, 21)).replace("line 5\n", "LINE 5\n")
    state.push(REPO, "feature", {"src/calc.py": changed, "docs/new.md": "new\n"})
    state.open_pull_request(REPO, head="feature", title="Change calc")
    state.add_collaborator(REPO, "alice")
    return state


class Driver:
    """Calls the emulator and fails on any unexpected status."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"token {token}"}

    async def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", self.headers)
        response = await self.client.request(method, path, headers=headers, allow_redirects=False, **kwargs)
        text = await response.text()
        assert response.status == status, f"{method} {path}: {response.status} {text}"
        return json.loads(text) if text and response.content_type == "application/json" else None


async def _drive_app_endpoints(client: Client, app_key: AppKeyPair, state: EmulatorState) -> str:
    bearer = {"Authorization": f"Bearer {app_jwt(app_key.private_pem)}"}
    app = Driver(client, "")
    installation = state.installation_ids()[0]
    await app.call("GET", "/app", 200, headers=bearer)
    await app.call("GET", "/app/installations", 200, headers=bearer)
    await app.call("GET", f"/app/installations/{installation}", 200, headers=bearer)
    await app.call("GET", f"/repos/{REPO}/installation", 200, headers=bearer)
    minted = await app.call("POST", f"/app/installations/{installation}/access_tokens", 201, headers=bearer)
    await app.call("POST", "/app/installations/1/access_tokens", 404, headers=bearer)
    spare = await app.call("POST", f"/app/installations/{installation}/access_tokens", 201, headers=bearer)
    await Driver(client, spare["token"]).call("DELETE", "/installation/token", 204)
    await app.call(
        "GET", "/installation/repositories", 200, headers={"Authorization": f"token {minted['token']}"}
    )
    await app.call("GET", "/rate_limit", 200, headers={"Authorization": f"token {minted['token']}"})
    token: str = minted["token"]
    return token


async def _drive_repository_data(gh: Driver, state: EmulatorState) -> None:
    head = state.pull_request(REPO, 1)["head"]["sha"]
    repo = await gh.call("GET", f"/repos/{REPO}", 200)
    assert repo["full_name"] == REPO
    await gh.call("GET", f"/repos/{REPO}/contents/src/calc.py", 200, params={"ref": "feature"})
    await gh.call("GET", f"/repos/{REPO}/contents/src", 200)
    await gh.call("GET", f"/repos/{REPO}/contents/nope", 404)
    tree = await gh.call("GET", f"/repos/{REPO}/git/trees/{head}", 200, params={"recursive": "1"})
    blob_sha = next(entry["sha"] for entry in tree["tree"] if entry["type"] == "blob")
    await gh.call("GET", f"/repos/{REPO}/git/trees/{'0' * 40}", 404)
    await gh.call("GET", f"/repos/{REPO}/git/blobs/{blob_sha}", 200)
    await gh.call("GET", f"/repos/{REPO}/git/blobs/xyz", 422)
    await gh.call("GET", f"/repos/{REPO}/commits/{head}", 200)
    await gh.call("GET", f"/repos/{REPO}/commits/nope", 422)
    await gh.call("GET", f"/repos/{REPO}/tarball/{head}", 302)
    await gh.call("GET", f"/repos/{REPO}/pulls/1", 200)
    await gh.call("GET", f"/repos/{REPO}/pulls/1/files", 200)
    await gh.call("GET", f"/repos/{REPO}/pulls/1/commits", 200)
    await gh.call("GET", f"/repos/{REPO}/pulls/9", 404)


async def _drive_reviews(gh: Driver) -> int:
    comment = {"path": "src/calc.py", "line": 5, "side": "RIGHT", "body": "Use lower case"}
    payload = {"event": "COMMENT", "body": "Review", "comments": [comment]}
    review = await gh.call("POST", f"/repos/{REPO}/pulls/1/reviews", 200, json=payload)
    bad = {"event": "COMMENT", "body": "x", "comments": [{**comment, "line": 15}]}
    await gh.call("POST", f"/repos/{REPO}/pulls/1/reviews", 422, json=bad)
    await gh.call("GET", f"/repos/{REPO}/pulls/1/reviews", 200)
    await gh.call("GET", f"/repos/{REPO}/pulls/1/reviews/{review['id']}", 200)
    await gh.call("PUT", f"/repos/{REPO}/pulls/1/reviews/{review['id']}", 200, json={"body": "Edited"})
    [posted] = await gh.call("GET", f"/repos/{REPO}/pulls/1/reviews/{review['id']}/comments", 200)
    await gh.call("GET", f"/repos/{REPO}/pulls/1/comments", 200)
    comment_id: int = posted["id"]
    await gh.call("GET", f"/repos/{REPO}/pulls/comments/{comment_id}", 200)
    await gh.call("PATCH", f"/repos/{REPO}/pulls/comments/{comment_id}", 200, json={"body": "Edited comment"})
    reply = await gh.call(
        "POST", f"/repos/{REPO}/pulls/1/comments/{comment_id}/replies", 201, json={"body": "ok"}
    )
    head = (await gh.call("GET", f"/repos/{REPO}/pulls/1", 200))["head"]["sha"]
    single = {"path": "src/calc.py", "line": 5, "side": "RIGHT", "body": "Alone", "commit_id": head}
    await gh.call("POST", f"/repos/{REPO}/pulls/1/comments", 201, json=single)
    await gh.call("POST", f"/repos/{REPO}/pulls/1/comments", 422, json={**single, "line": 15})
    await gh.call(
        "POST", f"/repos/{REPO}/pulls/1/comments/{comment_id + 999}/replies", 404, json={"body": "x"}
    )
    reaction = await gh.call(
        "POST", f"/repos/{REPO}/pulls/comments/{comment_id}/reactions", 201, json={"content": "eyes"}
    )
    await gh.call(
        "POST", f"/repos/{REPO}/pulls/comments/{comment_id}/reactions", 200, json={"content": "eyes"}
    )
    await gh.call(
        "GET", f"/repos/{REPO}/pulls/comments/{comment_id}/reactions", 200, params={"content": "eyes"}
    )
    await gh.call("DELETE", f"/repos/{REPO}/pulls/comments/{comment_id}/reactions/{reaction['id']}", 204)
    await gh.call("DELETE", f"/repos/{REPO}/pulls/comments/{reply['id']}", 204)
    return comment_id


async def _drive_issue_comments(gh: Driver, state: EmulatorState) -> None:
    comment = await gh.call("POST", f"/repos/{REPO}/issues/1/comments", 201, json={"body": "Thanks!"})
    await gh.call("POST", f"/repos/{REPO}/issues/1/comments", 422, json={"body": " "})
    human = state.add_issue_comment(REPO, 1, "/maze fix", "alice")
    state.add_collaborator(REPO, "carol", "CONTRIBUTOR", role="maintain")
    carol = await gh.call("GET", f"/repos/{REPO}/collaborators/carol/permission", 200)
    assert (carol["permission"], carol["role_name"]) == ("write", "maintain")
    await gh.call("GET", f"/repos/{REPO}/collaborators/mallory/permission", 404)
    await gh.call("GET", f"/repos/{REPO}/issues/1", 200)
    await gh.call("GET", f"/repos/{REPO}/issues/1/comments", 200)
    await gh.call("GET", f"/repos/{REPO}/issues/comments/{human['id']}", 200)
    await gh.call("PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}", 200, json={"body": "Edited"})
    await gh.call("PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}", 422, json={"body": ""})
    reaction = await gh.call(
        "POST", f"/repos/{REPO}/issues/comments/{human['id']}/reactions", 201, json={"content": "+1"}
    )
    state.add_reaction(REPO, "issue", human["id"], "heart", "alice")
    await gh.call(
        "POST", f"/repos/{REPO}/issues/comments/{human['id']}/reactions", 200, json={"content": "+1"}
    )
    await gh.call("GET", f"/repos/{REPO}/issues/comments/{human['id']}/reactions", 200)
    await gh.call("DELETE", f"/repos/{REPO}/issues/comments/{human['id']}/reactions/{reaction['id']}", 204)
    await gh.call("DELETE", f"/repos/{REPO}/issues/comments/{comment['id']}", 204)
    await gh.call("GET", f"/repos/{REPO}/issues/comments/{comment['id']}", 404)


async def _drive_check_runs(gh: Driver, state: EmulatorState) -> None:
    head = state.pull_request(REPO, 1)["head"]["sha"]
    annotation = {
        "path": "src/calc.py",
        "start_line": 5,
        "end_line": 5,
        "annotation_level": "warning",
        "message": "upper case",
    }
    payload = {
        "name": "maze",
        "head_sha": head,
        "status": "in_progress",
        "output": {"title": "Reviewing", "summary": "Working", "annotations": [annotation]},
        "actions": [{"label": "Fix", "description": "Apply the fixes", "identifier": "fix"}],
    }
    run = await gh.call("POST", f"/repos/{REPO}/check-runs", 201, json=payload)
    await gh.call("POST", f"/repos/{REPO}/check-runs", 422, json={**payload, "status": "completed"})
    done = {"conclusion": "success", "output": {"title": "Done", "summary": "1 finding"}}
    await gh.call("PATCH", f"/repos/{REPO}/check-runs/{run['id']}", 200, json=done)
    await gh.call(
        "PATCH", f"/repos/{REPO}/check-runs/{run['id']}", 422, json={"completed_at": "2024-01-01T00:00:00Z"}
    )
    await gh.call("GET", f"/repos/{REPO}/check-runs/{run['id']}", 200)
    await gh.call("GET", f"/repos/{REPO}/check-runs/{run['id']}/annotations", 200)
    await gh.call("GET", f"/repos/{REPO}/commits/{head}/check-runs", 200, params={"filter": "all"})
    await gh.call("GET", f"/repos/{REPO}/commits/feature/check-runs", 200, params={"check_name": "maze"})


async def test_every_endpoint_keeps_the_contract(
    state: EmulatorState, app_key: AppKeyPair, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(create_emulator_app(state))
    token = await _drive_app_endpoints(client, app_key, state)
    gh = Driver(client, token)
    await _drive_repository_data(gh, state)
    await _drive_reviews(gh)
    await _drive_issue_comments(gh, state)
    await _drive_check_runs(gh, state)
    assert state.contract_violations == []
    contract = default_contract()
    exercised = {contract.operation(method, path) for method, path, _ in state.request_log}
    assert exercised >= set(contract.operation_ids())


async def test_violations_are_recorded_but_never_change_the_answer(
    state: EmulatorState, aiohttp_client: ClientFactory
) -> None:
    client = await aiohttp_client(create_emulator_app(state))
    token = state.mint_token(state.installation_ids()[0])["token"]
    response = await client.get(
        f"/repos/{REPO}/pulls/1", params={"sort": "x"}, headers={"Authorization": f"token {token}"}
    )
    assert response.status == 200
    assert state.contract_violations == [
        f"GET /repos/{REPO}/pulls/1 (pulls/get): unknown query parameter 'sort'"
    ]
    unknown = await client.get("/nope")
    assert unknown.status == 404
    assert state.contract_violations[-1] == "GET /nope: no such operation in GitHub's REST description"
    state.contract_checks = False
    await client.get("/still-nope")
    assert len(state.contract_violations) == 2


# ----- the checker itself --------------------------------------------------------------------------


def test_operation_ids_of_concrete_paths() -> None:
    contract = default_contract()
    assert contract.operation("POST", "/repos/a/b/pulls/3/reviews") == "pulls/create-review"
    assert contract.operation("GET", "/repos/a/b/pulls/comments/12") == "pulls/get-review-comment"
    assert contract.operation("GET", "/repos/a/b/contents") == "repos/get-content"
    assert contract.operation("GET", "/repos/a/b/contents/src/deep/file.py") == "repos/get-content"
    assert contract.operation("GET", "/repos/a/b/commits/abc/check-runs") == "checks/list-for-ref"
    assert contract.operation("GET", "/repos/a/b/commits/abc") == "repos/get-commit"
    assert contract.operation("DELETE", "/repos/a/b") is None
    assert len(contract.operation_ids()) == 46


def test_bad_request_bodies_are_reported() -> None:
    contract = default_contract()
    comment = {"path": "a.py", "line": 3, "side": "MIDDLE", "body": "x", "commit_id": "a" * 40}
    [side] = contract.check_request("POST", "/repos/a/b/pulls/3/comments", {}, comment)
    assert "request body at side: 'MIDDLE' is not one of ['LEFT', 'RIGHT']" in side
    review = {"event": "COMMENT", "comments": [{"path": "a.py", "line": "3", "body": "x"}]}
    [line] = contract.check_request("POST", "/repos/a/b/pulls/3/reviews", {}, review)
    assert "request body at comments/0/line: '3' is not of type 'integer'" in line
    [missing_name] = contract.check_request("POST", "/repos/a/b/check-runs", {}, {"head_sha": "a" * 40})
    assert "'name' is a required property" in missing_name
    [required] = contract.check_request("POST", "/repos/a/b/issues/1/comments", {}, None)
    assert required.endswith("the request body is required")
    [bad_number] = contract.check_request("GET", "/repos/a/b/pulls/x", {}, None)
    assert "path parameter 'pull_number': 'x' is not of type integer" in bad_number
    [bad_enum] = contract.check_request(
        "GET", "/repos/a/b/commits/main/check-runs", {"filter": "newest"}, None
    )
    assert "query parameter 'filter'" in bad_enum
    assert (
        contract.check_request("GET", "/repos/a/b/pulls/3/files", {"per_page": "100", "page": "2"}, None)
        == []
    )


def test_bad_answers_are_reported(state: EmulatorState) -> None:
    contract = default_contract()
    comment_payload = {"event": "COMMENT", "body": "b"}
    review = state.create_review(REPO, 1, comment_payload)
    path = f"/repos/{REPO}/pulls/1/reviews/{review['id']}"
    assert contract.check_response("GET", path, 200, review) == []
    broken = copy.deepcopy(review)
    del broken["user"]
    [missing] = contract.check_response("GET", path, 200, broken)
    assert "'user' is a required property" in missing
    wrong_type = {**review, "id": str(review["id"])}
    assert any("at id:" in problem for problem in contract.check_response("GET", path, 200, wrong_type))
    [status] = contract.check_response("GET", path, 409, {"message": "Conflict"})
    assert "status 409 is not documented" in status
    assert contract.check_response("GET", path, 404, {"message": "Not Found", "documentation_url": "x"}) == []
    forbidden = {"message": "Nope", "documentation_url": "x"}
    assert contract.check_response("GET", path, 403, forbidden) != []
    limited = {"message": "API rate limit exceeded for installation ID 1.", "documentation_url": "x"}
    assert contract.check_response("GET", path, 403, limited) == []
    [no_body] = contract.check_response("DELETE", f"/repos/{REPO}/issues/comments/1", 204, {"x": 1})
    assert "documents none" in no_body


def test_documentation_gaps_are_real_operations() -> None:
    operation_ids = set(default_contract().operation_ids())
    assert {operation_id for operation_id, _ in DOCUMENTATION_GAPS} <= operation_ids


def test_contract_from_a_document() -> None:
    document = {
        "openapi": "3.0.3",
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "things/get",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/thing"}}
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "thing": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string", "nullable": True}},
                }
            }
        },
    }
    contract = Contract(document)
    assert contract.operation("GET", "/things/4") == "things/get"
    assert contract.check_response("GET", "/things/4", 200, {"name": None}) == []
    assert contract.check_response("GET", "/things/4", 200, {"name": 3}) != []
