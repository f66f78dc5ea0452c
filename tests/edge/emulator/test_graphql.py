"""The emulator's GitHub GraphQL endpoint: review threads, resolving, minimizing, errors, limits, faults."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from bot.emulator import FaultPlan, pull_request_event, review_thread_event
from bot.emulator.contract import default_contract, exempt_from_contract
from tests.edge.emulator.support import (
    OTHER_REPO,
    REPO,
    Client,
    Keys,
    World,
    auth,
    make_world,
    post_review,
)

THREADS = """
query($owner:String!,$name:String!,$number:Int!,$cursor:String){ repository(owner:$owner,name:$name){
  pullRequest(number:$number){ reviewThreads(first:100, after:$cursor){ pageInfo{hasNextPage endCursor}
    nodes{ id isResolved isOutdated path line comments(first:100){
      nodes{ id databaseId body isMinimized minimizedReason author{login} } } } } } } }
"""
PAGE = THREADS.replace("first:100, after", "first:1, after")
RESOLVE = "mutation($id:ID!){ resolveReviewThread(input:{threadId:$id}) { thread { id isResolved } } }"
UNRESOLVE = "mutation($id:ID!){ unresolveReviewThread(input:{threadId:$id}) { thread { id isResolved } } }"
MINIMIZE = """mutation($id:ID!,$why:ReportedContentClassifiers!){
  minimizeComment(input:{subjectId:$id, classifier:$why}) {
    minimizedComment { isMinimized minimizedReason } } }"""
UNMINIMIZE = (
    "mutation($id:ID!){ unminimizeComment(input:{subjectId:$id}) { unminimizedComment { isMinimized } } }"
)
PR_VARIABLES = {"owner": "acme", "name": "widgets", "number": 1}
SECONDARY = "You have exceeded a secondary rate limit"

Answer = tuple[int, Any, CIMultiDictProxy[str]]


@pytest.fixture()
def world(keys: Keys) -> World:
    world = make_world(keys)
    world.state.add_collaborator(REPO, "alice")
    return world


async def gql(
    client: Client, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> Answer:
    headers = {"Authorization": f"bearer {token}"} if token is not None else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    return response.status, await response.json(), response.headers


async def data(client: Client, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    status, body, _ = await gql(client, token, query, variables)
    assert status == 200 and "errors" not in body, body
    return body["data"]


async def threads(client: Client, token: str) -> list[dict[str, Any]]:
    found = await data(client, token, THREADS, {**PR_VARIABLES, "cursor": None})
    nodes: list[dict[str, Any]] = found["repository"]["pullRequest"]["reviewThreads"]["nodes"]
    return nodes


async def review(client: Client, token: str, world: World) -> list[dict[str, Any]]:
    """The bot's review with comments on line 3 and lines 12-13 of src/calc.py, and alice's reply to the
    first; the REST review comments, oldest first."""
    comments = [
        {"path": "src/calc.py", "line": 3, "side": "RIGHT", "body": "lower case"},
        {"path": "src/calc.py", "start_line": 12, "line": 13, "side": "RIGHT", "body": "simpler"},
    ]
    response = await post_review(client, token, {"event": "COMMENT", "body": "Review", "comments": comments})
    assert response.status == 200
    listed = await client.get(f"/repos/{REPO}/pulls/1/comments", headers=auth(token))
    first, second = await listed.json()
    reply = world.state.reply_as(REPO, 1, first["id"], "done", "alice")
    return [first, second, reply]


# ----- reading threads ---------------------------------------------------------------------------------


async def test_threads_are_paged_by_cursor(client: Client, token: str, world: World) -> None:
    first, second, reply = await review(client, token, world)
    page = await data(client, token, PAGE, {**PR_VARIABLES, "cursor": None})
    connection = page["repository"]["pullRequest"]["reviewThreads"]
    assert connection["pageInfo"]["hasNextPage"] is True
    [one] = connection["nodes"]
    assert one["id"].startswith("PRRT_kw") and one["path"] == "src/calc.py" and one["line"] == 3
    assert (one["isResolved"], one["isOutdated"]) == (False, False)
    comments = one["comments"]["nodes"]
    assert [c["databaseId"] for c in comments] == [first["id"], reply["id"]]
    assert [c["author"]["login"] for c in comments] == ["maze", "alice"]
    assert comments[0] == {
        "id": first["node_id"],
        "databaseId": first["id"],
        "body": "lower case",
        "isMinimized": False,
        "minimizedReason": None,
        "author": {"login": "maze"},
    }
    cursor = connection["pageInfo"]["endCursor"]
    rest = await data(client, token, PAGE, {**PR_VARIABLES, "cursor": cursor})
    connection = rest["repository"]["pullRequest"]["reviewThreads"]
    assert connection["pageInfo"]["hasNextPage"] is False
    [two] = connection["nodes"]
    assert two["line"] == 13 and [c["databaseId"] for c in two["comments"]["nodes"]] == [second["id"]]
    assert [thread["id"] for thread in await threads(client, token)] == [one["id"], two["id"]]


async def test_ids_are_stable_distinct_and_shared_with_rest_and_webhooks(
    client: Client, token: str, world: World
) -> None:
    first, second, reply = await review(client, token, world)
    found = await threads(client, token)
    assert found == await threads(client, token)
    comment_ids = [c["id"] for thread in found for c in thread["comments"]["nodes"]]
    all_ids = [thread["id"] for thread in found] + comment_ids
    assert len(set(all_ids)) == 5 and all(i.startswith(("PRRT_kw", "PRRC_kw")) for i in all_ids)
    assert comment_ids == [first["node_id"], reply["node_id"], second["node_id"]]
    assert world.state.review_thread_id(REPO, reply["id"]) == found[0]["id"]
    event = review_thread_event(world.state, REPO, 1, first["id"], "resolved")
    assert set(event["thread"]) == {"node_id", "comments"}
    assert event["thread"]["node_id"] == found[0]["id"]
    assert [c["node_id"] for c in event["thread"]["comments"]] == [first["node_id"], reply["node_id"]]
    by_id = "query($id:ID!){ node(id:$id){ __typename ... on PullRequestReviewThread { id path } } }"
    node = await data(client, token, by_id, {"id": found[1]["id"]})
    assert node == {
        "node": {"__typename": "PullRequestReviewThread", "id": found[1]["id"], "path": "src/calc.py"}
    }


async def test_a_push_that_changes_a_commented_line_makes_its_thread_outdated(
    client: Client, token: str, world: World
) -> None:
    await review(client, token, world)
    head = world.state.commit(REPO, "feature")
    lines = world.state.contents(REPO, "src/calc.py", head["sha"])
    assert isinstance(lines, dict)
    world.state.push(REPO, "feature", {"src/calc.py": "l0\n" + _text(lines).replace("L3\n", "LL3\n")})
    on_three, on_thirteen = await threads(client, token)
    assert (on_three["isOutdated"], on_three["line"]) == (True, None)
    assert (on_thirteen["isOutdated"], on_thirteen["line"]) == (False, 14)
    summary = world.state.review_threads(REPO, 1)
    assert [(t["isOutdated"], t["line"], t["originalLine"]) for t in summary] == [
        (True, None, 3),
        (False, 14, 13),
    ]


def _text(content: dict[str, Any]) -> str:
    return base64.b64decode(content["content"]).decode()


# ----- mutations ---------------------------------------------------------------------------------------


async def test_resolve_and_unresolve_a_thread(client: Client, token: str, world: World) -> None:
    first, _, reply = await review(client, token, world)
    thread_id = world.state.review_thread_id(REPO, first["id"])
    resolved = await data(client, token, RESOLVE, {"id": thread_id})
    assert resolved == {"resolveReviewThread": {"thread": {"id": thread_id, "isResolved": True}}}
    assert world.state.is_thread_resolved(REPO, first["id"]) and world.state.is_thread_resolved(
        REPO, reply["id"]
    )
    assert world.state.review_threads(REPO, 1)[0]["resolvedBy"] == "maze[bot]"
    assert [t["isResolved"] for t in await threads(client, token)] == [True, False]
    unresolved = await data(client, token, UNRESOLVE, {"id": thread_id})
    assert unresolved == {"unresolveReviewThread": {"thread": {"id": thread_id, "isResolved": False}}}
    assert not world.state.is_thread_resolved(REPO, first["id"])
    assert world.state.review_threads(REPO, 1)[0]["resolvedBy"] is None
    world.state.resolve_review_thread(REPO, reply["id"], resolver_login="alice")
    assert world.state.review_threads(REPO, 1)[0]["resolvedBy"] == "alice"


async def test_minimize_a_suggestion_as_outdated(client: Client, token: str, world: World) -> None:
    first, second, _ = await review(client, token, world)
    minimized = await data(client, token, MINIMIZE, {"id": first["node_id"], "why": "OUTDATED"})
    assert minimized == {
        "minimizeComment": {"minimizedComment": {"isMinimized": True, "minimizedReason": "outdated"}}
    }
    assert world.state.comment_minimized(REPO, first["id"]) == "outdated"
    assert world.state.comment_minimized(REPO, second["id"]) is None
    shown = (await threads(client, token))[0]["comments"]["nodes"][0]
    assert (shown["isMinimized"], shown["minimizedReason"]) == (True, "outdated")
    rest = await client.get(f"/repos/{REPO}/pulls/comments/{first['id']}", headers=auth(token))
    assert (await rest.json())["body"] == "lower case"
    unminimized = await data(client, token, UNMINIMIZE, {"id": first["node_id"]})
    assert unminimized == {"unminimizeComment": {"unminimizedComment": {"isMinimized": False}}}
    assert world.state.comment_minimized(REPO, first["id"]) is None
    issue_comment = world.state.create_issue_comment(REPO, 1, "Summary")
    assert issue_comment["node_id"].startswith("IC_kw")
    await data(client, token, MINIMIZE, {"id": issue_comment["node_id"], "why": "OFF_TOPIC"})
    assert world.state.comment_minimized(REPO, issue_comment["id"]) == "off-topic"


async def test_a_read_only_token_may_not_resolve(client: Client, token: str, world: World) -> None:
    first, _, _ = await review(client, token, world)
    reader = world.state.mint_token(world.installation, {"pull_requests": "read"})["token"]
    thread_id = world.state.review_thread_id(REPO, first["id"])
    status, body, _ = await gql(client, reader, RESOLVE, {"id": thread_id})
    assert status == 200 and body["data"] == {"resolveReviewThread": None}
    assert body["errors"][0]["type"] == "FORBIDDEN"
    assert body["errors"][0]["message"] == "Resource not accessible by integration"
    assert not world.state.is_thread_resolved(REPO, first["id"])


async def test_a_collaborator_resolves_with_a_user_token_and_a_stranger_sees_nothing(
    client: Client, token: str, world: World
) -> None:
    first, _, _ = await review(client, token, world)
    thread_id = world.state.review_thread_id(REPO, first["id"])
    stranger = world.state.create_user_token("mallory")
    _, hidden, _ = await gql(client, stranger, RESOLVE, {"id": thread_id})
    assert hidden["errors"][0]["type"] == "NOT_FOUND" and not world.state.is_thread_resolved(
        REPO, first["id"]
    )
    alice = world.state.create_user_token("alice")
    await data(client, alice, RESOLVE, {"id": thread_id})
    assert world.state.review_threads(REPO, 1)[0]["resolvedBy"] == "alice"
    mine = await data(
        client,
        alice,
        "query($id:ID!){ node(id:$id){ ... on PullRequestReviewComment { viewerDidAuthor } } }",
        {"id": first["node_id"]},
    )
    assert mine == {"node": {"viewerDidAuthor": False}}


# ----- errors ------------------------------------------------------------------------------------------


async def test_unknown_ids_are_not_found(client: Client, token: str, world: World) -> None:
    first, _, _ = await review(client, token, world)
    status, body, _ = await gql(client, token, RESOLVE, {"id": "PRRT_nope"})
    assert status == 200
    assert body == {
        "data": {"resolveReviewThread": None},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["resolveReviewThread"],
                "locations": [{"line": 1, "column": 20}],
                "message": "Could not resolve to a node with the global id of 'PRRT_nope'",
            }
        ],
    }
    thread_id = world.state.review_thread_id(REPO, first["id"])
    _, wrong_kind, _ = await gql(client, token, MINIMIZE, {"id": thread_id, "why": "SPAM"})
    assert wrong_kind["errors"][0]["type"] == "NOT_FOUND" and wrong_kind["data"] == {"minimizeComment": None}
    _, node, _ = await gql(client, token, '{ node(id: "MDQ6VXNlcjE=") { id } }')
    assert node["data"] == {"node": None} and node["errors"][0]["path"] == ["node"]


async def test_hidden_repositories_and_missing_pull_requests_are_not_found(
    client: Client, token: str
) -> None:
    owner, name = OTHER_REPO.split("/")
    query = "query($o:String!,$n:String!){ repository(owner:$o, name:$n) { pullRequest(number: 7) { id } } }"
    _, hidden, _ = await gql(client, token, query, {"o": owner, "n": name})
    assert hidden["data"] == {"repository": None}
    assert (
        hidden["errors"][0]["message"] == f"Could not resolve to a Repository with the name '{OTHER_REPO}'."
    )
    _, missing, _ = await gql(client, token, query, {"o": "acme", "n": "widgets"})
    assert missing["data"] == {"repository": {"pullRequest": None}}
    assert missing["errors"][0]["type"] == "NOT_FOUND"
    assert missing["errors"][0]["path"] == ["repository", "pullRequest"]
    assert missing["errors"][0]["message"] == "Could not resolve to a PullRequest with the number of 7."


async def test_without_credentials_the_answer_is_401(client: Client) -> None:
    status, body, _ = await gql(client, None, THREADS, PR_VARIABLES)
    assert status == 401 and body["message"] == "This endpoint requires you to be authenticated."
    assert body["documentation_url"].startswith("https://docs.github.com/graphql")
    status, body, _ = await gql(client, "not-a-token", THREADS, PR_VARIABLES)
    assert (status, body["message"]) == (401, "Bad credentials")


async def test_parse_and_validation_errors_are_200_with_errors(client: Client, token: str) -> None:
    status, body, _ = await gql(client, token, '{ repository(owner: "acme") { }')
    assert status == 200
    assert body == {
        "errors": [
            {"message": 'Parse error on "}" (RCURLY) at [1, 31]', "locations": [{"line": 1, "column": 31}]}
        ]
    }
    _, unfinished, _ = await gql(client, token, "query { repository")
    assert unfinished == {"errors": [{"message": "Unexpected end of document"}]}
    _, unknown, _ = await gql(client, token, '{ repository(owner:"acme", name:"widgets") { stars } }')
    [error] = unknown["errors"]
    assert "data" not in unknown and error["message"] == "Field 'stars' doesn't exist on type 'Repository'"
    assert error["extensions"]["code"] == "undefinedField" and error["locations"] == [
        {"line": 1, "column": 46}
    ]
    _, bad_variable, _ = await gql(client, token, THREADS, {**PR_VARIABLES, "number": "one"})
    assert bad_variable["errors"][0]["message"] == "Variable $number of type Int! was provided invalid value"
    response = await client.post("/graphql", json={"variables": {}}, headers=auth(token))
    assert await response.json() == {
        "errors": [{"message": "A query attribute must be specified and must be a string."}]
    }
    response = await client.post("/graphql", data=b"{nope", headers=auth(token))
    assert (response.status, (await response.json())["message"]) == (400, "Problems parsing JSON")


async def test_connections_need_bounds_of_at_most_100(client: Client, token: str) -> None:
    query = '{ repository(owner:"acme", name:"widgets") { pullRequest(number:1) {'
    query += " reviewThreads%s { totalCount } } } }"
    _, unbounded, _ = await gql(client, token, query % "")
    assert unbounded["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    assert unbounded["errors"][0]["message"] == (
        "You must provide a `first` or `last` value to properly paginate the `reviewThreads` connection."
    )
    _, excessive, _ = await gql(client, token, query % "(first: 101)")
    assert excessive["errors"][0]["type"] == "EXCESSIVE_PAGINATION"
    assert excessive["errors"][0]["path"] == ["repository", "pullRequest", "reviewThreads"]
    _, bad_cursor, _ = await gql(client, token, query % '(first: 1, after: "x")')
    assert bad_cursor["errors"][0]["type"] == "INVALID_CURSOR_ARGUMENTS"
    assert await data(client, token, query % "(last: 5)") == {
        "repository": {"pullRequest": {"reviewThreads": {"totalCount": 0}}}
    }


# ----- rate limits -------------------------------------------------------------------------------------


async def test_graphql_has_a_rate_limit_bucket_of_its_own(client: Client, token: str) -> None:
    rest = await client.get(f"/repos/{REPO}", headers=auth(token))
    assert (rest.headers["x-ratelimit-resource"], rest.headers["x-ratelimit-used"]) == ("core", "1")
    _, _, headers = await gql(client, token, THREADS, PR_VARIABLES)
    assert headers["x-ratelimit-resource"] == "graphql"
    assert (headers["x-ratelimit-limit"], headers["x-ratelimit-used"], headers["x-ratelimit-remaining"]) == (
        "5000",
        "1",
        "4999",
    )
    assert headers["x-github-media-type"] == "github.v4; format=json"
    limits = await data(client, token, "{ rateLimit { cost limit remaining used } }")
    assert limits == {"rateLimit": {"cost": 1, "limit": 5000, "remaining": 4998, "used": 2}}
    rest = await client.get(f"/repos/{REPO}", headers=auth(token))
    assert rest.headers["x-ratelimit-used"] == "2"
    overview = await (await client.get("/rate_limit", headers=auth(token))).json()
    assert overview["resources"]["graphql"]["used"] == 2 and overview["resources"]["core"]["used"] == 2


async def test_spent_graphql_points_are_a_200_with_a_rate_limit_error(
    client: Client, token: str, world: World
) -> None:
    world.state.graphql_rate_limit = 2
    for _ in range(2):
        await data(client, token, "{ rateLimit { remaining } }")
    status, body, headers = await gql(client, token, "{ rateLimit { remaining } }")
    assert status == 200 and headers["x-ratelimit-remaining"] == "0"
    assert body == {
        "errors": [
            {
                "type": "RATE_LIMIT",
                "code": "graphql_rate_limit",
                "message": f"API rate limit already exceeded for installation ID {world.installation}.",
            }
        ]
    }
    assert (await client.get(f"/repos/{REPO}", headers=auth(token))).status == 200


async def test_mutations_count_as_content_creating_requests_and_queries_do_not(
    client: Client, token: str, world: World
) -> None:
    first, second, _ = await review(client, token, world)
    world.state.secondary_write_limit_per_minute = 3  # the review, then two mutations
    for _ in range(5):
        await threads(client, token)
    for comment in (first, second):
        await data(client, token, RESOLVE, {"id": world.state.review_thread_id(REPO, comment["id"])})
    status, body, headers = await gql(
        client, token, UNRESOLVE, {"id": world.state.review_thread_id(REPO, first["id"])}
    )
    assert status == 403 and body["message"].startswith(SECONDARY) and int(headers["retry-after"]) >= 1
    assert world.state.is_thread_resolved(REPO, first["id"])
    assert [t["isResolved"] for t in await threads(client, token)] == [True, True]


# ----- faults, the request log and the contract --------------------------------------------------------


async def test_faults_and_the_request_log_apply_to_graphql(client: Client, token: str, world: World) -> None:
    world.state.fail_next("POST", r"^/graphql$", 502)
    status, body, _ = await gql(client, token, THREADS, PR_VARIABLES)
    assert (status, body["message"]) == (502, "Server Error")
    assert (await gql(client, token, THREADS, PR_VARIABLES))[0] == 200
    world.state.set_faults(FaultPlan(1.0, kinds=("drop",), path_regex=r"^/graphql$"))
    with pytest.raises(aiohttp.ClientError):
        await gql(client, token, THREADS, PR_VARIABLES)
    world.state.set_faults(None)
    graphql_log = [entry for entry in world.state.request_log if entry[1] == "/graphql"]
    assert graphql_log == [("POST", "/graphql", 502), ("POST", "/graphql", 200), ("POST", "/graphql", 0)]
    assert world.state.faults_injected["fail_next"] == 1 and world.state.faults_injected["drop"] == 1


async def test_graphql_is_exempt_from_the_rest_contract(client: Client, token: str, world: World) -> None:
    await gql(client, token, THREADS, PR_VARIABLES)
    await client.post("/graphql", data=b"not json", headers=auth(token))
    assert world.state.contract_violations == []
    assert exempt_from_contract("/graphql")
    assert default_contract().check_request("POST", "/graphql", {}, {"query": "{}"}) == []


# ----- webhooks about threads and pushes ---------------------------------------------------------------


async def test_synchronize_event_names_the_push(client: Client, token: str, world: World) -> None:
    before = world.state.pull_request(REPO, 1)["head"]["sha"]
    after = world.state.push(REPO, "feature", {"NOTES": "more"})
    event = pull_request_event(world.state, REPO, 1, "synchronize")
    assert (event["before"], event["after"]) == (before, after)
    assert event["pull_request"]["head"]["sha"] == after and event["action"] == "synchronize"
    newest = world.state.push(REPO, "feature", {"NOTES": "even more"})
    explicit = pull_request_event(world.state, REPO, 1, "synchronize", before=before)
    assert (explicit["before"], explicit["after"]) == (before, newest)


def test_thread_event_from_a_reply_is_about_its_whole_thread(world: World) -> None:
    head = world.state.pull_request(REPO, 1)["head"]["sha"]
    placed = world.state.create_review_comment(
        REPO, 1, {"path": "src/calc.py", "line": 3, "side": "RIGHT", "body": "x", "commit_id": head}
    )
    reply = world.state.reply_as(REPO, 1, placed["id"], "ok", "alice")
    world.state.resolve_review_thread(REPO, reply["id"], resolver_login="alice")
    event = review_thread_event(world.state, REPO, 1, reply["id"], "resolved", sender_login="alice")
    assert event["thread"]["node_id"] == world.state.review_thread_id(REPO, placed["id"])
    assert [c["id"] for c in event["thread"]["comments"]] == [placed["id"], reply["id"]]
    assert event["sender"]["login"] == "alice" and world.state.is_thread_resolved(REPO, placed["id"])
