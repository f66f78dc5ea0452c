"""SARIF 2.1.0 for GitHub code scanning: one run per tool, rules from the codes seen, relative locations.

Locations are URIs relative to the repository root (`uriBaseId` %SRCROOT%); regions are 1-based with
an exclusive end column, as SARIF defines them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from maze.validators.model import Diagnostic, Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SOURCE_ROOT = "%SRCROOT%"

_INFORMATION_URI = {
    "syntax": "https://tree-sitter.github.io/tree-sitter/",
    "ruff": "https://docs.astral.sh/ruff/",
    "security": "https://docs.astral.sh/ruff/rules/#flake8-bandit-s",
    "mypy": "https://mypy.readthedocs.io/",
    "pyright": "https://microsoft.github.io/pyright/",
    "tsc": "https://www.typescriptlang.org/",
    "pytest": "https://docs.pytest.org/",
}


def region(diagnostic: Diagnostic) -> dict[str, int]:
    start_line = max(diagnostic.start_line, 1)
    start_column = max(diagnostic.start_column, 1)
    end_line = max(diagnostic.end_line, start_line)
    end_column = max(diagnostic.end_column, 1)
    if end_line == start_line:
        end_column = max(end_column, start_column + 1)
    return {
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    }


def _run(tool: str, version: str, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    codes = sorted({d.code for d in diagnostics})
    index = {code: position for position, code in enumerate(codes)}
    driver: dict[str, Any] = {
        "name": tool,
        "rules": [{"id": code, "shortDescription": {"text": f"{tool} {code}"}} for code in codes],
    }
    if version:
        driver["version"] = version
    if tool in _INFORMATION_URI:
        driver["informationUri"] = _INFORMATION_URI[tool]
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": d.severity.value,
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": quote(d.path), "uriBaseId": SOURCE_ROOT},
                        "region": region(d),
                    }
                }
            ],
        }
        for d in sorted(diagnostics)
    ]
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"maze/{tool}/"},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }


def to_sarif(report: Report, diagnostics: Iterable[Diagnostic] | None = None) -> dict[str, Any]:
    """A SARIF log of `diagnostics` (default: all of the report), one run per tool that ran."""
    chosen = list(report.diagnostics if diagnostics is None else diagnostics)
    runs = []
    for run in report.runs:
        if run.ran:
            runs.append(_run(run.tool, run.version, [d for d in chosen if d.tool == run.tool]))
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": runs}
