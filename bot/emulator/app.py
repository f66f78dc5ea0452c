"""The emulator's HTTP face: an aiohttp application that answers like api.github.com.

Routes are GitHub's paths; the handlers live in `api_apps`, `api_repos`, `api_pulls`, `api_issues`,
`api_checks` and `api_graphql` (`POST /graphql`); `middleware` adds authentication, rate limits, faults,
GitHub's headers and the contract check; every request is recorded in `state.request_log`.
"""

from __future__ import annotations

from aiohttp import web

from bot.emulator import api_apps, api_checks, api_graphql, api_issues, api_pulls, api_repos
from bot.emulator.auth import Caller, identify_caller, verify_app_jwt
from bot.emulator.httputil import STATE_KEY, error_response, paginated
from bot.emulator.middleware import API_VERSION, github_middleware
from bot.emulator.model import CommentKind
from bot.emulator.state import EmulatorState

__all__ = [
    "API_VERSION",
    "STATE_KEY",
    "Caller",
    "create_emulator_app",
    "error_response",
    "identify_caller",
    "paginated",
    "verify_app_jwt",
]

REPO = "/repos/{owner}/{repo}"
PULL = REPO + r"/pulls/{pull_number:\d+}"
REVIEW = PULL + r"/reviews/{review_id:\d+}"
ISSUE_COMMENT = REPO + r"/issues/comments/{comment_id:\d+}"
REVIEW_COMMENT = REPO + r"/pulls/comments/{comment_id:\d+}"
CHECK_RUN = REPO + r"/check-runs/{check_run_id:\d+}"
REACTION_TARGETS: tuple[tuple[str, CommentKind], ...] = ((ISSUE_COMMENT, "issue"), (REVIEW_COMMENT, "review"))


def create_emulator_app(state: EmulatorState) -> web.Application:
    """The aiohttp application emulating GitHub's REST API (and its GraphQL endpoint) over `state`."""
    app = web.Application(middlewares=[github_middleware])
    app[STATE_KEY] = state
    _app_routes(app.router)
    _check_routes(app.router)
    _repository_routes(app.router)
    _pull_routes(app.router)
    _issue_routes(app.router)
    app.router.add_post(api_graphql.GRAPHQL_PATH, api_graphql.graphql)
    return app


def _app_routes(router: web.UrlDispatcher) -> None:
    installation = r"/app/installations/{installation_id:\d+}"
    router.add_post(installation + "/access_tokens", api_apps.create_access_token)
    router.add_get(installation, api_apps.get_installation)
    router.add_get("/app/installations", api_apps.list_installations)
    router.add_get("/app", api_apps.get_app)
    router.add_get("/installation/repositories", api_apps.list_installation_repositories)
    router.add_delete("/installation/token", api_apps.revoke_installation_token)
    router.add_get("/rate_limit", api_apps.get_rate_limit)
    router.add_get(REPO + "/installation", api_apps.get_repository_installation)


def _repository_routes(router: web.UrlDispatcher) -> None:
    router.add_get(REPO, api_repos.get_repository)
    router.add_get(REPO + "/contents", api_repos.get_contents)
    router.add_get(REPO + "/contents/{path:.*}", api_repos.get_contents)
    router.add_get(REPO + "/git/trees/{tree_sha}", api_repos.get_tree)
    router.add_get(REPO + "/git/blobs/{file_sha}", api_repos.get_blob)
    router.add_get(REPO + "/commits/{ref:.+}", api_repos.get_commit)
    router.add_get(REPO + "/tarball/{ref:.+}", api_repos.download_tarball)
    router.add_get(REPO + "/collaborators/{username}/permission", api_repos.get_collaborator_permission)
    router.add_get(api_repos.CODELOAD_PATH, api_repos.codeload)


def _pull_routes(router: web.UrlDispatcher) -> None:
    router.add_get(PULL, api_pulls.get_pull_request)
    router.add_get(PULL + "/files", api_pulls.list_pull_files)
    router.add_get(PULL + "/commits", api_repos.list_pull_commits)
    router.add_get(PULL + "/comments", api_pulls.list_pull_comments)
    router.add_post(PULL + "/comments", api_pulls.create_review_comment)
    router.add_post(PULL + r"/comments/{comment_id:\d+}/replies", api_pulls.reply_to_review_comment)
    router.add_get(PULL + "/reviews", api_pulls.list_reviews)
    router.add_post(PULL + "/reviews", api_pulls.create_review)
    router.add_get(REVIEW, api_pulls.get_review)
    router.add_put(REVIEW, api_pulls.update_review)
    router.add_get(REVIEW + "/comments", api_pulls.list_review_comments)
    router.add_get(REVIEW_COMMENT, api_pulls.get_review_comment)
    router.add_patch(REVIEW_COMMENT, api_pulls.update_review_comment)
    router.add_delete(REVIEW_COMMENT, api_pulls.delete_review_comment)


def _issue_routes(router: web.UrlDispatcher) -> None:
    issue = REPO + r"/issues/{issue_number:\d+}"
    router.add_get(issue, api_issues.get_issue)
    router.add_get(issue + "/comments", api_issues.list_issue_comments)
    router.add_post(issue + "/comments", api_issues.create_issue_comment)
    router.add_get(ISSUE_COMMENT, api_issues.get_issue_comment)
    router.add_patch(ISSUE_COMMENT, api_issues.update_issue_comment)
    router.add_delete(ISSUE_COMMENT, api_issues.delete_issue_comment)
    for base, kind in REACTION_TARGETS:
        list_reactions, create_reaction, delete_reaction = api_issues.reaction_handlers(kind)
        router.add_get(base + "/reactions", list_reactions)
        router.add_post(base + "/reactions", create_reaction)
        router.add_delete(base + r"/reactions/{reaction_id:\d+}", delete_reaction)


def _check_routes(router: web.UrlDispatcher) -> None:
    """Registered before the repository routes: `commits/{ref}` would take `commits/{ref}/check-runs`."""
    router.add_post(REPO + "/check-runs", api_checks.create_check_run)
    router.add_get(CHECK_RUN, api_checks.get_check_run)
    router.add_patch(CHECK_RUN, api_checks.update_check_run)
    router.add_get(CHECK_RUN + "/annotations", api_checks.list_annotations)
    router.add_get(REPO + "/commits/{ref:.+}/check-runs", api_checks.list_check_runs_for_ref)
