"""A GitHub emulator: an in-memory stand-in for api.github.com used by `maze demo` and the tests.

`EmulatorState` holds installations, repositories, commits, pull requests, reviews, comments, reactions,
check runs and tokens; `create_emulator_app` serves it over aiohttp with GitHub's status codes, JSON shapes,
422 rules, pagination, rate limits (primary and secondary) and injected faults (`FaultPlan`), and checks
every request and answer against GitHub's REST description (`bot.emulator.contract`); `POST /graphql`
serves the part of GitHub's GraphQL API that review threads need (`bot.emulator.api_graphql`);
`EmulatorServer` and `serve_emulator` run it on a local port; `bot.emulator.webhooks` builds and delivers
signed webhook payloads from GitHub's own examples.
"""

from bot.emulator.app import create_emulator_app
from bot.emulator.faults import FaultPlan
from bot.emulator.server import EmulatorServer, serve_emulator
from bot.emulator.state import EmulatorError, EmulatorState
from bot.emulator.webhooks import (
    deliver,
    example_payload,
    installation_event,
    installation_repositories_event,
    issue_comment_event,
    load_examples,
    pull_request_event,
    review_comment_event,
    review_thread_event,
    webhook_request,
)

__all__ = [
    "EmulatorError",
    "EmulatorServer",
    "EmulatorState",
    "FaultPlan",
    "create_emulator_app",
    "deliver",
    "example_payload",
    "installation_event",
    "installation_repositories_event",
    "issue_comment_event",
    "load_examples",
    "pull_request_event",
    "review_comment_event",
    "review_thread_event",
    "serve_emulator",
    "webhook_request",
]
