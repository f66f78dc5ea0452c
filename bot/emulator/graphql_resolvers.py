"""The resolvers of the emulated GraphQL schema: each reads or changes the state as the caller may.

Access follows REST's rules (`EmulatorState.check_access`): what the caller may not see is NOT_FOUND with
GitHub's message, what it may see but not change is FORBIDDEN ("Resource not accessible by integration").
Resolving threads and minimizing comments takes the pull requests (or issues) write permission for an app,
push access for a user.
Connections take GitHub's `first`/`last` (one of them required, at most 100) and opaque cursors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLResolveInfo

from bot.emulator.errors import NOT_ACCESSIBLE, EmulatorError, GraphQLFieldError, node_not_found
from bot.emulator.globalids import cursor, cursor_key
from bot.emulator.limits import RateLimit
from bot.emulator.render import iso8601
from bot.emulator.state import EmulatorState, NodeRef, Principal

MAX_PAGE = 100
Resolver = Callable[..., Any]
_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "repository": ("metadata",),
    "pull_request": ("pull_requests",),
    "thread": ("pull_requests",),
    "review_comment": ("pull_requests",),
    "issue_comment": ("issues", "pull_requests"),
}


@dataclass(frozen=True)
class GraphQLContext:
    """Who runs the operation: the state, the caller as an access principal, its login, its GraphQL quota."""

    state: EmulatorState
    principal: Principal
    viewer_login: str | None
    quota: RateLimit

    def check(self, full_name: str, permission: tuple[str, ...], *, write: bool = False) -> None:
        """REST's access rule for the caller: raises EmulatorError 404 (hidden) or 403 (read-only)."""
        self.state.check_access(
            full_name,
            self.principal.installation_id,
            write=write,
            permission=permission,
            principal=self.principal,
        )

    def moderation(self, kind: str) -> tuple[str, ...]:
        """What resolving or minimizing `kind` needs: its permission for an app, push access for a user."""
        return ("contents",) if self.principal.user_login is not None else _PERMISSIONS[kind]

    def can(self, full_name: str, permission: tuple[str, ...], *, write: bool = False) -> bool:
        try:
            self.check(full_name, permission, write=write)
        except EmulatorError:
            return False
        return True


def _context(info: GraphQLResolveInfo) -> GraphQLContext:
    context = info.context
    if not isinstance(context, GraphQLContext):
        raise TypeError("the emulator's GraphQL resolvers need a GraphQLContext")
    return context


# ----- connections -----------------------------------------------------------------------------------


def connection(
    items: Sequence[dict[str, Any]],
    field: str,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    """A page of `items` (sorted by their `_key`) as GitHub's connection: edges, nodes, pageInfo,
    totalCount."""
    if first is None and last is None:
        raise GraphQLFieldError(
            "MISSING_PAGINATION_BOUNDARIES",
            f"You must provide a `first` or `last` value to properly paginate the `{field}` connection.",
        )
    for name, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE:
            raise GraphQLFieldError(
                "EXCESSIVE_PAGINATION",
                f"Requesting {value} records on the `{field}` connection exceeds the `{name}` limit of "
                f"{MAX_PAGE} records.",
            )
        if value is not None and value < 0:
            raise GraphQLFieldError(
                "INVALID_ARGUMENTS", f"`{name}` on the `{field}` connection must be >= 0."
            )
    keys = [int(item["_key"]) for item in items]
    start = _position(keys, after, lambda key, bound: key > bound) if after is not None else 0
    stop = _position(keys, before, lambda key, bound: key >= bound) if before is not None else len(items)
    stop = max(start, stop)
    if first is not None:
        stop = min(stop, start + first)
    if last is not None:
        start = max(start, stop - last)
    page = list(items[start:stop])
    edges = [{"cursor": cursor(int(item["_key"])), "node": item} for item in page]
    return {
        "edges": edges,
        "nodes": page,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasNextPage": stop < len(items),
            "hasPreviousPage": start > 0,
        },
        "totalCount": len(items),
    }


def _position(keys: list[int], value: str, past: Callable[[int, int], bool]) -> int:
    bound = cursor_key(value)
    if bound is None:
        raise GraphQLFieldError(
            "INVALID_CURSOR_ARGUMENTS", f"`{value}` does not appear to be a valid cursor."
        )
    return next((index for index, key in enumerate(keys) if past(key, bound)), len(keys))


# ----- queries -----------------------------------------------------------------------------------------


def repository(_: object, info: GraphQLResolveInfo, owner: str, name: str, **__: Any) -> dict[str, Any]:
    context = _context(info)
    full_name = f"{owner}/{name}"
    try:
        context.check(full_name, _PERMISSIONS["repository"])
    except EmulatorError as error:
        raise GraphQLFieldError(
            "NOT_FOUND", f"Could not resolve to a Repository with the name '{full_name}'."
        ) from error
    return context.state.graphql_repository(full_name)


def pull_request(source: Mapping[str, Any], info: GraphQLResolveInfo, number: int) -> dict[str, Any]:
    context = _context(info)
    full_name = str(source["_full_name"])
    _check_read(context, full_name, "pull_request", f"a PullRequest with the number of {number}.")
    try:
        return context.state.graphql_pull_request(full_name, number)
    except EmulatorError as error:
        raise GraphQLFieldError(
            "NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}."
        ) from error


