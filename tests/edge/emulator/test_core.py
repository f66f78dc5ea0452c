"""The GitHub emulator answers like api.github.com: auth, installations, pulls, files, contents, reviews."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.request
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.emulator import (
    EmulatorServer,
    deliver,
    example_payload,
    pull_request_event,
    serve_emulator,
    webhook_request,
)
from bot.emulator.diffing import diff_file, diff_trees
from bot.webhooks.signature import verify
from tests.edge.emulator.support import (
    APP_ID,
    BASE_LINES,
    OTHER_REPO,
    REPO,
    Client,
    Keys,
    World,
    _head_lines,
    app_jwt,
    auth,
    bearer,
    mint,
    post_review,
)

# ----- app authentication and installation tokens -------------------------------------------------


async def test_good_jwt_mints_an_hour_long_installation_token(
    client: Client, world: World, keys: Keys
) -> None:
    response = await client.post(
        f"/app/installations/{world.installation}/access_tokens",
        headers={"Authorization": f"Bearer {app_jwt(keys.private_pem, iss=str(APP_ID))}"},
    )
    assert response.status == 201
    body = await response.json()
    assert body["token"].startswith("ghs_") and len(body["token"]) == 40 and body["token"][4:].isalnum()
    expires = time.mktime(time.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert 3590 <= expires - time.time() <= 3600
    assert body["repository_selection"] == "all" and body["permissions"]["pull_requests"] == "write"
    assert world.state.tokens_minted == {world.installation: 1}


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"iat": -700, "exp": -100}, "'Expiration time' claim ('exp') must be a numeric value"),
        ({"iat": 0, "exp": 1200}, "'Expiration time' claim ('exp') is too far in the future"),
        ({"iat": 300, "exp": 500}, "'Issued at' claim ('iat')"),
    ],
)
async def test_bad_jwt_claims_answer_401(
    client: Client, world: World, keys: Keys, claims: dict[str, int], message: str
) -> None:
    now = time.time()
    token = app_jwt(keys.private_pem, iat=now + claims["iat"], exp=now + claims["exp"])
    response = await client.post(
        f"/app/installations/{world.installation}/access_tokens", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401
    assert (await response.json())["message"].startswith(message)
    assert world.state.tokens_minted == {}


async def test_jwt_of_another_key_or_app_is_undecodable(client: Client, world: World, keys: Keys) -> None:
    for token in (app_jwt(keys.wrong_private_pem), app_jwt(keys.private_pem, iss=APP_ID + 1), "a.b.c"):
        response = await client.post(
            f"/app/installations/{world.installation}/access_tokens",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status == 401
        assert (await response.json())["message"] == "A JSON web token could not be decoded"


async def test_unknown_installation_is_404(client: Client, keys: Keys) -> None:
    response = await client.post(
        "/app/installations/999/access_tokens",
        headers={"Authorization": f"Bearer {app_jwt(keys.private_pem)}"},
    )
    assert response.status == 404
    assert (await response.json())["message"] == "Not Found"


async def test_installation_token_reads_its_repository(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.installation)
    for header in (auth(token), {"Authorization": f"Bearer {token}"}):
        response = await client.get(f"/repos/{REPO}", headers=header)
        assert response.status == 200
        repo = await response.json()
        assert repo["full_name"] == REPO and repo["private"] is True and repo["default_branch"] == "main"
        assert repo["owner"] == world.state.account("acme") and repo["owner"]["type"] == "Organization"


async def test_credentials_are_checked_before_anything_else(client: Client, world: World, keys: Keys) -> None:
    other = await mint(client, keys, world.other_installation)
    token = await mint(client, keys, world.installation)
    assert (await client.get(f"/repos/{REPO}", headers=auth(other))).status == 404
    assert (await client.get(f"/repos/{REPO}")).status == 404
    bad = await client.get(f"/repos/{REPO}", headers=auth("ghs_" + "x" * 36))
    assert bad.status == 401 and (await bad.json())["message"] == "Bad credentials"
    public_read = await client.get("/repos/zed/open", headers=auth(token))
    assert public_read.status == 200
    world.state.expire_tokens()
    expired = await client.get(f"/repos/{REPO}", headers=auth(token))
    assert expired.status == 401 and (await expired.json())["message"] == "Bad credentials"


async def test_another_installation_cannot_review_a_public_repository(
    client: Client, world: World, keys: Keys
) -> None:
    state = world.state
    state.push("zed/open", "topic", {"a.txt": "b\n"})
    state.open_pull_request("zed/open", head="topic")
    token = await mint(client, keys, world.installation)
    response = await client.post(
        "/repos/zed/open/pulls/1/reviews", json={"event": "APPROVE"}, headers=auth(token)
    )
    assert response.status == 403
    assert (await response.json())["message"] == "Resource not accessible by integration"
    assert state.reviews("zed/open", 1) == []


# ----- installations: listing, repositories, revocation, suspension, uninstall ---------------------


async def test_app_lists_its_installations_page_by_page(client: Client, world: World, keys: Keys) -> None:
    response = await client.get("/app/installations", params={"per_page": "1"}, headers=bearer(keys))
    assert response.status == 200
    [first] = await response.json()
    assert first["id"] == world.installation and first["account"]["login"] == "acme"
    assert first["app_id"] == APP_ID and first["suspended_at"] is None
    assert 'rel="next"' in response.headers["Link"]
    second = await client.get(
        "/app/installations", params={"per_page": "1", "page": "2"}, headers=bearer(keys)
    )
    assert [entry["id"] for entry in await second.json()] == [world.other_installation]
    token = await mint(client, keys, world.installation)
    assert (await client.get("/app/installations", headers=auth(token))).status == 401


async def test_installation_token_lists_its_repositories(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.other_installation)
    response = await client.get("/installation/repositories", headers=auth(token))
    assert response.status == 200
    body = await response.json()
    assert body["total_count"] == 2 and body["repository_selection"] == "all"
    assert sorted(repo["full_name"] for repo in body["repositories"]) == ["zed/open", OTHER_REPO]
    assert (await client.get("/installation/repositories", headers=bearer(keys))).status == 401


async def test_revoking_a_token_makes_it_bad_credentials(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.installation)
    other = await mint(client, keys, world.installation)
    revoked = await client.delete("/installation/token", headers=auth(token))
    assert revoked.status == 204 and await revoked.read() == b""
    after = await client.get(f"/repos/{REPO}", headers=auth(token))
    assert after.status == 401 and (await after.json())["message"] == "Bad credentials"
    assert (await client.get(f"/repos/{REPO}", headers=auth(other))).status == 200
    world.state.revoke_token(other)
    assert (await client.get(f"/repos/{REPO}", headers=auth(other))).status == 401


async def test_suspended_installation_gets_no_token_and_its_tokens_answer_403(
    client: Client, world: World, keys: Keys
) -> None:
    token = await mint(client, keys, world.installation)
    world.state.suspend_installation(world.installation)
    refused = await client.post(
        f"/app/installations/{world.installation}/access_tokens", headers=bearer(keys)
    )
    assert refused.status == 403
    assert (await refused.json())["message"] == "This installation has been suspended"
    existing = await client.get(f"/repos/{REPO}", headers=auth(token))
    assert (
        existing.status == 403
        and (await existing.json())["message"] == "This installation has been suspended"
    )
    listed = await (await client.get(f"/app/installations/{world.installation}", headers=bearer(keys))).json()
    assert listed["suspended_at"] is not None and listed["suspended_by"]["login"] == "octocat"
    world.state.unsuspend_installation(world.installation)
    assert (await client.get(f"/repos/{REPO}", headers=auth(token))).status == 200
    assert world.state.tokens_minted == {world.installation: 1}


async def test_deleted_installation_is_gone_and_its_tokens_are_bad_credentials(
    client: Client, world: World, keys: Keys
) -> None:
    token = await mint(client, keys, world.installation)
    world.state.delete_installation(world.installation)
    gone = await client.get(f"/repos/{REPO}", headers=auth(token))
    assert gone.status == 401 and (await gone.json())["message"] == "Bad credentials"
    mint_again = await client.post(
        f"/app/installations/{world.installation}/access_tokens", headers=bearer(keys)
    )
    assert mint_again.status == 404
    assert (await client.get(f"/app/installations/{world.installation}", headers=bearer(keys))).status == 404
    assert (await client.get(f"/repos/{REPO}/installation", headers=bearer(keys))).status == 404
    assert world.state.installation_ids() == [world.other_installation]


async def test_token_permissions_are_enforced(client: Client, world: World, keys: Keys) -> None:
    url = f"/app/installations/{world.installation}/access_tokens"
    too_much = await client.post(url, json={"permissions": {"administration": "write"}}, headers=bearer(keys))
    assert too_much.status == 422
    assert (await too_much.json())[
        "message"
    ] == "The permissions requested are not granted to this installation."
    narrow = await client.post(url, json={"permissions": {"pull_requests": "read"}}, headers=bearer(keys))
    token = (await narrow.json())["token"]
    assert (await narrow.json())["permissions"] == {"metadata": "read", "pull_requests": "read"}
    assert (await client.get(f"/repos/{REPO}", headers=auth(token))).status == 200
    assert (await client.get(f"/repos/{REPO}/pulls/1", headers=auth(token))).status == 200
    review = await post_review(client, token, {"event": "APPROVE"})
    assert (
        review.status == 403 and (await review.json())["message"] == "Resource not accessible by integration"
    )
    contents = await client.get(f"/repos/{REPO}/contents/README.md", headers=auth(token))
    assert contents.status == 403


async def test_user_token_acts_as_a_person(client: Client, world: World) -> None:
    world.state.add_collaborator(REPO, "alice")
    alice = world.state.create_user_token("alice")
    mallory = world.state.create_user_token("mallory")
    assert (await client.get(f"/repos/{REPO}/pulls/1", headers=auth(alice))).status == 200
    assert (await client.get(f"/repos/{REPO}/pulls/1", headers=auth(mallory))).status == 404
    comment = await client.post(
        f"/repos/{REPO}/issues/1/comments", json={"body": "/maze fix"}, headers=auth(alice)
    )
    body = await comment.json()
    assert comment.status == 201 and body["user"]["login"] == "alice"
    assert body["author_association"] == "COLLABORATOR" and body["performed_via_github_app"] is None
    world.state.push("zed/open", "topic", {"a.txt": "b\n"})
    world.state.open_pull_request("zed/open", head="topic")
    public = await client.post(
        "/repos/zed/open/issues/1/comments", json={"body": "hi"}, headers=auth(mallory)
    )
    assert public.status == 201 and (await public.json())["author_association"] == "NONE"


# ----- pull requests, files and contents ----------------------------------------------------------


async def test_pull_request_has_githubs_shape(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.installation)
    response = await client.get(f"/repos/{REPO}/pulls/1", headers=auth(token))
    assert response.status == 200
    pull = await response.json()
    assert pull == world.state.pull_request(REPO, 1)
    assert (pull["number"], pull["state"], pull["title"], pull["draft"], pull["merged"]) == (
        1,
        "open",
        "Improve calc",
        False,
        False,
    )
    assert pull["head"]["sha"] == world.head_sha and pull["head"]["ref"] == "feature"
    assert pull["head"]["label"] == "acme:feature" and pull["head"]["repo"]["full_name"] == REPO
    assert pull["base"]["ref"] == "main" and pull["base"]["sha"] != world.head_sha
    assert pull["user"]["login"] == "octocat" and pull["html_url"].endswith(f"/{REPO}/pull/1")
    assert (pull["changed_files"], pull["additions"], pull["deletions"], pull["commits"]) == (3, 2, 5, 1)
    assert (await client.get(f"/repos/{REPO}/pulls/7", headers=auth(token))).status == 404


async def test_files_list_hunks_exactly_like_git(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.installation)
    files = await (await client.get(f"/repos/{REPO}/pulls/1/files", headers=auth(token))).json()
    by_name = {entry["filename"]: entry for entry in files}
    assert [entry["filename"] for entry in files] == ["NOTES", "docs/guide.md", "src/calc.py"]
    calc = by_name["src/calc.py"]
    head_text = ("\n".join(_head_lines()) + "\n").encode()
    assert calc["sha"] == hashlib.sha1(b"blob %d\0" % len(head_text) + head_text).hexdigest()
    assert (calc["status"], calc["additions"], calc["deletions"], calc["changes"]) == ("modified", 1, 4, 5)
    assert calc["patch"] == "\n".join(
        [
            "@@ -1,6 +1,6 @@",
            " l1", " l2", "-l3", "+L3", " l4", " l5", " l6",
            "@@ -12,7 +12,6 @@ l11",
            " l12", " l13", " l14", "-l15", " l16", " l17", " l18",
            "@@ -26,5 +25,3 @@ l25",
            " l26", " l27", " l28", "-l29", "-l30",
        ]
    )  # fmt: skip
    assert calc["contents_url"].endswith(f"/repos/{REPO}/contents/src/calc.py?ref={world.head_sha}")
    assert by_name["NOTES"]["patch"] == "@@ -0,0 +1 @@\n+no newline\n\\ No newline at end of file"
    assert by_name["NOTES"]["status"] == "added"
    assert by_name["docs/guide.md"]["status"] == "removed"
    assert by_name["docs/guide.md"]["patch"] == "@@ -1 +0,0 @@\n-hello"


async def test_files_are_paginated_with_link_headers(client: Client, world: World, keys: Keys) -> None:
    world.state.push(REPO, "many", {f"gen/f{index:02}.txt": f"{index}\n" for index in range(65)})
    world.state.open_pull_request(REPO, head="many")
    token = await mint(client, keys, world.installation)
    url = f"/repos/{REPO}/pulls/2/files"
    pages: list[list[dict[str, Any]]] = []
    links: list[str | None] = []
    for page in (1, 2, 3):
        response = await client.get(url, params={"page": str(page)}, headers=auth(token))
        pages.append(await response.json())
        links.append(response.headers.get("Link"))
    assert [len(page) for page in pages] == [30, 30, 5]
    assert sorted(entry["filename"] for page in pages for entry in page) == [
        f"gen/f{i:02}.txt" for i in range(65)
    ]
    base = str(client.make_url(url))
    assert links[0] == f'<{base}?page=2>; rel="next", <{base}?page=3>; rel="last"'
    assert links[1] == (
        f'<{base}?page=1>; rel="prev", <{base}?page=3>; rel="next", '
        f'<{base}?page=3>; rel="last", <{base}?page=1>; rel="first"'
    )
    assert links[2] == f'<{base}?page=2>; rel="prev", <{base}?page=1>; rel="first"'
    big = await client.get(url, params={"per_page": "500"}, headers=auth(token))
    assert len(await big.json()) == 65 and "Link" not in big.headers
    small = await client.get(url, params={"per_page": "50", "page": "1"}, headers=auth(token))
    assert small.headers["Link"] == (
        f'<{base}?per_page=50&page=2>; rel="next", <{base}?per_page=50&page=2>; rel="last"'
    )


async def test_contents_round_trip_through_base64(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.installation)
    text = "".join(f"line {index} — ünïcode\n" for index in range(20))
    world.state.push(REPO, "main", {"pkg/data.txt": text})
    response = await client.get(f"/repos/{REPO}/contents/pkg/data.txt", headers=auth(token))
    assert response.status == 200
    entry = await response.json()
    assert (entry["type"], entry["encoding"], entry["name"], entry["path"]) == (
        "file",
        "base64",
        "data.txt",
        "pkg/data.txt",
    )
    assert all(len(line) <= 60 for line in entry["content"].splitlines()) and entry["content"].endswith("\n")
    data = base64.b64decode(entry["content"])
    assert data.decode() == text and entry["size"] == len(data)
    assert entry["sha"] == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    head = await client.get(
        f"/repos/{REPO}/contents/src/calc.py", params={"ref": "feature"}, headers=auth(token)
    )
    assert base64.b64decode((await head.json())["content"]).decode().splitlines() == _head_lines()
    by_sha = await client.get(
        f"/repos/{REPO}/contents/NOTES", params={"ref": world.head_sha}, headers=auth(token)
    )
    assert base64.b64decode((await by_sha.json())["content"]) == b"no newline"
    assert (await client.get(f"/repos/{REPO}/contents/NOTES", headers=auth(token))).status == 404
    listing = await (await client.get(f"/repos/{REPO}/contents/", headers=auth(token))).json()
    assert [(item["name"], item["type"]) for item in listing] == [
        ("README.md", "file"),
        ("docs", "dir"),
        ("pkg", "dir"),
        ("src", "dir"),
    ]
    missing_ref = await client.get(
        f"/repos/{REPO}/contents/README.md", params={"ref": "nope"}, headers=auth(token)
    )
    assert (
        missing_ref.status == 404
        and (await missing_ref.json())["message"] == "No commit found for the ref nope"
    )


# ----- reviews ------------------------------------------------------------------------------------


async def test_review_is_created_with_200_and_stored(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.installation)
    comments = [
        {"path": "src/calc.py", "line": 3, "side": "RIGHT", "body": "single"},
        {
            "path": "src/calc.py",
            "start_line": 12,
            "line": 14,
            "side": "RIGHT",
            "start_side": "RIGHT",
            "body": "range",
        },
        {"path": "src/calc.py", "line": 29, "side": "LEFT", "body": "deleted line"},
    ]
    response = await post_review(
        client,
        token,
        {"commit_id": world.head_sha, "body": "Looks fine", "event": "COMMENT", "comments": comments},
    )
    assert response.status == 200
    review = await response.json()
    assert (review["state"], review["body"], review["commit_id"]) == (
        "COMMENTED",
        "Looks fine",
        world.head_sha,
    )
    assert review["user"]["login"] == "maze[bot]" and review["user"]["type"] == "Bot"
    assert review["html_url"].endswith(f"#pullrequestreview-{review['id']}") and "submitted_at" in review
    assert world.state.reviews(REPO, 1) == [review]
    stored = world.state.review_comments(REPO, 1)
    assert [(c["line"], c["side"], c["start_line"], c["start_side"]) for c in stored] == [
        (3, "RIGHT", None, None),
        (14, "RIGHT", 12, "RIGHT"),
        (29, "LEFT", None, None),
    ]
    assert stored[0]["diff_hunk"] == "@@ -1,6 +1,6 @@\n l1\n l2\n-l3\n+L3"
    assert stored[1]["pull_request_review_id"] == review["id"] and stored[1]["subject_type"] == "line"
    listed = await client.get(f"/repos/{REPO}/pulls/1/reviews/{review['id']}/comments", headers=auth(token))
    assert await listed.json() == stored
    assert await (await client.get(f"/repos/{REPO}/pulls/1/comments", headers=auth(token))).json() == stored


@pytest.mark.parametrize(
    ("comment", "error"),
    [
        ({"line": 9}, "Pull request review thread line must be part of the diff"),
        ({"line": 29, "side": "RIGHT"}, "Pull request review thread line must be part of the diff"),
        ({"start_line": 3, "line": 3}, "Pull request review thread start line must precede the end line."),
        (
            {"start_line": 5, "line": 13},
            "Pull request review thread start line must be part of the same hunk",
        ),
        ({"path": "nope.py", "line": 1}, "Path could not be resolved"),
        ({"side": "RIGHT"}, "Line could not be resolved"),
        ({"line": 3, "side": "MIDDLE"}, "Pull request review thread side must be"),
    ],
)
async def test_one_bad_comment_fails_the_whole_review(
    client: Client, world: World, keys: Keys, comment: dict[str, Any], error: str
) -> None:
    token = await mint(client, keys, world.installation)
    bad = {"path": "src/calc.py", "body": "bad", **comment}
    good = {"path": "src/calc.py", "line": 3, "body": "good"}
    response = await post_review(client, token, {"event": "COMMENT", "body": "x", "comments": [good, bad]})
    assert response.status == 422
    body = await response.json()
    assert body["message"] == "Unprocessable Entity" and body["status"] == "422"
    assert body["errors"][0].startswith(error)
    assert "documentation_url" in body
    assert world.state.reviews(REPO, 1) == [] and world.state.review_comments(REPO, 1) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "REQUEST_CHANGES", "body": ""},
        {"event": "COMMENT"},
        {"event": "APPROVE", "commit_id": "0" * 40},
        {"event": "SHIP_IT"},
        {"event": "COMMENT", "comments": [{"path": "src/calc.py", "line": 3}]},
        {"event": "COMMENT", "comments": [{"path": "src/calc.py", "line": "3", "body": "x"}]},
    ],
)
async def test_review_level_422_rules(
    client: Client, world: World, keys: Keys, payload: dict[str, Any]
) -> None:
    token = await mint(client, keys, world.installation)
    response = await post_review(client, token, payload)
    assert response.status == 422
    assert world.state.reviews(REPO, 1) == []


async def test_pending_review_position_comment_and_update(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.installation)
    response = await post_review(
        client, token, {"comments": [{"path": "src/calc.py", "position": 4, "body": "p"}]}
    )
    review = await response.json()
    assert response.status == 200 and review["state"] == "PENDING" and "submitted_at" not in review
    [comment] = world.state.review_comments(REPO, 1)
    assert (comment["line"], comment["side"], comment["position"]) == (3, "RIGHT", 4)
    second = await post_review(client, token, {"body": "again"})
    assert second.status == 422 and "one pending review" in (await second.json())["errors"][0]
    update = await client.put(
        f"/repos/{REPO}/pulls/1/reviews/{review['id']}", json={"body": "edited"}, headers=auth(token)
    )
    assert update.status == 200 and (await update.json())["body"] == "edited"
    assert world.state.reviews(REPO, 1)[0]["body"] == "edited"
    missing = await client.put(f"/repos/{REPO}/pulls/1/reviews/1", json={"body": "x"}, headers=auth(token))
    assert missing.status == 404


async def test_push_moves_the_pull_request_head(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.installation)
    new_head = world.state.push(REPO, "feature", {"src/calc.py": "\n".join(BASE_LINES) + "\nl31\n"})
    assert len(new_head) == 40 and new_head != world.head_sha
    pull = await (await client.get(f"/repos/{REPO}/pulls/1", headers=auth(token))).json()
    assert pull["head"]["sha"] == new_head and pull["commits"] == 2
    stale = await post_review(client, token, {"event": "APPROVE", "commit_id": world.head_sha})
    assert stale.status == 422
    files = await (await client.get(f"/repos/{REPO}/pulls/1/files", headers=auth(token))).json()
    calc = next(entry for entry in files if entry["filename"] == "src/calc.py")
    assert calc["patch"] == "@@ -28,3 +28,4 @@ l27\n l28\n l29\n l30\n+l31"


# ----- rate limits, faults, unknown routes --------------------------------------------------------


async def test_rate_limit_headers_count_down_per_installation(
    client: Client, world: World, keys: Keys
) -> None:
    token = await mint(client, keys, world.installation)
    first = await client.get(f"/repos/{REPO}", headers=auth(token))
    second = await client.get(f"/repos/{REPO}/pulls/1", headers=auth(token))
    assert first.headers["x-ratelimit-limit"] == "5000" and first.headers["x-ratelimit-resource"] == "core"
    assert int(first.headers["x-ratelimit-remaining"]) - int(second.headers["x-ratelimit-remaining"]) == 1
    assert second.headers["x-ratelimit-used"] == "2"
    assert int(second.headers["x-ratelimit-reset"]) - time.time() > 3500
    assert second.headers["x-github-api-version-selected"] == "2022-11-28"
    assert first.headers["x-github-request-id"] != second.headers["x-github-request-id"]
    assert second.headers["Content-Type"] == "application/json; charset=utf-8"
    world.state.rate_limit = 3
    third = await client.get(f"/repos/{REPO}", headers=auth(token))
    fourth = await client.get(f"/repos/{REPO}", headers=auth(token))
    assert (third.status, third.headers["x-ratelimit-remaining"]) == (200, "0")
    assert fourth.status == 403 and fourth.headers["x-ratelimit-remaining"] == "0"
    assert (await fourth.json())[
        "message"
    ] == f"API rate limit exceeded for installation ID {world.installation}."


async def test_fail_next_injects_github_errors(client: Client, world: World, keys: Keys) -> None:
    token = await mint(client, keys, world.installation)
    world.state.fail_next("POST", r"/pulls/1/reviews$", 403, times=2, headers={"Retry-After": "7"})
    payload = {"event": "APPROVE"}
    statuses = []
    for _ in range(3):
        response = await post_review(client, token, payload)
        statuses.append(response.status)
        if response.status == 403:
            assert response.headers["Retry-After"] == "7" and "x-ratelimit-remaining" in response.headers
            assert "secondary rate limit" in (await response.json())["message"]
    assert statuses == [403, 403, 200]
    assert [entry for entry in world.state.request_log if entry[0] == "POST"][-3:] == [
        ("POST", f"/repos/{REPO}/pulls/1/reviews", 403),
        ("POST", f"/repos/{REPO}/pulls/1/reviews", 403),
        ("POST", f"/repos/{REPO}/pulls/1/reviews", 200),
    ]
    assert len(world.state.reviews(REPO, 1)) == 1


async def test_unknown_route_is_a_json_404(client: Client) -> None:
    for method, path in (("GET", "/nope"), ("DELETE", f"/repos/{REPO}"), ("GET", f"/repos/{REPO}/pulls/x")):
        response = await client.request(method, path)
        assert response.status == 404
        assert (await response.json())["message"] == "Not Found"
        assert "x-ratelimit-limit" in response.headers


# ----- webhooks -----------------------------------------------------------------------------------


def test_example_payloads_come_from_githubs_examples() -> None:
    opened = example_payload("pull_request", "opened")
    assert opened["action"] == "opened" and "installation" in opened and "organization" not in opened
    assert "organization" in example_payload("pull_request", "opened", organization=True)
    with pytest.raises(KeyError, match="no webhook examples for event 'deployment'"):
        example_payload("deployment")
    with pytest.raises(ValueError, match=r"star\.created"):
        example_payload("star", "created")
    assert example_payload("ping", installation=False)["zen"]


def test_pull_request_event_describes_the_emulated_pull(world: World) -> None:
    payload = pull_request_event(world.state, REPO, 1, "opened")
    pull = world.state.pull_request(REPO, 1)
    assert payload["action"] == "opened" and payload["number"] == 1
    assert payload["pull_request"]["head"]["sha"] == world.head_sha == pull["head"]["sha"]
    assert (
        payload["repository"]["full_name"] == REPO
        and payload["repository"]["id"] == pull["base"]["repo"]["id"]
    )
    assert payload["installation"]["id"] == world.installation
    assert payload["organization"]["login"] == "acme" and payload["sender"]["login"] == "octocat"
    new_head = world.state.push(REPO, "feature", {"README.md": "changed\n"})
    sync = pull_request_event(world.state, REPO, 1, "synchronize")
    assert (sync["before"], sync["after"]) == (world.head_sha, new_head)
    assert sync["pull_request"]["head"]["sha"] == new_head


def test_webhook_request_is_signed_like_github(world: World) -> None:
    payload = pull_request_event(world.state, REPO, 1, "opened")
    headers, body = webhook_request("pull_request", payload, "s3cret", delivery_id="d-1", target_id=APP_ID)
    assert verify("s3cret", body, headers["X-Hub-Signature-256"])
    assert json.loads(body) == payload
    assert headers["X-GitHub-Event"] == "pull_request" and headers["X-GitHub-Delivery"] == "d-1"
    assert headers["X-GitHub-Hook-Installation-Target-Type"] == "integration"
    assert headers["X-GitHub-Hook-Installation-Target-ID"] == str(APP_ID)
    assert (
        headers["User-Agent"].startswith("GitHub-Hookshot/") and headers["Content-Type"] == "application/json"
    )
    generated, _ = webhook_request("ping", {"zen": "z"}, "s3cret")
    assert len(generated["X-GitHub-Delivery"]) == 36


async def test_deliver_posts_a_verifiable_delivery(world: World, aiohttp_server: Any) -> None:
    received: list[tuple[str, bytes]] = []

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        if not verify("s3cret", body, request.headers.get("X-Hub-Signature-256")):
            return web.Response(status=401)
        received.append((request.headers["X-GitHub-Event"], body))
        return web.Response(status=202)

    receiver = web.Application()
    receiver.router.add_post("/webhook", receive)
    server: TestServer = await aiohttp_server(receiver)
    payload = pull_request_event(world.state, REPO, 1, "opened")
    async with aiohttp.ClientSession() as session:
        url = str(server.make_url("/webhook"))
        assert await deliver(session, url, "pull_request", payload, "s3cret") == 202
        assert await deliver(session, url, "pull_request", payload, "wrong") == 401
    assert [(event, json.loads(body)["number"]) for event, body in received] == [("pull_request", 1)]


# ----- serving over real HTTP ---------------------------------------------------------------------


def test_emulator_server_serves_from_a_thread(world: World) -> None:
    token = world.state.mint_token(world.installation)["token"]
    with EmulatorServer(world.state) as server:
        assert server.url.startswith("http://127.0.0.1:")
        request = urllib.request.Request(f"{server.url}/repos/{REPO}/pulls/1", headers=auth(token))
        with urllib.request.urlopen(request, timeout=5) as response:
            pull = json.loads(response.read())
            assert response.status == 200 and response.headers["x-ratelimit-limit"] == "5000"
        assert pull["url"] == f"{server.url}/repos/{REPO}/pulls/1"
        assert world.state.request_log[-1] == ("GET", f"/repos/{REPO}/pulls/1", 200)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{server.url}/repos/{REPO}", timeout=2)


async def test_serve_emulator_in_the_running_loop(world: World) -> None:
    token = world.state.mint_token(world.installation)["token"]
    runner, url = await serve_emulator(world.state)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url}/repos/{REPO}", headers=auth(token)) as r,
        ):
            assert r.status == 200 and (await r.json())["url"] == f"{url}/repos/{REPO}"
    finally:
        await runner.cleanup()


# ----- diffing edge cases -------------------------------------------------------------------------


def test_binary_and_renamed_files_have_no_patch() -> None:
    binary = diff_file("logo.png", b"\x89PNG\0old", b"\x89PNG\0new")
    assert binary.binary and binary.patch is None and binary.status == "modified"
    [renamed] = diff_trees({"a.py": b"x = 1\n"}, {"b.py": b"x = 1\n"})
    assert (renamed.status, renamed.path, renamed.previous_path, renamed.patch) == (
        "renamed",
        "b.py",
        "a.py",
        None,
    )
    changed = diff_file("x.txt", b"a\nb", b"a\nb\n")
    assert changed.patch == "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b"
