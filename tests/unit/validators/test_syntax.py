"""Syntax diagnostics from tree-sitter (every indexer language) and CPython's parser."""

from __future__ import annotations

from pathlib import Path

from maze.validators.model import Severity
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree
from maze.validators.syntax import python_parser_diagnostic, tree_sitter_diagnostics
from tests.unit.validators.support import write_tree

ONLY_SYNTAX = ValidationSettings(
    ruff=False, security=False, type_checker="off", typescript=False, tests=False
)


def test_python_error_from_both_parsers() -> None:
    source = b"def f(:\n    return 1\n"

    found = tree_sitter_diagnostics("a.py", source, "python")
    parsed = python_parser_diagnostic("a.py", source)

    assert found and all(d.tool == "syntax" and d.severity is Severity.ERROR for d in found)
    assert found[0].start_line == 1
    assert parsed is not None
    assert (parsed.code, parsed.start_line, parsed.path) == ("python", 1, "a.py")
    assert parsed.message.startswith("python: ")


def test_clean_python_has_no_diagnostics() -> None:
    source = b"def f(x: int) -> int:\n    return x\n"

    assert tree_sitter_diagnostics("a.py", source, "python") == []
    assert python_parser_diagnostic("a.py", source) is None


def test_missing_node_is_named() -> None:
    found = tree_sitter_diagnostics("a.rs", b"fn main() { let x = 1 }\n", "rust")

    assert [(d.code, d.message, d.start_line) for d in found] == [("missing", "rust: missing ;", 1)]


def test_columns_count_characters_not_bytes() -> None:
    found = tree_sitter_diagnostics("a.py", "x = 'é'\ny = (\n".encode(), "python")

    assert found
    assert all(d.start_column >= 1 for d in found)


def test_every_changed_file_in_an_indexer_language(tmp_path: Path) -> None:
    tree = write_tree(
        tmp_path,
        {
            "ok.py": "x = 1\n",
            "bad.py": "if True\n    pass\n",
            "web/app.ts": "const x: number = ;\n",
            "lib.rs": "fn main( {}\n",
            "notes.txt": "not code (\n",
            "unchanged_bad.py": "def (\n",
        },
    )

    report = validate_tree(
        tree,
        {"ok.py": None, "bad.py": {1}, "web/app.ts": None, "lib.rs": None, "notes.txt": None},
        runner=None,
        settings=ONLY_SYNTAX,
    )

    paths = {d.path for d in report.diagnostics}
    assert paths == {"bad.py", "web/app.ts", "lib.rs"}
    assert {d.code for d in report.diagnostics if d.path == "bad.py"} >= {"python"}
    assert report.summary() == "syntax"


def test_nothing_to_parse_means_no_run(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# title\n", "data.csv": "a,b\n"})

    report = validate_tree(tmp_path, {"README.md": None, "data.csv": None}, runner=None, settings=ONLY_SYNTAX)

    assert report.runs == ()
    assert report.summary() == "nothing"
