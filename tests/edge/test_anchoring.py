"""Zero 422s, measured: random fixes on random pull requests, composed into reviews the emulated GitHub
accepts every time.

Each pull request rewrites random lines of a 60-line file (GitHub's own diff of it decides the hunks);
each fix covers a random range, some inside one hunk, some straddling hunks or reaching unchanged lines,
and its finding sits on a random line. `compose_review` must turn every one into a suggestion, a diff
comment on the finding's line, or a line of the review's body, so that no review is refused. A control
posts one badly anchored comment, to show the emulator does refuse what GitHub refuses.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from gidgethub import BadRequest

from bot.emulator.state import EmulatorState
from maze.config import Settings
from maze.diff import parse_patch
from maze.review import ProvenSuggestion, compose_review
from tasks import runtime
from tasks.stages import GitHubClient

REPO = "octo-org/anchors"
LINES = 60
PULL_REQUESTS = 12
FIXES_PER_REVIEW = 15


def _file(rng: random.Random, base: list[str]) -> list[str]:
    head = list(base)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(head))
        action = rng.choice(("change", "insert", "delete"))
        if action == "change":
            head[at] = f"changed_{at} = {rng.randint(0, 99)}\n"
        elif action == "insert":
            head[at:at] = [f"added_{at}_{n} = {n}\n" for n in range(rng.randint(1, 3))]
        elif len(head) > 10:
            del head[at]
    return head


def _fix(rng: random.Random, head: list[str], number: int) -> ProvenSuggestion:
    start = rng.randint(1, len(head))
    end = min(len(head), start + rng.choice((0, 0, 1, 2, 5)))
    return ProvenSuggestion(
        path="m.py",
        start_line=start,
        end_line=end,
        replacement="".join(f"fixed_{line} = 0\n" for line in range(start, end + 1)),
        rule="F821",
        tool="ruff",
        message="Undefined name",
        description="Rename it",
        checks=("ruff", "mypy"),
        fingerprint=f"{number:064x}",
        finding_line=rng.randint(start, end),
        original="".join(head[start - 1 : end]),
    )


def test_composed_reviews_are_never_refused(world: tuple[EmulatorState, Settings]) -> None:
    runtime.current().run(_post_random_reviews(world[0]))


async def _post_random_reviews(state: EmulatorState) -> None:
    rng = random.Random(8)
    base = [f"value_{n} = {n}\n" for n in range(LINES)]
    installation = state.installation_ids()[0]
    state.create_repository(installation, REPO, {"m.py": "".join(base)})
    client = GitHubClient(await runtime.current().github(), installation)
    kinds: Counter[str] = Counter()
    for pr in range(PULL_REQUESTS):
        head = _file(rng, base)
        state.push(REPO, f"topic-{pr}", {"m.py": "".join(head)})
        pull = state.open_pull_request(REPO, head=f"topic-{pr}")
        (changed,) = await client.pull_request_files(REPO, int(pull["number"]))
        patch = parse_patch("m.py", changed["patch"])
        fixes = [_fix(rng, head, pr * 100 + n) for n in range(FIXES_PER_REVIEW)]
        draft = compose_review(
            run_id=pr,
            pr_number=int(pull["number"]),
            head_sha=str(pull["head"]["sha"]),
            suggestions=fixes,
            open_findings=[],
            patches={"m.py": patch},
            max_suggestions=FIXES_PER_REVIEW,
        )
        await client.create_review(
            REPO,
            int(pull["number"]),
            commit_id=str(pull["head"]["sha"]),
            body=draft.body,
            comments=draft.api_comments,
        )
        for planned in draft.comments:
            kinds["suggestion" if "```suggestion" in str(planned.payload["body"]) else "diff"] += 1
        kinds["body"] += len(draft.unanchored)
    refused = [entry for entry in state.request_log if entry[2] == 422]
    assert refused == []
    # Every kind of placement happened, so the measurement covers all three paths.
    assert kinds["suggestion"] and kinds["diff"] and kinds["body"]
    assert sum(kinds.values()) == PULL_REQUESTS * FIXES_PER_REVIEW


def test_the_emulator_refuses_a_comment_outside_the_diff(world: tuple[EmulatorState, Settings]) -> None:
    runtime.current().run(_post_one_bad_comment(world[0]))


async def _post_one_bad_comment(state: EmulatorState) -> None:
    installation = state.installation_ids()[0]
    base = "".join(f"value_{n} = {n}\n" for n in range(LINES))
    state.create_repository(installation, REPO, {"m.py": base})
    state.push(REPO, "topic", {"m.py": base.replace("value_30 = 30", "value_30 = 31")})
    pull = state.open_pull_request(REPO, head="topic")
    client = GitHubClient(await runtime.current().github(), installation)
    with pytest.raises(BadRequest):
        await client.create_review(
            REPO,
            int(pull["number"]),
            commit_id=str(pull["head"]["sha"]),
            body="control",
            comments=[{"path": "m.py", "line": 2, "side": "RIGHT", "body": "outside"}],
        )
    assert [entry[2] for entry in state.request_log if entry[1].endswith("/reviews")] == [422]
