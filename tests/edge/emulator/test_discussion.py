"""Conversation on pull requests: issue comments, review comments and replies, reactions, their webhooks."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator import (
    installation_event,
    installation_repositories_event,
    issue_comment_event,
    review_comment_event,
    review_thread_event,
)
from bot.emulator.model import CommentKind
from tests.edge.emulator.support import (
    REPO,
    Client,
    Keys,
    World,
    auth,
    make_world,
    post_review,
)


@pytest.fixture()
def world(keys: Keys) -> World:
    world = make_world(keys)
    world.state.add_collaborator(REPO, "alice")
    return world


async def call(
    client: Client, token: str, method: str, path: str, status: int, body: dict[str, Any] | None = None
) -> Any:
    response = await client.request(method, path, json=body, headers=auth(token))
    text = await response.text()
    assert response.status == status, text
    return await response.json() if text else None


async def posted_comment(client: Client, token: str) -> dict[str, Any]:
    """The bot's review comment on line 3 of src/calc.py."""
    comment = {"path": "src/calc.py", "line": 3, "side": "RIGHT", "body": "L3 should be lower case"}
    response = await post_review(client, token, {"event": "COMMENT", "body": "Review", "comments": [comment]})
    assert response.status == 200
    [stored] = await call(client, token, "GET", f"/repos/{REPO}/pulls/1/comments", 200)
    return dict(stored)


# ----- issue comments ------------------------------------------------------------------------------


async def test_issue_comments_on_a_pull_request(client: Client, world: World, token: str) -> None:
    response = await client.post(
        f"/repos/{REPO}/issues/1/comments", json={"body": "Thanks"}, headers=auth(token)
    )
    assert response.status == 201
    comment = await response.json()
    assert response.headers["Location"] == comment["url"]
    assert comment["url"].endswith(f"/repos/{REPO}/issues/comments/{comment['id']}")
    assert comment["issue_url"].endswith(f"/repos/{REPO}/issues/1")
    assert comment["html_url"].endswith(f"/pull/1#issuecomment-{comment['id']}")
    assert comment["user"]["login"] == "maze[bot]" and comment["performed_via_github_app"]["slug"] == "maze"
    assert comment["reactions"]["total_count"] == 0
    human = world.state.add_issue_comment(REPO, 1, "/maze fix", "alice")
    assert human["author_association"] == "COLLABORATOR" and human["performed_via_github_app"] is None
    listed = await call(client, token, "GET", f"/repos/{REPO}/issues/1/comments", 200)
    assert [entry["id"] for entry in listed] == [comment["id"], human["id"]]
    assert (await call(client, token, "GET", f"/repos/{REPO}/pulls/1", 200))["comments"] == 2
    issue = await call(client, token, "GET", f"/repos/{REPO}/issues/1", 200)
    assert issue["pull_request"]["url"].endswith(f"/repos/{REPO}/pulls/1") and issue["comments"] == 2


async def test_issue_comment_edit_delete_and_422s(client: Client, token: str) -> None:
    comment = await call(client, token, "POST", f"/repos/{REPO}/issues/1/comments", 201, {"body": "v1"})
    path = f"/repos/{REPO}/issues/comments/{comment['id']}"
    edited = await call(client, token, "PATCH", path, 200, {"body": "v2"})
    assert edited["body"] == "v2" and edited["id"] == comment["id"]
    assert (await call(client, token, "GET", path, 200))["body"] == "v2"
    missing = await call(client, token, "POST", f"/repos/{REPO}/issues/1/comments", 422, {})
    assert missing["message"] == 'Invalid request.\n\n"body" wasn\'t supplied.'
    blank = await call(client, token, "POST", f"/repos/{REPO}/issues/1/comments", 422, {"body": "  "})
    assert blank["errors"][0]["code"] == "missing_field"
    too_long = await call(client, token, "PATCH", path, 422, {"body": "x" * 65537})
    assert too_long["errors"][0]["code"] == "too_long"
    assert await call(client, token, "DELETE", path, 204) is None
    await call(client, token, "GET", path, 404)
    await call(client, token, "POST", f"/repos/{REPO}/issues/42/comments", 404, {"body": "x"})


# ----- review comments and replies -----------------------------------------------------------------


