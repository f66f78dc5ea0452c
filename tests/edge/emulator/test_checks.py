"""Check runs follow GitHub's rules: conclusions, 50 annotations, 3 actions, output, app tokens only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.edge.emulator.support import (
    REPO,
    Client,
    Keys,
    World,
    auth,
    bearer,
    mint,
)

RUNS = f"/repos/{REPO}/check-runs"


def annotation(line: int, level: str = "warning", **extra: Any) -> dict[str, Any]:
    return {
        "path": "src/calc.py",
        "start_line": line,
        "end_line": line,
        "annotation_level": level,
        "message": f"finding {line}",
        **extra,
    }


async def send(
    client: Client, token: str, method: str, path: str, body: dict[str, Any] | None, status: int
) -> Any:
    response = await client.request(method, path, json=body, headers=auth(token))
    payload = await response.json()
    assert response.status == status, payload
    return payload


async def test_check_run_is_created_and_completed(client: Client, world: World, token: str) -> None:
    body = {
        "name": "maze",
        "head_sha": world.head_sha,
        "status": "in_progress",
        "external_id": "run-7",
        "output": {"title": "Reviewing", "summary": "Working on it", "annotations": [annotation(3)]},
    }
    response = await client.post(RUNS, json=body, headers=auth(token))
    assert response.status == 201
    run = await response.json()
    assert response.headers["Location"] == run["url"]
    assert (run["name"], run["status"], run["conclusion"], run["external_id"]) == (
        "maze",
        "in_progress",
        None,
        "run-7",
    )
    assert run["app"]["slug"] == "maze" and run["started_at"] is not None and run["completed_at"] is None
    assert run["output"]["annotations_count"] == 1 and run["output"]["title"] == "Reviewing"
    assert [pr["number"] for pr in run["pull_requests"]] == [1]
    done = await send(client, token, "PATCH", f"{RUNS}/{run['id']}", {"conclusion": "neutral"}, 200)
    assert (done["status"], done["conclusion"]) == ("completed", "neutral") and done[
        "completed_at"
    ] is not None
    assert done["output"]["title"] == "Reviewing"
    second = await send(client, token, "POST", RUNS, {"name": "other", "head_sha": world.head_sha}, 201)
    assert second["status"] == "queued" and second["check_suite"] == run["check_suite"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "completed"}, '"conclusion" wasn\'t supplied.'),
        ({"completed_at": "2025-01-01T00:00:00Z"}, '"conclusion" wasn\'t supplied.'),
        ({"conclusion": "stale"}, "can only be set by GitHub"),
        ({"conclusion": "great"}, "is not one of"),
        ({"output": {"title": "t"}}, '"summary" wasn\'t supplied.'),
        ({"output": {"summary": "s"}}, '"title" wasn\'t supplied.'),
        ({"output": {"title": "t", "summary": "s", "annotations": [annotation(1)] * 51}}, "maximum is 50"),
        (
            {"output": {"title": "t", "summary": "s", "annotations": [annotation(1, "error")]}},
            "is not one of",
        ),
        (
            {
                "output": {
                    "title": "t",
                    "summary": "s",
                    "annotations": [annotation(1, end_line=2, start_column=1)],
                }
            },
            "start_column and end_column",
        ),
        ({"actions": [{"label": "a", "description": "b", "identifier": "c"}] * 4}, "maximum is 3"),
        ({"actions": [{"label": "x" * 21, "description": "b", "identifier": "c"}]}, "too long"),
        ({"actions": [{"label": "a", "identifier": "c"}]}, '"description" wasn\'t supplied.'),
    ],
)
async def test_invalid_check_runs_are_422(
    client: Client, world: World, token: str, body: dict[str, Any], message: str
) -> None:
    answer = await send(
        client, token, "POST", RUNS, {"name": "maze", "head_sha": world.head_sha, **body}, 422
    )
    assert message in answer["message"]
    assert world.state.check_runs_for_ref(REPO, world.head_sha) == []


async def test_annotations_accumulate_fifty_per_request(client: Client, world: World, token: str) -> None:
    fifty = [annotation(line) for line in range(1, 51)]
    body = {
        "name": "maze",
        "head_sha": world.head_sha,
        "output": {"title": "t", "summary": "s", "annotations": fifty},
    }
    run = await send(client, token, "POST", RUNS, body, 201)
    more = {"output": {"title": "t", "summary": "more", "annotations": [annotation(51, "failure")] * 10}}
    updated = await send(client, token, "PATCH", f"{RUNS}/{run['id']}", more, 200)
    assert updated["output"]["annotations_count"] == 60 and updated["output"]["summary"] == "more"
    listed = await client.get(
        f"{RUNS}/{run['id']}/annotations", params={"per_page": "100"}, headers=auth(token)
    )
    annotations = await listed.json()
    assert len(annotations) == 60 and annotations[-1]["annotation_level"] == "failure"
    assert annotations[0]["blob_href"].endswith(f"/blob/{world.head_sha}/src/calc.py")
    too_many = {"output": {"title": "t", "summary": "s", "annotations": [annotation(1)] * 51}}
    await send(client, token, "PATCH", f"{RUNS}/{run['id']}", too_many, 422)
    after = await send(client, token, "GET", f"{RUNS}/{run['id']}", None, 200)
    assert after["output"]["annotations_count"] == 60


async def test_only_a_github_app_token_may_write_check_runs(
    client: Client, world: World, keys: Keys, token: str
) -> None:
    body = {"name": "maze", "head_sha": world.head_sha}
    world.state.add_collaborator(REPO, "alice")
    personal = world.state.create_user_token("alice")
    refused = await send(client, personal, "POST", RUNS, body, 403)
    assert refused["message"] == "You must authenticate via a GitHub App."
    anonymous = await client.post(RUNS, json=body)
    assert anonymous.status == 401
    narrow = await client.post(
        f"/app/installations/{world.installation}/access_tokens",
        json={"permissions": {"checks": "read"}},
        headers=bearer(keys),
    )
    read_only = (await narrow.json())["token"]
    forbidden = await send(client, read_only, "POST", RUNS, body, 403)
    assert forbidden["message"] == "Resource not accessible by integration"
    other = await mint(client, keys, world.other_installation)
    await send(client, other, "POST", RUNS, body, 404)
    await send(client, token, "POST", RUNS, {"name": "maze", "head_sha": "f" * 40}, 422)


async def test_check_runs_for_a_ref_latest_per_name(client: Client, world: World, token: str) -> None:
    for name in ("maze", "maze", "lint"):
        await send(client, token, "POST", RUNS, {"name": name, "head_sha": world.head_sha}, 201)
    latest = await send(client, token, "GET", f"/repos/{REPO}/commits/feature/check-runs", None, 200)
    assert latest["total_count"] == 2 and [r["name"] for r in latest["check_runs"]] == ["lint", "maze"]
    every = await client.get(
        f"/repos/{REPO}/commits/{world.head_sha}/check-runs", params={"filter": "all"}, headers=auth(token)
    )
    assert (await every.json())["total_count"] == 3
    named = await client.get(
        f"/repos/{REPO}/commits/feature/check-runs", params={"check_name": "lint"}, headers=auth(token)
    )
    assert [r["name"] for r in (await named.json())["check_runs"]] == ["lint"]
    paged = await client.get(
        f"/repos/{REPO}/commits/feature/check-runs",
        params={"filter": "all", "per_page": "2"},
        headers=auth(token),
    )
    paged_body = await paged.json()
    assert paged_body["total_count"] == 3 and len(paged_body["check_runs"]) == 2 and "Link" in paged.headers
    await send(client, token, "GET", f"{RUNS}/12345", None, 404)
