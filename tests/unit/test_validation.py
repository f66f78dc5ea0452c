"""The differential verdict: the finding is gone, the file still parses, nothing new appears."""

from maze.suggestions import Candidate, from_ruff_fix
from maze.validation import Baseline, validate

SOURCE = "import os\n\n\ndef f(x):\n    if not x in [1]:\n        return 1\n    return x\n"


def test_ruff_fix_is_proven() -> None:
    baseline = Baseline.of("m.py", SOURCE)
    target = next(d for d in baseline.diagnostics if d.code == "E713")
    candidate = from_ruff_fix("m.py", SOURCE, target)
    assert candidate is not None
    verdict = validate(candidate, target, baseline)
    assert verdict.valid, verdict.reason
    assert verdict.checks == ("tree-sitter parse", "Python parser", "ruff")


def test_candidate_that_breaks_syntax_is_refused() -> None:
    baseline = Baseline.of("m.py", SOURCE)
    target = next(d for d in baseline.diagnostics if d.code == "E713")
    broken = Candidate("m.py", 5, 5, "    if x not in [1]\n", "test", "E713", "drop the colon")
    verdict = validate(broken, target, baseline)
    assert not verdict.valid and "syntax" in verdict.reason


def test_candidate_that_leaves_the_finding_is_refused() -> None:
    baseline = Baseline.of("m.py", SOURCE)
    target = next(d for d in baseline.diagnostics if d.code == "F401")
    unrelated = Candidate("m.py", 6, 6, "        return 2\n", "test", "F401", "change something else")
    verdict = validate(unrelated, target, baseline)
    assert not verdict.valid and "still reports F401" in verdict.reason


def test_candidate_that_adds_a_finding_is_refused() -> None:
    baseline = Baseline.of("m.py", SOURCE)
    target = next(d for d in baseline.diagnostics if d.code == "F401")
    swap = Candidate("m.py", 1, 1, "import sys\n", "test", "F401", "import something else unused")
    verdict = validate(swap, target, baseline)
    assert not verdict.valid
    assert verdict.reason == "the fix introduces new ruff findings"
    assert verdict.new_findings == ("F401: `sys` imported but unused",)
