"""Compose one GitHub review from proven suggestions: anchors checked against the hunks, hidden markers."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from maze.diff import FilePatch

MARKER_PREFIX = "<!-- maze:review"
_FINGERPRINT_RE = re.compile(r"<!-- maze:fingerprint=([0-9a-f]{64}) -->")


def review_marker(run_id: int, pr_number: int, head_sha: str) -> str:
    """Hidden text that identifies the review of one run, so a retried post finds and updates it."""
    return f"{MARKER_PREFIX} run={run_id} pr={pr_number} head={head_sha} -->"


def fingerprint_in(body: str) -> str | None:
    match = _FINGERPRINT_RE.search(body)
    return match.group(1) if match else None


@dataclass(frozen=True)
class ProvenSuggestion:
    path: str
    start_line: int
    end_line: int
    replacement: str
    rule: str
    tool: str
    message: str
    description: str
    checks: tuple[str, ...]
    fingerprint: str
    finding_line: int | None = None
    """Where the finding is: a fix reaching outside the diff is shown there, as a plain diff."""
    original: str = ""
    why: str = ""


@dataclass(frozen=True)
class OpenFinding:
    """A finding on a changed line with no proven fix: listed in the review body, not posted inline."""

    path: str
    line: int
    rule: str
    tool: str
    message: str


@dataclass(frozen=True)
class PlannedComment:
    suggestion: ProvenSuggestion
    payload: dict[str, object]


@dataclass
class ReviewDraft:
    body: str
    comments: list[PlannedComment] = field(default_factory=list)
    unanchored: list[ProvenSuggestion] = field(default_factory=list)
    over_limit: list[ProvenSuggestion] = field(default_factory=list)

    @property
    def api_comments(self) -> list[dict[str, object]]:
        return [planned.payload for planned in self.comments]


def suggestion_fence(code: str) -> str:
    """A fence longer than any backtick run inside `code`, as GitHub's Markdown requires."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def fix_as_diff(path: str, start_line: int, original: str, replacement: str) -> str:
    """A fix as a fenced unified diff: for fixes GitHub cannot take as a suggestion (lines outside the
    diff, or a reply whose thread covers other lines)."""
    old = original.splitlines(keepends=True)
    new = replacement.splitlines(keepends=True)
    lines = list(
        difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=len(old) + len(new), lineterm="")
    )
    if len(lines) > 2:
        lines[2] = f"@@ -{start_line},{len(old)} +{start_line},{len(new)} @@"
    body = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    fence = suggestion_fence(body)
    return f"{fence}diff\n{body}{fence}"


def _checked(suggestion: ProvenSuggestion) -> str:
    checked = ", ".join(suggestion.checks)
    return (
        f"<sub>Proven before posting: {checked} on the patched tree; the finding is gone and nothing new "
        f"appeared.</sub>\n"
        f"<!-- maze:fingerprint={suggestion.fingerprint} -->"
    )


def _heading(suggestion: ProvenSuggestion) -> str:
    why = f" ({suggestion.why})" if suggestion.why else ""
    return f"**{suggestion.tool} {suggestion.rule}**: {suggestion.message}{why}\n\n"


def comment_body(suggestion: ProvenSuggestion) -> str:
    code = suggestion.replacement
    if code and not code.endswith("\n"):
        code += "\n"
    fence = suggestion_fence(code)
    return (
        _heading(suggestion)
        + f"{suggestion.description}:\n\n"
        + f"{fence}suggestion\n{code}{fence}\n\n"
        + _checked(suggestion)
    )


def diff_comment_body(suggestion: ProvenSuggestion) -> str:
    """A fix that touches lines outside the diff: GitHub cannot apply it, so it is shown as a diff."""
    diff = fix_as_diff(suggestion.path, suggestion.start_line, suggestion.original, suggestion.replacement)
    return (
        _heading(suggestion)
        + f"{suggestion.description}. The fix changes lines outside this pull request's diff, so it is "
        + "shown as a diff to apply by hand rather than as a suggestion:\n\n"
        + f"{diff}\n\n"
        + _checked(suggestion)
    )


def _lines(path: str, start: int, end: int, body: str) -> dict[str, object]:
    payload: dict[str, object] = {"path": path, "line": end, "side": "RIGHT", "body": body}
    if start < end:
        payload["start_line"] = start
        payload["start_side"] = "RIGHT"
    return payload


def anchor(suggestion: ProvenSuggestion, patch: FilePatch | None) -> dict[str, object] | None:
    """The review-comment fields for `suggestion`: a suggestion when its lines lie in one RIGHT-side hunk,
    else a diff comment on the finding's line when that line is in the diff, else None."""
    if patch is None:
        return None
    if patch.hunk_for(suggestion.start_line, suggestion.end_line) is not None:
        return _lines(suggestion.path, suggestion.start_line, suggestion.end_line, comment_body(suggestion))
    line = suggestion.finding_line
    if line is not None and suggestion.original and patch.hunk_for(line, line) is not None:
        return _lines(suggestion.path, line, line, diff_comment_body(suggestion))
    return None


def _listing(title: str, rows: Sequence[str]) -> str:
    return f"\n**{title}**\n\n" + "\n".join(f"- {row}" for row in rows) + "\n" if rows else ""


def compose_review(
    *,
    run_id: int,
    pr_number: int,
    head_sha: str,
    suggestions: Sequence[ProvenSuggestion],
    open_findings: Sequence[OpenFinding],
    patches: Mapping[str, FilePatch],
    max_suggestions: int,
    notes: Sequence[str] = (),
) -> ReviewDraft:
    draft = ReviewDraft(body="")
    for suggestion in suggestions:
        payload = anchor(suggestion, patches.get(suggestion.path))
        if payload is None:
            draft.unanchored.append(suggestion)
        elif len(draft.comments) >= max_suggestions:
            draft.over_limit.append(suggestion)
        else:
            draft.comments.append(PlannedComment(suggestion, payload))
    found = len(suggestions) + len(open_findings)
    summary = (
        f"Maze checked the changed lines and found {found} problem{'s' if found != 1 else ''}; "
        f"{len(draft.comments)} come{'s' if len(draft.comments) == 1 else ''} with a suggestion proven on "
        "the patched file."
    )
    body = "### Maze review\n\n" + summary + "\n"
    body += _listing(
        "More proven fixes (over this repository's limit of suggestions per review)",
        [f"`{s.path}:{s.start_line}` {s.rule}: {s.description}" for s in draft.over_limit],
    )
    body += _listing(
        "Proven fixes whose lines are outside the diff",
        [f"`{s.path}:{s.start_line}` {s.rule}: {s.description}" for s in draft.unanchored],
    )
    body += _listing(
        "Findings without a proven fix",
        [f"`{f.path}:{f.line}` {f.tool} {f.rule}: {f.message}" for f in open_findings],
    )
    body += _listing("Notes", list(notes))
    draft.body = body + "\n" + review_marker(run_id, pr_number, head_sha)
    return draft
