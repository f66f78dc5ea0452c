"""Run ruff on one file's text and read its JSON diagnostics, fixes included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_SELECT = ("E4", "E7", "E9", "F", "W", "B")


class RuffError(RuntimeError):
    """ruff could not be run or answered with something other than its JSON report."""


@dataclass(frozen=True)
class Edit:
    content: str
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass(frozen=True)
class Fix:
    applicability: str
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Diagnostic:
    """A ruff finding: 1-based rows and columns as ruff reports them."""

    code: str
    message: str
    row: int
    column: int
    end_row: int
    end_column: int
    fix: Fix | None

    @property
    def key(self) -> tuple[str, str]:
        """What the finding is, without where: used to compare runs before and after a patch."""
        return (self.code, self.message)

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Diagnostic:
        fix = data.get("fix")
        return cls(
            code=str(data["code"]),
            message=str(data["message"]),
            row=int(data["row"]),
            column=int(data["column"]),
            end_row=int(data["end_row"]),
            end_column=int(data["end_column"]),
            fix=None
            if fix is None
            else Fix(
                str(fix["applicability"]),
                str(fix["message"]),
                tuple(Edit(str(e["content"]), tuple(e["start"]), tuple(e["end"])) for e in fix["edits"]),
            ),
        )


@cache
def ruff_binary() -> str:
    candidate = Path(sys.executable).with_name("ruff")
    if candidate.exists():
        return str(candidate)
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    return str(find_ruff_bin())


@cache
def ruff_version() -> str:
    completed = subprocess.run([ruff_binary(), "--version"], capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def _point(raw: dict[str, int]) -> tuple[int, int]:
    return (int(raw["row"]), int(raw["column"]))


def _diagnostic(raw: dict[str, object]) -> Diagnostic:
    fix_raw = raw.get("fix")
    fix = None
    if isinstance(fix_raw, dict):
        edits = tuple(
            Edit(str(edit["content"]), _point(edit["location"]), _point(edit["end_location"]))
            for edit in fix_raw.get("edits", [])
        )
        fix = Fix(str(fix_raw.get("applicability", "unsafe")), str(fix_raw.get("message") or ""), edits)
    location = raw["location"]
    end = raw["end_location"]
    assert isinstance(location, dict) and isinstance(end, dict)
    return Diagnostic(
        code=str(raw.get("code") or "syntax-error"),
        message=str(raw["message"]),
        row=int(location["row"]),
        column=int(location["column"]),
        end_row=int(end["row"]),
        end_column=int(end["column"]),
        fix=fix,
    )


def check_source(path: str, source: str, *, select: tuple[str, ...] = DEFAULT_SELECT) -> list[Diagnostic]:
    """Diagnostics for `source` as if it lived at `path`; the host's ruff configuration is ignored."""
    command = [
        ruff_binary(),
        "check",
        "--isolated",
        "--no-cache",
        "--output-format",
        "json",
        "--select",
        ",".join(select),
        "--stdin-filename",
        path,
        "-",
    ]
    completed = subprocess.run(
        command,
        input=source,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "NO_COLOR": "1"},
    )
    if completed.returncode not in (0, 1):
        raise RuffError(f"ruff failed on {path} (exit {completed.returncode}): {completed.stderr.strip()}")
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise RuffError(f"ruff gave no JSON report for {path}: {completed.stdout[:200]!r}") from error
    return sorted((_diagnostic(item) for item in report), key=lambda d: (d.row, d.column, d.code))
