"""`/maze` commands without I/O: parsing, the help text, who may run them, the flood limit, thread replies."""

from __future__ import annotations

import asyncio

import pytest

from maze.commands import (
    COMMANDS_PER_PR_PER_HOUR,
    Command,
    CommandName,
    CommandRequest,
    help_text,
    parse_command,
    permission_allows,
    trusted_association,
    within_limit,
)
from maze.config import Settings
from tasks.command_limits import MemoryCommandLimiter
from tasks.command_posting import Focus, FoundThere, ProvenThere, compose_thread_reply, expanded
from tasks.commands import review_request, run_summary


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/maze fix", Command(CommandName.FIX)),
        ("/MAZE Review please", Command(CommandName.REVIEW)),
        ("  /maze help\nmore text", Command(CommandName.HELP)),
        ("\n\n/maze fix\n", Command(CommandName.FIX)),
        ("/maze", Command(CommandName.HELP)),
        ("/maze deploy", Command(CommandName.HELP, unknown="deploy")),
        ("> /maze fix\n\n/maze review", Command(CommandName.REVIEW)),
        ("```\n/maze fix\n```\n/maze help", Command(CommandName.HELP)),
        ("~~~~python\n/maze fix\n~~~\nstill code\n~~~~\n/maze review", Command(CommandName.REVIEW)),
        ("/maze\tfix", Command(CommandName.FIX)),
    ],
)
def test_commands_are_read_from_the_first_line_outside_quotes_and_fences(
    body: str, expected: Command
) -> None:
    assert parse_command(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "",
        None,
        "Looks good to me",
        "Thanks!\n/maze fix",
        "> /maze fix",
        "```\n/maze fix\n```",
        "/mazefix",
        "please /maze fix",
        "   ",
    ],
)
def test_comments_without_a_command_are_not_commands(body: str | None) -> None:
    assert parse_command(body) is None


def test_help_lists_every_command_and_who_may_run_them() -> None:
    text = help_text()
    for command in ("/maze fix", "/maze review", "/maze help"):
        assert f"`{command}`" in text
    assert "collaborators" in text and "write access" in text
    assert f"at most {COMMANDS_PER_PR_PER_HOUR} commands an hour" in text
    assert help_text("deploy", limit=3).startswith("`deploy` is not a Maze command.")
    assert "at most 3 commands" in help_text(limit=3)


@pytest.mark.parametrize(
    ("association", "trusted"),
    [
        ("OWNER", True),
        ("MEMBER", True),
        ("COLLABORATOR", True),
        ("member", True),
        ("CONTRIBUTOR", False),
        ("FIRST_TIME_CONTRIBUTOR", False),
        ("NONE", False),
        (None, False),
    ],
)
def test_trusted_associations(association: str | None, trusted: bool) -> None:
    assert trusted_association(association) is trusted


@pytest.mark.parametrize(
    ("answer", "allowed"),
    [
        (None, False),
        ({"permission": "admin", "role_name": "admin"}, True),
        ({"permission": "write", "role_name": "maintain"}, True),
        ({"permission": "write", "role_name": "write"}, True),
        ({"permission": "read", "role_name": "triage"}, False),
        ({"permission": "read", "role_name": "read"}, False),
        ({"permission": "none", "role_name": ""}, False),
    ],
)
def test_permission_decision(answer: dict[str, object] | None, allowed: bool) -> None:
    assert permission_allows(answer) is allowed


def test_the_flood_limit_counts_the_last_hour_only() -> None:
    now = 10_000.0
    assert within_limit([], now, 2)
    assert within_limit([now - 10], now, 2)
    assert not within_limit([now - 10, now - 20], now, 2)
    assert within_limit([now - 3600, now - 4000], now, 2), "commands an hour old no longer count"
    assert Settings().commands_per_pr_per_hour == COMMANDS_PER_PR_PER_HOUR


