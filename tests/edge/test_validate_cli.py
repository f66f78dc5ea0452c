"""`maze validate`: every diagnostic of a tree, or only what is new against a git ref; text, JSON, SARIF."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from maze.sandbox.factory import bubblewrap_status

SCHEMA_FILE = Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json"
NO_TESTS = "[checks]\ntests = false\n"

APP = """
import os


def half(x: int) -> int:
    return x // 2
"""
OTHER = "def broken() -> int:\n    return 'x'\n"


@pytest.fixture(autouse=True)
def _needs_bubblewrap() -> None:
    status = bubblewrap_status()
    if status.available:
        return
    message = f"bubblewrap cannot run here: {status.problem}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: it is required)", pytrace=False)
    pytest.skip(message)


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Maze Test", "-c", "user.email=maze@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _repository(root: Path, files: Mapping[str, str]) -> Path:
    _write(root, files)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root


def _validate(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)


def test_every_diagnostic_of_a_tree(tmp_path: Path) -> None:
    tree = _write(tmp_path, {"app.py": APP, "other.py": OTHER, ".github/maze.toml": NO_TESTS})

    result = _validate(str(tree), "--no-cache")

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "app.py:1:8: error: `os` imported but unused [ruff F401]" in lines
    assert any(line.startswith("other.py:2:12: error: Incompatible return value type") for line in lines)
    assert "checked: syntax, ruff, ruff S rules, mypy" in lines
    assert lines[-1] == "2 error(s) and 0 other diagnostic(s)"


def test_clean_tree_exits_0(tmp_path: Path) -> None:
    tree = _write(
        tmp_path, {"app.py": "def half(x: int) -> int:\n    return x // 2\n", ".github/maze.toml": NO_TESTS}
    )

    result = _validate(str(tree), "--no-cache")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "0 error(s) and 0 other diagnostic(s)"


def test_json_output_and_the_shared_cache(tmp_path: Path) -> None:
    tree = _write(tmp_path / "tree", {"app.py": APP, ".github/maze.toml": NO_TESTS})
    database = f"sqlite:///{tmp_path / 'maze.db'}"

    first = CliRunner().invoke(main, ["--database-url", database, "validate", str(tree), "--json"])
    second = CliRunner().invoke(main, ["--database-url", database, "validate", str(tree), "--json"])

    assert first.exit_code == second.exit_code == 1, first.output
    data = json.loads(second.output)
    assert data["against"] is None and data["exit_code"] == 1
    assert [(d["tool"], d["code"], d["start_line"]) for d in data["diagnostics"]] == [
        (
            "ruff",
            "F401",
            1,
        )
    ]
    assert {run["tool"]: run["cached"] for run in data["runs"]} == {
        "syntax": False,
        "ruff": True,
        "security": True,
        "mypy": True,
    }
    assert not any(run["cached"] for run in json.loads(first.output)["runs"])


def test_sarif_output_is_valid(tmp_path: Path) -> None:
    tree = _write(tmp_path, {"app.py": APP, "other.py": OTHER, ".github/maze.toml": NO_TESTS})

    result = _validate(str(tree), "--no-cache", "--sarif")

    log = json.loads(result.output)
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in log["runs"]
        for r in run["results"]
    }
    assert uris == {"app.py", "other.py"}
    assert result.exit_code == 1


def test_against_a_ref_shows_only_what_is_new(tmp_path: Path) -> None:
    repo = _repository(tmp_path, {"app.py": APP, "other.py": OTHER, ".github/maze.toml": NO_TESTS})
    (repo / "app.py").write_text(textwrap.dedent(APP).lstrip() + "\n\nRATIO: int = half(3) / 2\n")

    result = _validate(str(repo), "--no-cache", "--against", "main")

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3, result.output
    assert lines[0].startswith("app.py:8:14: error: Incompatible types in assignment")
    assert lines[-1] == "1 error(s) and 0 other diagnostic(s) new against main"


def test_against_a_ref_without_new_problems_exits_0(tmp_path: Path) -> None:
    repo = _repository(tmp_path, {"app.py": APP, "other.py": OTHER, ".github/maze.toml": NO_TESTS})
    (repo / "app.py").write_text(
        "import os\n\n\n# a comment moves everything down\ndef half(x: int) -> int:\n    return x // 2\n"
    )
    (repo / "notes.py").write_text("NOTE = 'new file, no findings'\n")

    result = _validate(str(repo), "--no-cache", "--against", "HEAD")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "0 error(s) and 0 other diagnostic(s) new against HEAD"


def test_against_a_ref_reports_tests_that_broke(tmp_path: Path) -> None:
    repo = _repository(
        tmp_path,
        {
            "app.py": APP,
            "tests/test_app.py": "from app import half\n\n\ndef test_half():\n    assert half(4) == 2\n\n\n"
            "def test_was_failing():\n    assert half(1) == 1\n",
        },
    )
    (repo / "app.py").write_text("import os\n\n\ndef half(x: int) -> int:\n    return x // 3\n")

    result = _validate(str(repo), "--no-cache", "--against", "main", "--json")

    data = json.loads(result.output)
    assert result.exit_code == 1
    assert [(d["tool"], d["path"]) for d in data["diagnostics"]] == [("pytest", "tests/test_app.py")]
    assert data["diagnostics"][0]["message"].startswith("tests/test_app.py::test_half failed: ")
    assert data["summary"] == "syntax, ruff, ruff S rules, mypy, 2 tests"


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("git", ["--against", "no-such-ref"], "unknown ref 'no-such-ref': it names no commit of"),
        ("git", ["--against", "--output=x"], "unknown ref '--output=x'"),
        ("plain", ["--against", "main"], "is not a git repository; --against needs one"),
        ("bad-config", [], "key 'checks.types'"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, setup: str, args: list[str], message: str) -> None:
    files = {"app.py": APP}
    if setup == "git":
        _repository(tmp_path, files)
    else:
        _write(tmp_path, files)
    if setup == "bad-config":
        _write(tmp_path, {".github/maze.toml": 'checks.types = "pyre"\n'})

    result = CliRunner().invoke(main, ["validate", str(tmp_path), "--no-cache", *args])

    assert result.exit_code == 2, result.output
    assert message in result.output


def test_missing_path_exits_2(tmp_path: Path) -> None:
    assert _validate(str(tmp_path / "nowhere")).exit_code == 2


def test_sandbox_none_runs_tests_without_isolation(tmp_path: Path) -> None:
    tree = _write(
        tmp_path,
        {
            "app.py": "def half(x: int) -> int:\n    return x // 2\n",
            "test_app.py": "from app import half\n\n\ndef test_half():\n    assert half(4) == 2\n",
        },
    )

    result = _validate(str(tree), "--no-cache", "--sandbox", "none", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"] == "syntax, ruff, ruff S rules, mypy, 1 test"
