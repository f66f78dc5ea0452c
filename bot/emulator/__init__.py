"""A GitHub emulator: an in-memory stand-in for api.github.com used by `maze demo` and the tests.

`EmulatorState` holds installations, repositories, commits, pull requests, reviews and tokens;
`create_emulator_app` serves it over aiohttp with GitHub's status codes, JSON shapes, 422 rules, pagination
and rate-limit headers; `EmulatorServer` and `serve_emulator` run it on a local port; `bot.emulator.webhooks`
builds and delivers signed webhook payloads from GitHub's own examples.
"""

from bot.emulator.app import create_emulator_app
from bot.emulator.server import EmulatorServer, serve_emulator
from bot.emulator.state import EmulatorError, EmulatorState
from bot.emulator.webhooks import deliver, example_payload, load_examples, pull_request_event, webhook_request

__all__ = [
    "EmulatorError",
    "EmulatorServer",
    "EmulatorState",
    "create_emulator_app",
    "deliver",
    "example_payload",
    "load_examples",
    "pull_request_event",
    "serve_emulator",
    "webhook_request",
]