async def test_review_comment_get_edit_delete(client: Client, world: World, token: str) -> None:
    comment = await posted_comment(client, token)
    path = f"/repos/{REPO}/pulls/comments/{comment['id']}"
    assert await call(client, token, "GET", path, 200) == comment
    edited = await call(client, token, "PATCH", path, 200, {"body": "Edited"})
    assert edited["body"] == "Edited" and edited["line"] == 3 and edited["diff_hunk"] == comment["diff_hunk"]
    await call(client, token, "PATCH", path, 422, {})
    await call(client, token, "DELETE", path, 204)
    await call(client, token, "GET", path, 404)
    assert world.state.review_comments(REPO, 1) == []


async def test_reply_joins_the_thread(client: Client, world: World, token: str) -> None:
    comment = await posted_comment(client, token)
    url = f"/repos/{REPO}/pulls/1/comments/{comment['id']}/replies"
    response = await client.post(url, json={"body": "Fixed in the next push"}, headers=auth(token))
    assert response.status == 201
    reply = await response.json()
    assert response.headers["Location"] == reply["url"]
    assert reply["in_reply_to_id"] == comment["id"] and "in_reply_to_id" not in comment
    assert (reply["path"], reply["line"], reply["side"], reply["diff_hunk"]) == (
        comment["path"],
        comment["line"],
        comment["side"],
        comment["diff_hunk"],
    )
    assert reply["pull_request_review_id"] != comment["pull_request_review_id"]
    review = await call(
        client, token, "GET", f"/repos/{REPO}/pulls/1/reviews/{reply['pull_request_review_id']}", 200
    )
    assert review["state"] == "COMMENTED"
    human = world.state.reply_as(REPO, 1, comment["id"], "Thanks!", "alice")
    assert human["author_association"] == "COLLABORATOR"
    listed = await call(client, token, "GET", f"/repos/{REPO}/pulls/1/comments", 200)
    assert [entry["id"] for entry in listed] == [comment["id"], reply["id"], human["id"]]
    to_reply = await call(
        client, token, "POST", f"/repos/{REPO}/pulls/1/comments/{reply['id']}/replies", 422, {"body": "x"}
    )
    assert "Replies to replies are not supported" in to_reply["message"]
    world.state.push(REPO, "other", {"x.txt": "x\n"})
    world.state.open_pull_request(REPO, head="other")
    await call(
        client, token, "POST", f"/repos/{REPO}/pulls/2/comments/{comment['id']}/replies", 404, {"body": "x"}
    )
    await call(client, token, "POST", url, 422, {})


async def test_single_review_comment_is_anchored_like_a_review(
    client: Client, world: World, token: str
) -> None:
    path = f"/repos/{REPO}/pulls/1/comments"
    comment = {
        "path": "src/calc.py",
        "line": 14,
        "start_line": 12,
        "body": "Range",
        "commit_id": world.head_sha,
    }
    created = await call(client, token, "POST", path, 201, comment)
    assert (created["start_line"], created["line"], created["side"]) == (12, 14, "RIGHT")
    outside = await call(client, token, "POST", path, 422, {**comment, "start_line": None, "line": 9})
    assert outside["message"] == "Validation Failed"
    assert outside["errors"][0]["field"] == "pull_request_review_thread.line"
    stale = await call(client, token, "POST", path, 422, {**comment, "commit_id": "f" * 40})
    assert "not part of the pull request" in stale["errors"][0]
    reply = await call(client, token, "POST", path, 201, {"body": "Also", "in_reply_to": created["id"]})
    assert reply["in_reply_to_id"] == created["id"]


