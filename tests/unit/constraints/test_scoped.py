"""Scoped grammars: identifier uses narrowed to the names visible at a line of real source."""

from __future__ import annotations

from maze.constraints.scoped import scoped, usable_names
from maze.indexing.scope import scope_at
from tests.unit.constraints.engines import LLGuidanceRecognizer, TransformersCfgRecognizer

SOURCE = b"""import os

LIMIT = 10


def total(items, factor=2):
    count = 0
    for item in items:
        count += item * factor
    return count
"""


def visible() -> list[str]:
    return [item.name for item in scope_at(SOURCE, "python", 10).names]


def test_visible_names_include_locals_parameters_module_and_builtins() -> None:
    names = visible()
    assert {"count", "items", "factor", "item", "total", "LIMIT", "os", "len"} <= set(names)


def test_statements_read_only_visible_names() -> None:
    text = scoped("python-simple-statement", visible())
    for engine in (LLGuidanceRecognizer(text), TransformersCfgRecognizer(text)):
        assert engine.accepts("return count * factor")
        assert engine.accepts("count = len(items) + LIMIT")
        assert engine.accepts("result = os.path.join(str(count))")  # a new local, bound
        assert engine.accepts("[x for x in items]") is False  # `x` is read before anything binds it
        assert not engine.accepts("return cnt * factor")  # misspelt
        assert not engine.accepts("count = undefined_name + 1")
        assert not engine.accepts("result += 1")  # augmented assignment reads `result`


def test_without_new_locals_bindings_are_visible_names_too() -> None:
    text = scoped("python-simple-statement", visible(), allow_new_locals=False)
    engine = LLGuidanceRecognizer(text)
    assert engine.accepts("count = count + 1")
    assert not engine.accepts("result = count")


def test_block_grammar_keeps_its_indentation() -> None:
    text = scoped("python-block", visible(), indent="    ")
    engine = LLGuidanceRecognizer(text)
    assert engine.accepts("    if count > LIMIT:\n        return LIMIT\n")
    assert not engine.accepts("    if count > MAXIMUM:\n        return LIMIT\n")


def test_typescript_scope() -> None:
    source = (
        b"import { of } from 'rxjs';\n"
        b"function f(values: number[]) {\n  const total = 0;\n  return total;\n}\n"
    )
    names = [item.name for item in scope_at(source, "typescript", 4).names]
    engine = LLGuidanceRecognizer(scoped("typescript-statement", names))
    assert engine.accepts("return of(total, values);")
    assert not engine.accepts("return of(sum);")


def test_unusable_names_are_dropped() -> None:
    assert usable_names("python", ["a", "class", "a", "ünï", "b-c", "_ok"]) == ["a", "_ok"]
