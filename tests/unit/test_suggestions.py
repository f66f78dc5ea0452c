"""Tool edits to whole-line candidates, and fingerprints."""

from maze.lint.ruff import Edit, check_source
from maze.suggestions import Candidate, apply_edits, fingerprint, from_ruff_fix, line_replacement

SOURCE = "import os\n\n\ndef f(x):\n    if not x in [1]:\n        return f'hi'\n    return x\n"


def test_apply_edits_uses_one_based_rows_and_columns() -> None:
    edits = [Edit("X", (1, 8), (1, 10)), Edit("", (5, 8), (5, 12))]
    assert apply_edits(SOURCE, edits).splitlines()[0] == "import X"
    assert apply_edits(SOURCE, edits).splitlines()[4] == "    if x in [1]:"


def test_ruff_safe_fix_becomes_a_line_candidate() -> None:
    by_code = {d.code: d for d in check_source("m.py", SOURCE)}
    removal = from_ruff_fix("m.py", SOURCE, by_code["F401"])
    assert removal == Candidate("m.py", 1, 1, "", "ruff-fix", "F401", "Remove unused import: `os`")
    membership = from_ruff_fix("m.py", SOURCE, by_code["E713"])
    assert membership is not None and membership.replacement == "    if x not in [1]:\n"
    assert membership.apply(SOURCE) == SOURCE.replace("not x in", "x not in")


def test_pure_insertion_takes_a_neighbouring_line() -> None:
    candidate = line_replacement("m.py", "a\nc\n", "a\nb\nc\n", source="t", rule="r", description="d")
    assert candidate is not None
    assert (candidate.start_line, candidate.end_line, candidate.replacement) == (2, 2, "b\nc\n")
    assert candidate.apply("a\nc\n") == "a\nb\nc\n"
    at_end = line_replacement("m.py", "a\n", "a\nb\n", source="t", rule="r", description="d")
    assert at_end is not None and at_end.apply("a\n") == "a\nb\n"


def test_file_without_trailing_newline() -> None:
    candidate = line_replacement("m.py", "a\nb", "a\nB", source="t", rule="r", description="d")
    assert candidate is not None and candidate.replacement == "B"
    assert candidate.apply("a\nb") == "a\nB"
    assert line_replacement("m.py", "same\n", "same\n", source="t", rule="r", description="d") is None


def test_fingerprint_ignores_whitespace_but_not_identity() -> None:
    base = fingerprint("a.py", "C.f", "F401", "import os\n", "")
    assert base == fingerprint("a.py", "C.f", "F401", "import   os", "")
    assert base != fingerprint("a.py", "C.f", "F401", "import sys\n", "")
    assert base != fingerprint("b.py", "C.f", "F401", "import os\n", "")
    assert base != fingerprint("a.py", "C.g", "F401", "import os\n", "")
    assert base != fingerprint("a.py", "C.f", "E713", "import os\n", "")
    assert base != fingerprint("a.py", "C.f", "F401", "import os\n", "import os as _\n")