# ----- reactions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["issue", "review"])
async def test_reactions_are_created_once_per_user_and_content(
    client: Client, world: World, token: str, kind: CommentKind
) -> None:
    if kind == "issue":
        comment = world.state.add_issue_comment(REPO, 1, "/maze fix", "alice")
        base = f"/repos/{REPO}/issues/comments/{comment['id']}"
    else:
        comment = await posted_comment(client, token)
        base = f"/repos/{REPO}/pulls/comments/{comment['id']}"
    first = await client.post(f"{base}/reactions", json={"content": "eyes"}, headers=auth(token))
    again = await client.post(f"{base}/reactions", json={"content": "eyes"}, headers=auth(token))
    assert (first.status, again.status) == (201, 200)
    reaction = await first.json()
    assert await again.json() == reaction
    assert reaction["content"] == "eyes" and reaction["user"]["login"] == "maze[bot]"
    world.state.add_reaction(REPO, kind, comment["id"], "+1", "alice")
    world.state.add_reaction(REPO, kind, comment["id"], "+1", "bob")
    listed = await call(client, token, "GET", f"{base}/reactions", 200)
    assert [(r["content"], r["user"]["login"]) for r in listed] == [
        ("eyes", "maze[bot]"),
        ("+1", "alice"),
        ("+1", "bob"),
    ]
    thumbs = await call(client, token, "GET", f"{base}/reactions?content=%2B1", 200)
    assert {r["user"]["login"] for r in thumbs} == {"alice", "bob"}
    rollup = (await call(client, token, "GET", base, 200))["reactions"]
    assert (rollup["total_count"], rollup["+1"], rollup["eyes"], rollup["heart"]) == (3, 2, 1, 0)
    invalid = await call(client, token, "POST", f"{base}/reactions", 422, {"content": "party"})
    assert invalid["errors"][0] == {
        "resource": "Reaction",
        "field": "content",
        "code": "invalid",
        "value": "party",
    }
    alices = next(r for r in listed if r["user"]["login"] == "alice")
    await call(client, token, "DELETE", f"{base}/reactions/{alices['id']}", 404)
    await call(client, token, "DELETE", f"{base}/reactions/{reaction['id']}", 204)
    assert len(await call(client, token, "GET", f"{base}/reactions", 200)) == 2


async def test_reactions_on_a_missing_comment_are_404(client: Client, token: str) -> None:
    await call(client, token, "POST", f"/repos/{REPO}/issues/comments/1/reactions", 404, {"content": "+1"})
    await call(client, token, "GET", f"/repos/{REPO}/pulls/comments/1/reactions", 404)


# ----- webhook payloads ----------------------------------------------------------------------------


async def test_issue_comment_event_is_about_a_pull_request(world: World) -> None:
    comment = world.state.add_issue_comment(REPO, 1, "/maze fix", "alice")
    payload = issue_comment_event(world.state, REPO, 1, comment["id"])
    assert payload["action"] == "created" and payload["comment"] == comment
    assert payload["issue"]["number"] == 1 and "pull_request" in payload["issue"]
    assert payload["sender"]["login"] == "alice" and payload["installation"]["id"] == world.installation
    assert payload["repository"]["full_name"] == REPO and payload["organization"]["login"] == "acme"
    edited = issue_comment_event(world.state, REPO, 1, comment["id"], "edited", previous_body="/maze")
    assert edited["changes"] == {"body": {"from": "/maze"}}


async def test_review_comment_and_thread_events(client: Client, world: World, token: str) -> None:
    comment = await posted_comment(client, token)
    payload = review_comment_event(world.state, REPO, 1, comment["id"])
    assert payload["action"] == "created" and payload["comment"]["id"] == comment["id"]
    assert (payload["comment"]["path"], payload["comment"]["line"]) == ("src/calc.py", 3)
    assert payload["pull_request"]["number"] == 1 and payload["sender"]["login"] == "maze[bot]"
    reply = world.state.reply_as(REPO, 1, comment["id"], "done", "alice")
    world.state.resolve_review_thread(REPO, comment["id"])
    assert world.state.is_thread_resolved(REPO, comment["id"])
    thread = review_thread_event(world.state, REPO, 1, comment["id"], sender_login="alice")
    assert thread["action"] == "resolved" and thread["sender"]["login"] == "alice"
    assert [c["id"] for c in thread["thread"]["comments"]] == [comment["id"], reply["id"]]
    assert thread["installation"]["id"] == world.installation


def test_installation_events_describe_the_emulated_installation(world: World) -> None:
    created = installation_event(world.state, world.other_installation, "created")
    assert created["installation"]["id"] == world.other_installation
    assert created["installation"]["account"]["login"] == "zed"
    assert sorted(repo["full_name"] for repo in created["repositories"]) == ["zed/open", "zed/private-things"]
    assert set(created["repositories"][0]) == {"id", "node_id", "name", "full_name", "private"}
    world.state.suspend_installation(world.other_installation)
    suspended = installation_event(world.state, world.other_installation, "suspend")
    assert "repositories" not in suspended and suspended["installation"]["suspended_at"] is not None
    added = installation_repositories_event(world.state, world.installation, "added", [REPO])
    assert [repo["full_name"] for repo in added["repositories_added"]] == [REPO]
    assert added["repositories_removed"] == [] and added["repository_selection"] == "all"
    removed = installation_repositories_event(world.state, world.installation, "removed", [REPO])
    assert removed["repositories_added"] == [] and removed["repositories_removed"][0]["full_name"] == REPO