def test_the_memory_limiter_admits_up_to_the_limit_and_counts_a_retry_once() -> None:
    async def scenario() -> list[bool]:
        limiter = MemoryCommandLimiter()
        return [
            await limiter.admit("1:7", "c1", 2),
            await limiter.admit("1:7", "c1", 2),
            await limiter.admit("1:7", "c2", 2),
            await limiter.admit("1:7", "c3", 2),
            await limiter.admit("1:8", "c4", 2),
            await limiter.admit("1:7", "c2", 2),
        ]

    assert asyncio.run(scenario()) == [True, True, True, False, True, True]


def _request(**overrides: object) -> CommandRequest:
    fields: dict[str, object] = {
        "installation_id": 1,
        "repository_id": 2,
        "repository": "o/r",
        "pr_number": 3,
        "comment_id": 44,
        "comment_kind": "issue",
        "command": "fix",
        "author": "alice",
        "author_association": "MEMBER",
        "delivery_id": "d",
    }
    fields.update(overrides)
    return CommandRequest(**fields)  # type: ignore[arg-type]


def test_command_runs_carry_their_command_and_narrowing() -> None:
    conversation = review_request(_request())
    assert conversation.trigger == "comment:44"
    assert conversation.summary == {
        "command": {"kind": "fix", "comment_id": 44, "comment_kind": "issue", "author": "alice"},
        "max_suggestions": 50,
    }
    thread = run_summary(
        _request(comment_kind="review", path="a.py", start_line=4, line=6, thread_id=40, comment_id=45)
    )
    assert thread["command"]["thread"] == 40
    assert thread["focus"] == {"path": "a.py", "start_line": 4, "end_line": 6}
    single = run_summary(_request(comment_kind="review", path="a.py", line=6, thread_id=45))
    assert single["focus"] == {"path": "a.py", "start_line": 6, "end_line": 6}
    assert run_summary(_request(command="review")) == {
        "command": {"kind": "review", "comment_id": 44, "comment_kind": "issue", "author": "alice"}
    }


CONTENT = "import os\nimport sys\n\n\ndef main() -> None:\n    print(sys.argv)\n"
F401 = FoundThere("ruff", "F401", "`os` imported but unused", 1)


def _fix(start: int, end: int, replacement: str, found: FoundThere = F401) -> ProvenThere:
    return ProvenThere(
        1, start, end, replacement, "import os\n", "Remove unused import", ("ruff",), "f" * 64, found
    )


def test_a_fix_inside_the_thread_lines_is_widened_to_replace_exactly_those_lines() -> None:
    focus = Focus("a.py", 1, 2)
    fix = _fix(1, 1, "")
    assert expanded(fix, focus, CONTENT) == "import sys\n"
    reply = compose_thread_reply(focus, CONTENT, [F401], [fix])
    assert reply.committed == fix
    assert "```suggestion\nimport sys\n```" in reply.body
    assert "Proven before posting: ruff" in reply.body
    assert "<!-- maze:fingerprint=" + "f" * 64 + " -->" in reply.body


def test_a_fix_reaching_outside_the_thread_is_a_diff_and_unfixed_findings_are_listed() -> None:
    focus = Focus("a.py", 2, 2)
    outside = _fix(1, 2, "import sys\n")
    reply = compose_thread_reply(focus, CONTENT, [F401], [outside])
    assert reply.committed is None
    assert "```diff" in reply.body and "```suggestion" not in reply.body
    assert "Proven before posting: ruff" in reply.body
    other = FoundThere("mypy", "name-defined", 'Name "x" is not defined', 2)
    nothing = compose_thread_reply(focus, CONTENT, [other], [])
    assert nothing.committed is None
    assert "No proven fix for `a.py:2`" in nothing.body and 'Name "x" is not defined' in nothing.body
    assert "found nothing to fix at `a.py:2`" in compose_thread_reply(focus, CONTENT, [], []).body
