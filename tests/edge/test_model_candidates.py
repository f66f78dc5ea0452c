"""Model candidates in a whole review: the validating stage asks an OpenAI-compatible server, for up to
three rounds, about the findings no cheaper source fixed, and only what the sandbox proves is posted.

The server here is a scripted stand-in that speaks the chat-completions protocol (the real llama.cpp
server is exercised in `tests/models`): it answers the bare `except:` finding with a correct rewrite of
its `try` statement and every other request with text that does not parse, and it records each request
so the test can see the grammar and prompt that reached it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.demo import sample_repository
from bot.emulator.state import EmulatorState
from maze.config import Settings
from maze.runs import ReviewRequest, find_run
from maze.sandbox.factory import bubblewrap_status
from maze.store.db import session_scope
from maze.store.models import RunStage, Suggestion, SuggestionStatus
from tasks import runtime
from tasks.queue import drive_review

pytestmark = pytest.mark.skipif(
    not bubblewrap_status().available and os.environ.get("CI") != "true",
    reason="bubblewrap is not usable here (CI fails instead of skipping)",
)

REWRITTEN_TRY = (
    "    try:\n"
    '        with open(path, "w") as handle:\n'
    "            handle.write(render(stock))\n"
    "    except OSError:\n"
    '        sys.stderr.write(f"could not write the report\\n")\n'
)


class _Model(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append({"path": self.path, "body": body})
        prompt = "\n".join(str(message["content"]) for message in body["messages"])
        answer = REWRITTEN_TRY if "E722" in prompt else "this is not ( python\n"
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "scripted"),
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture()
def model_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    handler = type("Model", (_Model,), {"requests": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_proven_model_fix_is_posted_and_unparseable_output_is_dropped(
    world: tuple[EmulatorState, Settings], model_server: tuple[str, list[dict[str, Any]]]
) -> None:
    state, settings = world
    url, seen = model_server
    with_model = settings.model_copy(
        update={"model_provider": "openai", "model_url": url, "model_name": "scripted", "model_retries": 0}
    )
    process = runtime.configure(with_model)
    try:
        base, head = sample_repository()
        installation = state.installation_ids()[0]
        repo = state.create_repository(installation, "octo-org/inventory", base)
        state.push("octo-org/inventory", "topic", head)
        pull = state.open_pull_request("octo-org/inventory", head="topic")
        request = ReviewRequest(
            installation, int(repo["id"]), "octo-org/inventory", int(pull["number"]), pull["head"]["sha"], "d"
        )
        drive_review(request)
    finally:
        process.close()

    with session_scope(settings.database_url) as session:
        run = find_run(session, request.repository_id, request.pr_number, request.head_sha)
        assert run is not None and run.stage is RunStage.DONE
        model = run.summary["model"]
        suggestions = session.query(Suggestion).filter(Suggestion.source == "model").all()
        fates = {(s.path, s.start_line, s.end_line): s.status for s in suggestions}

    # Every finding without a cheaper proven fix was asked about, with its grammar in llama.cpp's `grammar`
    # field: the bare `except:` once (proven in round 1), every other finding for all three rounds.
    assert model["asked"] >= 2
    assert model["rounds"] == len(seen) == 1 + 3 * (model["asked"] - 1)
    assert all(entry["path"] == "/v1/chat/completions" for entry in seen)
    assert all("root ::=" in entry["body"]["grammar"] for entry in seen)
    # Later rounds show the model its earlier, rejected output.
    later = [entry for entry in seen if "this is not ( python" in json.dumps(entry["body"]["messages"])]
    assert len(later) == 2 * (model["asked"] - 1)
    # The one sensible answer became a candidate and was proven; the rest were rejected before any proof.
    assert model["proposed"] == model["proven"] == 1
    assert sum(model["not_proposed"].values()) == len(seen) - 1
    assert fates == {("inventory/report.py", 19, 23): SuggestionStatus.POSTED}
    posted = [
        c
        for c in state.review_comments("octo-org/inventory", int(pull["number"]))
        if "except OSError" in c["body"]
    ]
    assert len(posted) == 1 and posted[0]["start_line"] == 19 and posted[0]["line"] == 23