def review_threads(source: Mapping[str, Any], info: GraphQLResolveInfo, **page: Any) -> dict[str, Any]:
    context = _context(info)
    full_name = str(source["_full_name"])
    threads = context.state.graphql_review_threads(
        full_name,
        int(source["number"]),
        viewer_login=context.viewer_login,
        can_write=context.can(full_name, context.moderation("thread"), write=True),
    )
    return connection(threads, info.field_name, **page)


def thread_comments(
    source: Mapping[str, Any], info: GraphQLResolveInfo, skip: int | None = None, **page: Any
) -> dict[str, Any]:
    comments: list[dict[str, Any]] = source["_comments"]
    return connection(comments[skip or 0 :], info.field_name, **page)


def node(_: object, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    context = _context(info)
    ref = context.state.locate_node(id)
    if ref is None or not context.can(ref.full_name, _PERMISSIONS[ref.kind]):
        raise node_not_found(id)
    return _render(context, ref, id)


def nodes(_: object, info: GraphQLResolveInfo, ids: list[str]) -> list[dict[str, Any] | Exception]:
    """Each id's object; an unknown id is null with its own NOT_FOUND error (path `nodes.<index>`)."""
    found: list[dict[str, Any] | Exception] = []
    for global_id in ids:
        try:
            found.append(node(None, info, global_id))
        except GraphQLFieldError as error:
            found.append(error)
    return found


def rate_limit(_: object, info: GraphQLResolveInfo, **__: Any) -> dict[str, Any]:
    quota = _context(info).quota
    return {
        "cost": 1,
        "limit": quota.limit,
        "nodeCount": 0,
        "remaining": quota.remaining,
        "resetAt": iso8601(quota.reset),
        "used": quota.used,
    }


# ----- mutations ---------------------------------------------------------------------------------------


def resolve_review_thread(_: object, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    return _set_resolved(info, input, resolved=True)


def unresolve_review_thread(_: object, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    return _set_resolved(info, input, resolved=False)


def minimize_comment(_: object, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    context = _context(info)
    ref = _writable(context, str(input["subjectId"]), ("review_comment", "issue_comment"), "MinimizeComment")
    context.state.minimize_comment(ref.full_name, ref.id, str(input["classifier"]))
    comment = _render(context, ref, str(input["subjectId"]))
    return {"clientMutationId": input.get("clientMutationId"), "minimizedComment": comment}


def unminimize_comment(_: object, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
    context = _context(info)
    ref = _writable(
        context, str(input["subjectId"]), ("review_comment", "issue_comment"), "UnminimizeComment"
    )
    context.state.unminimize_comment(ref.full_name, ref.id)
    comment = _render(context, ref, str(input["subjectId"]))
    return {"clientMutationId": input.get("clientMutationId"), "unminimizedComment": comment}


def _set_resolved(info: GraphQLResolveInfo, payload: dict[str, Any], *, resolved: bool) -> dict[str, Any]:
    context = _context(info)
    global_id = str(payload["threadId"])
    mutation = "ResolveReviewThread" if resolved else "UnresolveReviewThread"
    ref = _writable(context, global_id, ("thread",), mutation)
    context.state.resolve_review_thread(
        ref.full_name, ref.id, resolved=resolved, resolver_login=context.principal.user_login
    )
    return {"clientMutationId": payload.get("clientMutationId"), "thread": _render(context, ref, global_id)}


def _writable(context: GraphQLContext, global_id: str, kinds: tuple[str, ...], mutation: str) -> NodeRef:
    """The object `global_id` names when it is one of `kinds` and the caller may change it."""
    ref = context.state.locate_node(global_id)
    if ref is None or ref.kind not in kinds:
        raise node_not_found(global_id)
    try:
        context.check(ref.full_name, context.moderation(ref.kind), write=True)
    except EmulatorError as error:
        if error.status == 404:
            raise node_not_found(global_id) from error
        user = context.principal.user_login
        if user is None:
            raise GraphQLFieldError("FORBIDDEN", NOT_ACCESSIBLE) from error
        message = f"{user} does not have the correct permissions to execute `{mutation}`"
        raise GraphQLFieldError("FORBIDDEN", message) from error
    return ref


def _check_read(context: GraphQLContext, full_name: str, kind: str, what: str) -> None:
    try:
        context.check(full_name, _PERMISSIONS[kind])
    except EmulatorError as error:
        if error.status == 404:
            raise GraphQLFieldError("NOT_FOUND", f"Could not resolve to {what}") from error
        raise GraphQLFieldError("FORBIDDEN", NOT_ACCESSIBLE) from error


def _render(context: GraphQLContext, ref: NodeRef, global_id: str) -> dict[str, Any]:
    can_write = context.can(ref.full_name, context.moderation(ref.kind), write=True)
    try:
        return context.state.graphql_node(ref, viewer_login=context.viewer_login, can_write=can_write)
    except EmulatorError as error:
        raise node_not_found(global_id) from error


RESOLVERS: Mapping[tuple[str, str], Resolver] = {
    ("Query", "repository"): repository,
    ("Query", "node"): node,
    ("Query", "nodes"): nodes,
    ("Query", "rateLimit"): rate_limit,
    ("Repository", "pullRequest"): pull_request,
    ("PullRequest", "reviewThreads"): review_threads,
    ("PullRequestReviewThread", "comments"): thread_comments,
    ("Mutation", "resolveReviewThread"): resolve_review_thread,
    ("Mutation", "unresolveReviewThread"): unresolve_review_thread,
    ("Mutation", "minimizeComment"): minimize_comment,
    ("Mutation", "unminimizeComment"): unminimize_comment,
}
