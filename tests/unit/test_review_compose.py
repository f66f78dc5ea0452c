"""Composing one review: anchors inside one RIGHT-side hunk, fences, limits and the hidden marker."""

from dataclasses import replace

from maze.diff import parse_patch
from maze.review import (
    OpenFinding,
    ProvenSuggestion,
    comment_body,
    compose_review,
    fingerprint_in,
    review_marker,
    suggestion_fence,
)

PATCH = parse_patch("a.py", "@@ -1,2 +1,4 @@\n x\n+y\n+z\n w\n@@ -10,2 +11,2 @@\n p\n-q\n+Q")


def _suggestion(start: int, end: int, fp: str = "a" * 64, code: str = "new\n") -> ProvenSuggestion:
    return ProvenSuggestion(
        "a.py",
        start,
        end,
        code,
        "F401",
        "ruff",
        "`os` imported but unused",
        "Remove unused import",
        ("ruff",),
        fp,
    )


def test_single_line_comment_has_no_start_line() -> None:
    draft = compose_review(
        run_id=3,
        pr_number=1,
        head_sha="h" * 40,
        suggestions=[_suggestion(2, 2)],
        open_findings=[],
        patches={"a.py": PATCH},
        max_suggestions=10,
    )
    (payload,) = draft.api_comments
    assert payload["line"] == 2 and payload["side"] == "RIGHT"
    assert "start_line" not in payload


def test_multi_line_range_inside_one_hunk() -> None:
    draft = compose_review(
        run_id=3,
        pr_number=1,
        head_sha="h" * 40,
        suggestions=[_suggestion(1, 3)],
        open_findings=[],
        patches={"a.py": PATCH},
        max_suggestions=10,
    )
    (payload,) = draft.api_comments
    assert (payload["start_line"], payload["line"], payload["start_side"]) == (1, 3, "RIGHT")


def test_ranges_outside_or_across_hunks_are_not_posted_inline() -> None:
    outside = _suggestion(6, 6, "b" * 64)
    across = _suggestion(4, 11, "c" * 64)
    draft = compose_review(
        run_id=3,
        pr_number=1,
        head_sha="h" * 40,
        suggestions=[outside, across],
        open_findings=[],
        patches={"a.py": PATCH},
        max_suggestions=10,
    )
    assert draft.api_comments == []
    assert draft.unanchored == [outside, across]
    assert "outside the diff" in draft.body


def test_limit_moves_extra_suggestions_to_the_body() -> None:
    suggestions = [_suggestion(2, 2, "d" * 64), _suggestion(3, 3, "e" * 64)]
    draft = compose_review(
        run_id=3,
        pr_number=7,
        head_sha="f" * 40,
        suggestions=suggestions,
        open_findings=[OpenFinding("a.py", 12, "E722", "ruff", "Do not use bare `except`")],
        patches={"a.py": PATCH},
        max_suggestions=1,
    )
    assert len(draft.comments) == 1 and draft.over_limit == [suggestions[1]]
    assert "`a.py:12` ruff E722" in draft.body
    assert draft.body.endswith(review_marker(3, 7, "f" * 40))


def test_fence_outgrows_backticks_in_the_code() -> None:
    assert suggestion_fence("x = 1\n") == "```"
    assert suggestion_fence("s = '````'\n") == "`````"
    body = comment_body(_suggestion(2, 2, "9" * 64, code="doc = '```'"))
    assert "````suggestion\ndoc = '```'\n````" in body
    assert fingerprint_in(body) == "9" * 64


def test_a_fix_reaching_outside_the_diff_is_a_diff_comment_on_the_finding_line() -> None:
    # Lines 5..6 straddle the end of the first hunk (lines 1-4): not a suggestion; the finding is on 3.
    reaching = replace(_suggestion(3, 5, code="import os\nz\nw\n"), finding_line=3, original="z\nw\nv\n")
    draft = compose_review(
        run_id=3,
        pr_number=1,
        head_sha="h" * 40,
        suggestions=[reaching],
        open_findings=[],
        patches={"a.py": PATCH},
        max_suggestions=10,
    )
    (payload,) = draft.api_comments
    assert payload["line"] == 3 and "start_line" not in payload
    body = str(payload["body"])
    assert "```suggestion" not in body and "```diff" in body
    assert "+import os" in body and "-v" in body and "Proven before posting: ruff" in body
    assert not draft.unanchored


def test_a_fix_outside_the_diff_whose_finding_is_outside_too_goes_to_the_body() -> None:
    far = replace(_suggestion(6, 7), finding_line=7, original="a\nb\n")
    draft = compose_review(
        run_id=3,
        pr_number=1,
        head_sha="h" * 40,
        suggestions=[far],
        open_findings=[],
        patches={"a.py": PATCH},
        max_suggestions=10,
    )
    assert not draft.api_comments and draft.unanchored == [far]
    assert "outside the diff" in draft.body
