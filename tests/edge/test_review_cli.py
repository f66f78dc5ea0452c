"""`maze review`: the repair engine on a local git working tree, through the command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from bot.cli import main

SCHEMA_FILE = Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json"
BASE = "def half(x: int) -> int:\n    return x // 2\n"
HEAD = (
    "import os\n\n\ndef half(x: int) -> int:\n    return x // 2\n\n\n"
    "def double(value: int) -> int:\n    return valeu * 2\n"
)
FIXED = HEAD.replace("import os\n", "").replace("valeu", "value")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Maze Test", "-c", "user.email=maze@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "app.py").write_text(BASE, encoding="utf-8")
    # The tree has no tests; not looking for them keeps each review to a few seconds.
    (root / ".github").mkdir()
    (root / ".github" / "maze.toml").write_text("[checks]\ntests = false\n", encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root


def _review(*args: str) -> Result:
    return CliRunner().invoke(main, ["review", "--no-model", *args], catch_exceptions=False)


def test_the_diff_applies_and_fixes_both_findings(repo: Path, tmp_path: Path) -> None:
    (repo / "app.py").write_text(HEAD, encoding="utf-8")

    result = _review(str(repo), "--format", "diff")

    assert result.exit_code == 1, result.output
    patch = tmp_path / "fix.diff"
    patch.write_text(result.stdout, encoding="utf-8")
    _git(repo, "apply", "--check", str(patch))
    _git(repo, "apply", str(patch))
    assert (repo / "app.py").read_text(encoding="utf-8") == FIXED
    # once applied, nothing is left to find
    clean = _review(str(repo), "--format", "json")
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["findings"] == []


def test_json_lists_both_findings_with_their_fixes(repo: Path) -> None:
    (repo / "app.py").write_text(HEAD, encoding="utf-8")

    result = _review(str(repo), "--format", "json")

    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    by_rule = {(f["tool"], f["rule"]): f for f in findings}
    assert by_rule[("ruff", "F401")]["line"] == 1
    assert by_rule[("ruff", "F401")]["fix"]["replacement"] == ""
    assert by_rule[("ruff", "F821")]["line"] == 9
    assert by_rule[("ruff", "F821")]["fix"]["replacement"] == "    return value * 2\n"
    assert all(f["fix"] is not None and f["why"] for f in findings)


def test_an_untracked_file_and_a_base_branch(repo: Path) -> None:
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / "extra.py").write_text("import sys\n\nVALUE = 1\n", encoding="utf-8")
    _git(repo, "add", "extra.py")
    _git(repo, "commit", "-q", "-m", "extra")
    (repo / "new.py").write_text("import json\n", encoding="utf-8")

    uncommitted = _review(str(repo), "--format", "json")
    since_main = _review(str(repo), "--base", "main", "--format", "json")

    assert uncommitted.exit_code == since_main.exit_code == 1
    assert {f["path"] for f in json.loads(uncommitted.stdout)["findings"]} == {"new.py"}
    assert {f["path"] for f in json.loads(since_main.stdout)["findings"]} == {"extra.py", "new.py"}


def test_sarif_to_a_file_is_valid(repo: Path, tmp_path: Path) -> None:
    (repo / "app.py").write_text(HEAD, encoding="utf-8")
    output = tmp_path / "maze.sarif"

    result = _review(str(repo), "--format", "sarif", "--output", str(output))

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    log = json.loads(output.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft4Validator(schema).iter_errors(log)) == []
    assert all(result["fixes"] for result in log["runs"][0]["results"])


def test_exit_status_0_without_changes_and_2_on_bad_input(repo: Path, tmp_path: Path) -> None:
    nothing = _review(str(repo), "--format", "text")
    assert nothing.exit_code == 0, nothing.output
    assert "no changes against HEAD" in nothing.stderr
    assert nothing.stdout.endswith("0 finding(s), 0 with a proven fix shown\n")

    unknown = _review(str(repo), "--base", "no-such-branch")
    assert unknown.exit_code == 2
    assert "unknown ref 'no-such-branch'" in unknown.stderr

    plain = tmp_path / "plain"
    plain.mkdir()
    outside = _review(str(plain))
    assert outside.exit_code == 2
    assert "not inside a git working tree" in outside.stderr

    unwritable = _review(str(repo), "--output", str(tmp_path / "missing" / "out.txt"))
    assert unwritable.exit_code == 2
    assert "cannot write" in unwritable.stderr

    assert "Exit status: 0 when there is no finding" in CliRunner().invoke(main, ["review", "--help"]).stdout
