"""Each grammar against our own accept and reject corpora, with llguidance and transformers-cfg.

Corpora live in `corpora/<grammar>.accept.txt` and `.reject.txt`, entries separated by `%%` lines.
Block grammars' entries are whole lines at four spaces of indentation. Everything accepted must also
parse as real code (`ast.parse`, tree-sitter without errors).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from maze.constraints import convert, library
from tests.unit.constraints.engines import LLGuidanceRecognizer, TransformersCfgRecognizer
from tests.unit.constraints.realcode import typescript_parses

CORPORA = Path(__file__).parent / "corpora"
GRAMMARS = library.names()


def entries(name: str, kind: str) -> list[str]:
    text = (CORPORA / f"{name}.{kind}.txt").read_text(encoding="utf-8")
    items = text.removesuffix("\n").split("\n%%\n")
    if name in library.LINE_GRAMMARS or name == "edit":
        return [item + "\n" for item in items]
    return items


@cache
def recognizers(name: str) -> tuple[LLGuidanceRecognizer, LLGuidanceRecognizer, TransformersCfgRecognizer]:
    text = library.text(name)
    return (
        LLGuidanceRecognizer(text),
        LLGuidanceRecognizer(convert.to_lark(text), syntax="lark"),
        TransformersCfgRecognizer(text),
    )


def parses(name: str, text: str) -> bool:
    if name.startswith("typescript-"):
        return typescript_parses(text, name.removeprefix("typescript-"))
    if name == "edit":
        return True
    source = f"def _():\n{text}" if name in library.LINE_GRAMMARS else text
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


@pytest.mark.parametrize("name", GRAMMARS)
def test_every_grammar_has_corpora(name: str) -> None:
    assert entries(name, "accept") and entries(name, "reject")


@pytest.mark.parametrize("name", GRAMMARS)
def test_accept_corpus(name: str) -> None:
    engines = recognizers(name)
    for text in entries(name, "accept"):
        assert parses(name, text), f"corpus entry is not valid code itself: {text!r}"
        results = [engine.accepts(text) for engine in engines]
        assert results == [True, True, True], (
            f"{name} (llguidance gbnf, lark, transformers-cfg): {results}: {text!r}"
        )


@pytest.mark.parametrize("name", GRAMMARS)
def test_reject_corpus(name: str) -> None:
    engines = recognizers(name)
    for text in entries(name, "reject"):
        results = [engine.accepts(text) for engine in engines]
        assert results == [False, False, False], f"{name} accepted {text!r}: {results}"
