"""SARIF output: valid against the official SARIF 2.1.0 schema, with relative locations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from maze.validators.model import Diagnostic, Report, Severity, ToolRun
from maze.validators.sarif import to_sarif

SCHEMA_FILE = Path(__file__).parents[2] / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _errors(validator: jsonschema.Draft4Validator, log: dict[str, Any]) -> list[str]:
    return [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(log)]


REPORT = Report(
    (
        ToolRun(
            "mypy",
            "mypy 2.4.1 (compiled: yes)",
            diagnostics=(
                Diagnostic("mypy", "pkg/a b.py", 3, 5, 3, 9, "arg-type", "Bad argument", Severity.ERROR),
                Diagnostic("mypy", "pkg/a b.py", 4, 1, 4, 1, "note", "See the docs", Severity.NOTE),
            ),
        ),
        ToolRun(
            "security",
            "ruff 0.17.6",
            diagnostics=(
                Diagnostic("security", "run.py", 2, 1, 2, 20, "S602", "shell=True", Severity.WARNING),
            ),
        ),
        ToolRun("ruff", "ruff 0.17.6"),
        ToolRun.skipped("pytest", "bubblewrap is missing: repository code is not executed"),
    )
)


def test_log_is_valid_against_the_official_schema(validator: jsonschema.Draft4Validator) -> None:
    log = to_sarif(REPORT)

    assert _errors(validator, log) == []
    assert log["version"] == "2.1.0"
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == ["mypy", "security", "ruff"]


def test_results_have_rules_levels_and_relative_locations() -> None:
    mypy_run = to_sarif(REPORT)["runs"][0]
    driver = mypy_run["tool"]["driver"]
    first, second = mypy_run["results"]
    location = first["locations"][0]["physicalLocation"]

    assert driver["version"] == "mypy 2.4.1 (compiled: yes)"
    assert [rule["id"] for rule in driver["rules"]] == ["arg-type", "note"]
    assert (first["ruleId"], first["ruleIndex"], first["level"]) == ("arg-type", 0, "error")
    assert (second["ruleIndex"], second["level"]) == (1, "note")
    assert location["artifactLocation"] == {"uri": "pkg/a%20b.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 9}
    assert second["locations"][0]["physicalLocation"]["region"]["endColumn"] == 2


def test_only_chosen_diagnostics(validator: jsonschema.Draft4Validator) -> None:
    chosen = [REPORT.diagnostics[0]]

    log = to_sarif(REPORT, chosen)

    assert _errors(validator, log) == []
    assert sum(len(run["results"]) for run in log["runs"]) == 1


def test_empty_report_is_valid(validator: jsonschema.Draft4Validator) -> None:
    assert _errors(validator, to_sarif(Report())) == []


def test_schema_rejects_a_broken_log(validator: jsonschema.Draft4Validator) -> None:
    log = to_sarif(REPORT)
    log["runs"][0]["results"][0]["level"] = "fatal"

    assert _errors(validator, log)
