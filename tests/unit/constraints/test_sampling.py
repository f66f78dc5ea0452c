"""Soundness by sampling: random derivations of each grammar are valid code.

Python texts must pass `ast.parse` (block grammars inside a function), TypeScript texts must parse
without errors in tree-sitter. Seeds are fixed, so a failure reproduces.
"""

from __future__ import annotations

import ast

import pytest

from maze.constraints import library
from tests.unit.constraints.realcode import typescript_parses
from tests.unit.constraints.sampling import Sampler

SAMPLES = 300


@pytest.mark.parametrize(
    "name", ["python-expression", "python-simple-statement", "python-block", "python-function-body"]
)
def test_python_samples_parse(name: str) -> None:
    line_grammar = name in library.LINE_GRAMMARS
    grammar = library.load(name, indent="    ") if line_grammar else library.load(name)
    sampler = Sampler(grammar, depth=10)
    failures = []
    for seed in range(SAMPLES):
        text = sampler.sample(seed)
        try:
            ast.parse(f"async def f():\n{text}" if line_grammar else text)
        except SyntaxError as error:
            failures.append((seed, text, error.msg))
    assert failures == []


@pytest.mark.parametrize(
    ("name", "kind"), [("typescript-expression", "expression"), ("typescript-statement", "statement")]
)
def test_typescript_samples_parse(name: str, kind: str) -> None:
    sampler = Sampler(library.load(name), depth=9)
    failures = [
        (seed, text) for seed in range(SAMPLES) if not typescript_parses(text := sampler.sample(seed), kind)
    ]
    assert failures == []
