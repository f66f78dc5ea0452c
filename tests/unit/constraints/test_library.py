"""The grammar library: names, composition through `# uses:`, identifiers, indentation, the edit format."""

from __future__ import annotations

import ast
import keyword

import pytest

from maze.constraints import library
from maze.constraints.gbnf import Literal
from tests.unit.constraints.engines import LLGuidanceRecognizer, TransformersCfgRecognizer


def test_names_are_the_grammars_with_a_root() -> None:
    assert library.names() == [
        "edit",
        "python-block",
        "python-expression",
        "python-function-body",
        "python-simple-statement",
        "typescript-expression",
        "typescript-statement",
    ]


def test_composition_pulls_shared_rules_and_prunes_unused_ones() -> None:
    grammar = library.load("python-expression")
    assert "expression" in grammar.rules and "name" in grammar.rules
    assert "target" not in grammar.rules  # only statements use assignment targets


@pytest.mark.parametrize("language", ["python", "typescript"])
def test_identifiers_are_never_keywords(language: str) -> None:
    name = f"{language}-expression"
    recognizer = LLGuidanceRecognizer(library.text(name))
    words = keyword.kwlist if language == "python" else ["class", "return", "typeof", "new", "this", "let"]
    constants = {"None", "True", "False", "null", "true", "false", "this"}
    for word in words:
        if word not in constants:
            assert not recognizer.accepts(word), word
        assert recognizer.accepts(word + "_x")


def test_indentation_is_a_parameter() -> None:
    deep = library.text("python-block", indent="        ")
    recognizer = TransformersCfgRecognizer(deep)
    assert recognizer.accepts("        if x:\n            y = 1\n")
    assert not recognizer.accepts("    if x:\n        y = 1\n")
    assert library.load("python-block", indent="").rules["indent0"] == Literal("")


def test_indentation_errors() -> None:
    with pytest.raises(ValueError, match="spaces only"):
        library.load("python-block", indent="\t")
    with pytest.raises(ValueError, match="no indentation to set"):
        library.load("python-expression", indent="    ")
    with pytest.raises(ValueError, match="no grammar `cobol`"):
        library.load("cobol")


def test_edit_with_a_block_fragment() -> None:
    recognizer = LLGuidanceRecognizer(library.compose_edit_text("python-block", indent="    "))
    good = "@@ 3-4\n    total = 0\n    for x in xs:\n        total += x\n@@\n"
    assert recognizer.accepts(good)
    assert not recognizer.accepts("@@ 3-4\n    total = = 0\n@@\n")
    assert not recognizer.accepts("@@ 3-4\ntotal = 0\n@@\n")


def test_edit_with_an_expression_fragment_is_one_indented_line() -> None:
    text = library.compose_edit_text("python-simple-statement", indent="        ")
    recognizer = TransformersCfgRecognizer(text)
    assert recognizer.accepts("@@ 7-7\n        return compute(x)\n@@")
    assert not recognizer.accepts("@@ 7-7\nreturn compute(x)\n@@")
    edit = "@@ 7-7\n        return compute(x)\n@@"
    fragment = edit.split("\n", 1)[1].rsplit("@@", 1)[0]
    ast.parse(f"def f():\n{fragment}")
