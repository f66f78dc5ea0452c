"""`maze demo` as a user runs it: a fresh directory, no services, a posted review with proven suggestions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from maze.review import MARKER_PREFIX


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAZE_")}
    env["HOME"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_json_reports_a_posted_review(tmp_path: Path) -> None:
    completed = _demo(tmp_path, "--json")
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["webhook_status"] == 202
    assert result["run"]["stage"] == "done"
    assert result["review"]["state"] == "COMMENTED"
    assert result["review"]["user"] == "maze[bot]"
    assert MARKER_PREFIX in result["review"]["body"]
    assert result["suggestions_posted"] >= 1
    assert result["github_contract_violations"] == []
    assert result["suggestions_posted"] == sum(1 for c in result["comments"] if c["suggestion"] is not None)
    by_place = {(c["path"], c["line"]): c["suggestion"] for c in result["comments"]}
    assert by_place[("inventory/stock.py", 14)] == "        if item not in self.levels:\n"
    assert by_place[("inventory/report.py", 3)] == ""
    assert all(c["side"] == "RIGHT" for c in result["comments"])
    assert (tmp_path / ".maze" / "demo.db").exists()


def test_demo_text_shows_paths_lines_and_suggestions(tmp_path: Path) -> None:
    completed = _demo(tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "--- inventory/stock.py line 14 (RIGHT)" in completed.stdout
    assert "```suggestion" in completed.stdout
    assert "validated suggestion(s) posted in one review" in completed.stdout
