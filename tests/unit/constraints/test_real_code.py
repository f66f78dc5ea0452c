"""Grammars against real code: fragments of click 8.5.1 and rxjs 7.8.2, fetched by pinned sha256.

Selected with `-m corpora` (downloads on first run into `.maze/bench-cache/`). Each grammar must accept
at least its measured floor, and everything accepted must parse (`ast.parse`; tree-sitter without
errors). Rates are printed (`-s`).
"""

from __future__ import annotations

import ast

import pytest

from maze.constraints import library
from tests.unit.constraints.engines import LLGuidanceRecognizer
from tests.unit.constraints.realcode import (
    Fragment,
    python_fragments,
    typescript_fragments,
    typescript_parses,
)

pytestmark = pytest.mark.corpora

# Measured with llguidance 1.9.1 (rate of fragments accepted): click statements 0.997 of 3423,
# expressions 0.998 of 2099, compound statements 0.952 of 795, function bodies 0.954 of 432; rxjs
# statements 0.959 of 2406, expressions 0.976 of 2875. Floors sit a little below.
PYTHON_CASES = [
    ("statement", "python-simple-statement", 0.99),
    ("expression", "python-expression", 0.98),
    ("block", "python-block", 0.93),
    ("body", "python-function-body", 0.93),
]
TYPESCRIPT_CASES = [
    ("statement", "typescript-statement", 0.94),
    ("expression", "typescript-expression", 0.96),
]


def _rate(name: str, fragments: list[Fragment], parses: object) -> tuple[float, list[Fragment]]:
    assert callable(parses)
    recognizers: dict[str, LLGuidanceRecognizer] = {}
    accepted = 0
    unsound = []
    for fragment in fragments:
        indent = fragment.indent if name in library.LINE_GRAMMARS else None
        key = indent or ""
        if key not in recognizers:
            recognizers[key] = LLGuidanceRecognizer(library.text(name, indent=indent))
        if recognizers[key].accepts(fragment.text):
            accepted += 1
            if not parses(fragment):
                unsound.append(fragment)
    return accepted / len(fragments), unsound


def _python_parses(fragment: Fragment) -> bool:
    """Whether the fragment parses, nested in an `async def` and `if`s down to its indentation."""
    levels = len(fragment.indent) // 4
    opening = "".join(
        "    " * level + ("async def f():\n" if level == 0 else "if x:\n") for level in range(levels)
    )
    try:
        ast.parse(opening + fragment.text)
    except SyntaxError:
        return False
    return True


@pytest.mark.parametrize(("kind", "name", "floor"), PYTHON_CASES)
def test_click(kind: str, name: str, floor: float) -> None:
    fragments = list(python_fragments(kind))
    assert len(fragments) > 300
    rate, unsound = _rate(name, fragments, _python_parses)
    print(f"\n{name}: {rate:.3f} of {len(fragments)} click fragments accepted (floor {floor})")
    assert unsound == []
    assert rate >= floor


@pytest.mark.parametrize(("kind", "name", "floor"), TYPESCRIPT_CASES)
def test_rxjs(kind: str, name: str, floor: float) -> None:
    fragments = list(typescript_fragments(kind))
    assert len(fragments) > 1000
    rate, unsound = _rate(name, fragments, lambda fragment: typescript_parses(fragment.text, kind))
    print(f"\n{name}: {rate:.3f} of {len(fragments)} rxjs fragments accepted (floor {floor})")
    assert unsound == []
    assert rate >= floor
