"""What validators report: diagnostics, one run per tool, and the report of a whole tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

TEST_TOOL = "pytest"

_LABELS = {"security": "ruff S rules"}


class Severity(StrEnum):
    """Severity as SARIF names its levels."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A finding of one tool. Lines and columns are 1-based; the end column is exclusive."""

    tool: str
    path: str
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    code: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What the finding is, without where: lines move when a fix adds or removes lines."""
        return (self.tool, self.path, self.code, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "path": self.path,
            "start_line": self.start_line,
            "start_column": self.start_column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "message": self.message,
            "severity": self.severity.value,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Diagnostic:
        return cls(
            tool=str(data["tool"]),
            path=str(data["path"]),
            start_line=int(data["start_line"]),
            start_column=int(data["start_column"]),
            end_line=int(data["end_line"]),
            end_column=int(data["end_column"]),
            code=str(data["code"]),
            message=str(data["message"]),
            severity=Severity(data["severity"]),
        )

    @property
    def location(self) -> tuple[str, int, int, str, str]:
        """Sort key for showing diagnostics by file and position."""
        return (self.path, self.start_line, self.start_column, self.tool, self.code)

    def to_text(self) -> str:
        return (
            f"{self.path}:{self.start_line}:{self.start_column}: {self.severity.value}: "
            f"{self.message} [{self.tool} {self.code}]"
        )


@dataclass(frozen=True)
class ToolOutput:
    """What a tool found on one tree: the part of a run that is cached."""

    diagnostics: tuple[Diagnostic, ...] = ()
    tests_passed: tuple[str, ...] = ()
    tests_failed: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "tests_passed": list(self.tests_passed),
            "tests_failed": list(self.tests_failed),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToolOutput:
        return cls(
            diagnostics=tuple(Diagnostic.from_json(item) for item in data.get("diagnostics", [])),
            tests_passed=tuple(str(item) for item in data.get("tests_passed", [])),
            tests_failed=tuple(str(item) for item in data.get("tests_failed", [])),
        )


@dataclass(frozen=True)
class ToolRun:
    """One tool on one tree: what it found, or why it did not run (`ran` False, `skipped_reason` set)."""

    tool: str
    version: str = ""
    ran: bool = True
    skipped_reason: str = ""
    diagnostics: tuple[Diagnostic, ...] = ()
    tests_passed: tuple[str, ...] = ()
    tests_failed: tuple[str, ...] = ()
    seconds: float = 0.0
    cached: bool = False
    targets: tuple[str, ...] = ()
    """What the tool was asked to check: files, or test ids for pytest."""

    @classmethod
    def skipped(cls, tool: str, reason: str, version: str = "") -> ToolRun:
        return cls(tool=tool, version=version, ran=False, skipped_reason=reason)

    @classmethod
    def of(
        cls,
        tool: str,
        version: str,
        output: ToolOutput,
        *,
        seconds: float,
        cached: bool,
        targets: tuple[str, ...] = (),
    ) -> ToolRun:
        return cls(
            tool=tool,
            version=version,
            diagnostics=output.diagnostics,
            tests_passed=output.tests_passed,
            tests_failed=output.tests_failed,
            seconds=seconds,
            cached=cached,
            targets=targets,
        )

    @property
    def tests_ran(self) -> int:
        return len(self.tests_passed) + len(self.tests_failed)

    @property
    def label(self) -> str:
        """How the run is named in a summary: the tool, or the number of tests for pytest."""
        if self.tool == TEST_TOOL:
            return f"{self.tests_ran} test" + ("" if self.tests_ran == 1 else "s")
        return _LABELS.get(self.tool, self.tool)

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "version": self.version,
            "ran": self.ran,
            "skipped_reason": self.skipped_reason,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "tests_passed": list(self.tests_passed),
            "tests_failed": list(self.tests_failed),
            "seconds": round(self.seconds, 3),
            "cached": self.cached,
            "targets": list(self.targets),
        }


@dataclass(frozen=True)
class Report:
    """Every tool run on one tree, in the order they ran."""

    runs: tuple[ToolRun, ...] = field(default=())

    def run_of(self, tool: str) -> ToolRun | None:
        return next((run for run in self.runs if run.tool == tool), None)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(d for run in self.runs for d in run.diagnostics)

    @property
    def tests_passed(self) -> frozenset[str]:
        return frozenset(test for run in self.runs for test in run.tests_passed)

    @property
    def tests_failed(self) -> frozenset[str]:
        return frozenset(test for run in self.runs for test in run.tests_failed)

    def checks(self) -> str:
        """What ran, e.g. "syntax, ruff, mypy, 12 tests"."""
        return ", ".join(run.label for run in self.runs if run.ran) or "nothing"

    def summary(self) -> str:
        """What ran, then each tool that did not and why: "ruff, mypy; skipped: pytest (no sandbox)"."""
        skipped = [f"{run.tool} ({run.skipped_reason})" for run in self.runs if not run.ran]
        return self.checks() + (f"; skipped: {', '.join(skipped)}" if skipped else "")

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary(), "runs": [run.to_json() for run in self.runs]}
