"""TypeScript: `tsc --noEmit` on a project with a tsconfig.json, from the pinned npm package."""

from __future__ import annotations

from pathlib import Path

import pytest

from maze.sandbox.api import Runner
from maze.validators.model import Severity
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree
from tests.unit.validators.support import write_tree

pytestmark = pytest.mark.usefixtures("node_tools")

ONLY_TYPES = ValidationSettings(ruff=False, security=False, syntax=False, tests=False)
PROJECT = {
    "tsconfig.json": '{"compilerOptions": {"strict": true, "noEmit": true, "target": "es2022",'
    ' "module": "nodenext"}, "include": ["src"]}',
    "src/units.ts": "export function meters(feet: number): number {\n  return feet * 0.3048;\n}\n",
    "src/main.ts": 'import { meters } from "./units.js";\n\nexport const height: string = meters(6);\n',
}


def test_errors_across_files(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, PROJECT)

    report = validate_tree(tmp_path, {"src/main.ts": None}, runner=sandbox, settings=ONLY_TYPES)

    run = report.run_of("tsc")
    assert run is not None and run.ran, run
    assert run.version.startswith("typescript ")
    [diagnostic] = run.diagnostics
    assert (diagnostic.path, diagnostic.start_line, diagnostic.start_column) == ("src/main.ts", 3, 14)
    assert (diagnostic.code, diagnostic.severity) == ("TS2322", Severity.ERROR)
    assert diagnostic.message == "Type 'number' is not assignable to type 'string'."


def test_clean_project(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, {**PROJECT, "src/main.ts": 'import { meters } from "./units.js";\n\nmeters(1);\n'})

    report = validate_tree(tmp_path, {"src/main.ts": None}, runner=sandbox, settings=ONLY_TYPES)

    assert report.summary() == "tsc"
    assert report.diagnostics == ()


def test_without_tsconfig_tsc_is_skipped(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, {"src/main.ts": "export const x: number = 1;\n"})

    report = validate_tree(tmp_path, {"src/main.ts": None}, runner=sandbox, settings=ONLY_TYPES)

    assert report.summary() == "nothing; skipped: tsc (no tsconfig.json at the repository root)"


def test_no_typescript_change_no_tsc(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, {**PROJECT, "README.md": "hi\n"})

    report = validate_tree(tmp_path, {"README.md": None}, runner=sandbox, settings=ONLY_TYPES)

    assert report.run_of("tsc") is None
