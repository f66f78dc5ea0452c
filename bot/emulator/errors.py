"""GitHub's error answers: the exception the emulator raises and the messages GitHub uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DOCS_URL = "https://docs.github.com/rest"
REVIEWS_DOCS_URL = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
RATE_LIMIT_DOCS_URL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_DOCS_URL = RATE_LIMIT_DOCS_URL + "#about-secondary-rate-limits"
APPS_DOCS_URL = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
CHECKS_DOCS_URL = "https://docs.github.com/rest/checks/runs#create-a-check-run"
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
GRAPHQL_DOCS_URL = "https://docs.github.com/graphql"
GRAPHQL_AUTH_DOCS_URL = (
    "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"
)
GRAPHQL_UNAUTHENTICATED = "This endpoint requires you to be authenticated."
SUSPENDED_MESSAGE = "This installation has been suspended"
NOT_ACCESSIBLE = "Resource not accessible by integration"
_ERROR_MESSAGES: Mapping[int, str] = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Validation Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: (
        "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your "
        "request and contact us if the problem persists."
    ),
}


def default_message(status: int) -> str:
    """The message GitHub's error body carries for `status` when nothing more specific applies."""
    return _ERROR_MESSAGES.get(status, "Error")


class EmulatorError(Exception):
    """An HTTP error the emulator answers with GitHub's error body."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        errors: Sequence[Any] | None = None,
        documentation_url: str = DOCS_URL,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message or default_message(status)
        self.errors = list(errors) if errors is not None else None
        self.documentation_url = documentation_url
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.message}")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = self.documentation_url
        body["status"] = str(self.status)
        return body


def unprocessable(*errors: str, documentation_url: str = REVIEWS_DOCS_URL) -> EmulatorError:
    """A 422 whose `errors` are plain strings, as the pulls API answers."""
    return EmulatorError(
        422, "Unprocessable Entity", errors=list(errors), documentation_url=documentation_url
    )


def invalid_request(detail: str, *, documentation_url: str = REVIEWS_DOCS_URL) -> EmulatorError:
    """GitHub's 422 for a body that fails the endpoint's JSON schema."""
    return EmulatorError(422, f"Invalid request.\n\n{detail}", documentation_url=documentation_url)


def validation_failed(
    resource: str, field: str, code: str, value: Any, *, documentation_url: str = DOCS_URL
) -> EmulatorError:
    """GitHub's 422 "Validation Failed" with one structured error object."""
    error = {"resource": resource, "field": field, "code": code, "value": value}
    return EmulatorError(422, "Validation Failed", errors=[error], documentation_url=documentation_url)


def not_found(documentation_url: str = DOCS_URL) -> EmulatorError:
    return EmulatorError(404, documentation_url=documentation_url)


def secondary_limit(retry_after: int, status: int = 403) -> EmulatorError:
    """The secondary rate limit answer: 403 (or 429) with `retry-after`."""
    return EmulatorError(
        status,
        SECONDARY_LIMIT_MESSAGE,
        documentation_url=SECONDARY_DOCS_URL,
        headers={"retry-after": str(max(1, retry_after))},
    )


class GraphQLFieldError(Exception):
    """An error GitHub's GraphQL API reports for one field (HTTP 200): its `type` (NOT_FOUND, FORBIDDEN,
    EXCESSIVE_PAGINATION...) and message; the executor adds `path` and `locations`."""

    def __init__(self, error_type: str, message: str) -> None:
        self.type = error_type
        self.message = message
        super().__init__(message)


def node_not_found(global_id: str) -> GraphQLFieldError:
    return GraphQLFieldError("NOT_FOUND", f"Could not resolve to a node with the global id of '{global_id}'")
