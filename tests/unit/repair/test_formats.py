"""`maze review` output formats on a real repair report: a diff git applies, JSON, text, valid SARIF."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from maze.analysis import Problem
from maze.repair.engine import Attempted, Outcome, RepairReport, repair_tree
from maze.repair.formats import FORMATS, apply_all, render
from maze.repair.local import changed_lines
from maze.suggestions import Candidate
from maze.validation import Verdict
from maze.validators.model import Report
from maze.validators.settings import ValidationSettings

SCHEMA_FILE = Path(__file__).parents[2] / "data" / "sarif-schema-2.1.0.json"

BASE = "def half(x: int) -> int:\n    return x // 2\n"
HEAD = (
    "import os\n\n\ndef half(x: int) -> int:\n    return x // 2\n\n\n"
    "def double(value: int) -> int:\n    return valeu * 2\n"
)
FINDING_KEYS = {
    "tool",
    "rule",
    "message",
    "path",
    "line",
    "end_line",
    "column",
    "end_column",
    "why",
    "fix",
    "note",
    "attempts",
}
FIX_KEYS = {"start_line", "end_line", "replacement", "source", "tier", "description", "checks"}


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Maze Test", "-c", "user.email=maze@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _repository(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main")
    for path, text in files.items():
        (root / path).write_bytes(text.encode("utf-8"))
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RepairReport]:
    root = _repository(tmp_path_factory.mktemp("formats") / "repo", {"app.py": BASE})
    (root / "app.py").write_text(HEAD, encoding="utf-8")
    report = repair_tree(
        root, changed_lines(root, None), runner=None, settings=ValidationSettings(tests=False)
    )
    return root, report


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _applied(root: Path, patch: str, tmp_path: Path) -> Path:
    """A copy of `root` with `patch` applied by git (after `git apply --check` accepts it)."""
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    (tmp_path / "fix.diff").write_text(patch, encoding="utf-8")
    _git(copy, "apply", "--check", str(tmp_path / "fix.diff"))
    _git(copy, "apply", str(tmp_path / "fix.diff"))
    return copy


def test_the_engine_found_and_proved_both_fixes(reviewed: tuple[Path, RepairReport]) -> None:
    _, report = reviewed
    rules = {(o.problem.tool, o.problem.rule) for o in report.outcomes}
    assert {("ruff", "F401"), ("ruff", "F821")} <= rules
    assert all(o.chosen is not None for o in report.outcomes)


def test_the_diff_applies_and_fixes_the_tree(reviewed: tuple[Path, RepairReport], tmp_path: Path) -> None:
    root, report = reviewed

    rendered = render(report, "diff", root)

    assert rendered.warnings == ()
    assert rendered.output.startswith("--- a/app.py\n+++ b/app.py\n")
    fixed = (_applied(root, rendered.output, tmp_path) / "app.py").read_text(encoding="utf-8")
    assert "import os" not in fixed
    assert "    return value * 2\n" in fixed
    # the fix the ruff and mypy findings of `valeu` share is applied once
    assert fixed == HEAD.replace("import os\n", "").replace("valeu", "value")


def test_json_has_stable_keys_and_fixes_that_reproduce_the_diff(
    reviewed: tuple[Path, RepairReport], tmp_path: Path
) -> None:
    root, report = reviewed

    data = json.loads(render(report, "json", root).output)

    assert set(data) == {"version", "findings", "baseline", "notes", "summary"}
    assert data["summary"] == {"findings": len(report.outcomes), "fixes": len(report.outcomes)}
    assert "ruff" in data["baseline"]["checks"]
    for finding in data["findings"]:
        assert set(finding) == FINDING_KEYS
        assert set(finding["fix"]) == FIX_KEYS
        assert finding["why"]
        assert "ruff" in finding["fix"]["checks"]
    assert {(f["tool"], f["rule"], f["line"]) for f in data["findings"]} >= {
        ("ruff", "F401", 1),
        ("ruff", "F821", 9),
    }
    candidates = {
        Candidate("app.py", f["fix"]["start_line"], f["fix"]["end_line"], f["fix"]["replacement"], "", "", "")
        for f in data["findings"]
    }
    from_json = apply_all(HEAD, candidates)
    patched = _applied(root, render(report, "diff", root).output, tmp_path)
    assert from_json == (patched / "app.py").read_text(encoding="utf-8")


def _errors(validator: jsonschema.Draft4Validator, log: dict[str, Any]) -> list[str]:
    return [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(log)]


def test_sarif_is_valid_and_carries_the_fixes(
    reviewed: tuple[Path, RepairReport], sarif_validator: jsonschema.Draft4Validator
) -> None:
    root, report = reviewed

    log = json.loads(render(report, "sarif", root).output)

    assert _errors(sarif_validator, log) == []
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "maze"
    results = run["results"]
    assert len(results) == len(report.outcomes)
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    unused = next(r for r in results if r["ruleId"] == "ruff/F401")
    assert rules[unused["ruleIndex"]] == "ruff/F401"
    assert unused["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    (change,) = unused["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "app.py", "uriBaseId": "%SRCROOT%"}
    (replacement,) = change["replacements"]
    start = replacement["deletedRegion"]["charOffset"]
    end = start + replacement["deletedRegion"]["charLength"]
    assert HEAD[:start] + replacement["insertedContent"]["text"] + HEAD[end:] == HEAD.replace(
        "import os\n", ""
    )


def test_text_says_where_why_and_what_was_proven(reviewed: tuple[Path, RepairReport]) -> None:
    root, report = reviewed

    text = render(report, "text", root).output

    assert "app.py:1:8: ruff F401: `os` imported but unused" in text
    assert "  why: the import is unused" in text
    assert "    -import os" in text
    assert "    +    return value * 2" in text
    assert "proven: syntax, ruff" in text
    assert text.endswith(
        f"{len(report.outcomes)} finding(s), {len(report.outcomes)} with a proven fix shown\n"
    )


# ------------------------------------------------- hand-made reports: overlaps, limits, line endings


def _problem(line: int, rule: str = "F841", path: str = "mod.py") -> Problem:
    return Problem("ruff", rule, f"finding on line {line}", path, line, line, why="the linter reports it")


def _proven(candidate: Candidate) -> Attempted:
    return Attempted(candidate, "symbolic", Verdict(True, ("syntax", "ruff", "mypy")))


def _outcome(line: int, candidate: Candidate | None, path: str = "mod.py") -> Outcome:
    if candidate is None:
        failed = Attempted(
            Candidate(path, line, line, "pass\n", "symbolic:name", "F841", "Try pass"),
            "symbolic",
            Verdict(False, ("syntax", "ruff"), "ruff still reports F841 after the fix"),
        )
        return Outcome(_problem(line, path=path), None, (failed,), "no candidate was proven")
    return Outcome(
        _problem(line, path=path), _proven(candidate), (_proven(candidate),), "proven symbolic fix"
    )


def _fix(path: str, start: int, end: int, replacement: str) -> Candidate:
    return Candidate(path, start, end, replacement, "symbolic:name", "F841", f"Rewrite lines {start}-{end}")


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    return _repository(tmp_path / "repo", files)


def test_overlapping_fixes_keep_the_first_and_warn(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"mod.py": "a = 1\nb = 2\nc = 3\nd = 4\n"})
    report = RepairReport(
        Report(()),
        (
            _outcome(1, _fix("mod.py", 1, 2, "a = 10\nb = 20\n")),
            _outcome(2, _fix("mod.py", 2, 2, "b = 200\n")),
            _outcome(4, _fix("mod.py", 4, 4, "d = 40\n")),
        ),
    )

    rendered = render(report, "diff", root)

    assert len(rendered.warnings) == 1
    assert (
        "mod.py:2 ruff F841" in rendered.warnings[0]
        and "overlaps the fix of lines 1-2" in rendered.warnings[0]
    )
    patched = _applied(root, rendered.output, tmp_path)
    assert (patched / "mod.py").read_text(encoding="utf-8") == "a = 10\nb = 20\nc = 3\nd = 40\n"


def test_max_fixes_limits_every_format_and_says_why(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"mod.py": "a = 1\nb = 2\nc = 3\n"})
    report = RepairReport(
        Report(()),
        (
            _outcome(1, _fix("mod.py", 1, 1, "a = 10\n")),
            _outcome(2, None),
            _outcome(3, _fix("mod.py", 3, 3, "c = 30\n")),
        ),
    )

    data = json.loads(render(report, "json", root, max_fixes=1).output)
    text = render(report, "text", root, max_fixes=1).output
    diff = render(report, "diff", root, max_fixes=1).output

    assert [f["fix"] is not None for f in data["findings"]] == [True, False, False]
    assert data["findings"][1]["note"] == "no candidate was proven"
    assert "more than 1 fixes" in data["findings"][2]["note"]
    assert "no proven fix: tried 1 candidate(s) (symbolic), none proven" in text
    assert "c = 30" not in diff and "+a = 10" in diff


def test_diff_keeps_crlf_and_a_missing_final_newline(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"win.py": "a = 1\r\nb = 2\r\n", "tail.py": "x = 1\ny = 2"})
    (root / ".gitattributes").write_text("* -text\n", encoding="utf-8")
    report = RepairReport(
        Report(()),
        (
            _outcome(1, _fix("win.py", 1, 1, "a = 10\n"), path="win.py"),
            _outcome(2, _fix("tail.py", 2, 2, "y = 20"), path="tail.py"),
        ),
    )

    rendered = render(report, "diff", root)

    assert "\\ No newline at end of file" in rendered.output
    patched = _applied(root, rendered.output, tmp_path)
    assert (patched / "win.py").read_bytes() == b"a = 10\r\nb = 2\r\n"
    assert (patched / "tail.py").read_bytes() == b"x = 1\ny = 20"


def test_a_fix_for_a_file_that_changed_since_is_skipped(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"mod.py": "a = 1\n"})
    report = RepairReport(Report(()), (_outcome(1, _fix("mod.py", 3, 3, "c = 3\n")),))

    rendered = render(report, "diff", root)

    assert rendered.output == ""
    assert "changed or is unreadable" in rendered.warnings[0]


def test_an_empty_report_in_every_format(tmp_path: Path, sarif_validator: jsonschema.Draft4Validator) -> None:
    report = RepairReport(Report(()), ())
    outputs = {name: render(report, name, tmp_path).output for name in FORMATS}

    assert outputs["diff"] == ""
    assert json.loads(outputs["json"])["findings"] == []
    assert _errors(sarif_validator, json.loads(outputs["sarif"])) == []
    assert outputs["text"].endswith("0 finding(s), 0 with a proven fix shown\n")
    with pytest.raises(ValueError, match="unknown output format"):
        render(report, "html", tmp_path)
