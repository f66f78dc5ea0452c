"""The output check: a complete sentence of the grammar (llguidance over its bytes), and Python parsing."""

from __future__ import annotations

import pytest

from maze.generation.providers.base import (
    Generation,
    GenerationRequest,
    GrammarUnusable,
    Message,
    OutputRejected,
)
from maze.generation.providers.checking import check_generation, grammar_problem, python_problem

BLOCK = 'root ::= line+\nline ::= "    " [a-z]+ " = " [0-9]+ "\\n"\n'
EXPRESSION = 'root ::= [a-z]+ ( " " [a-z+*-]+ )*\n'


def generation(text: str, *, truncated: bool = False) -> Generation:
    return Generation(text, 1, 1, 0.0, "test", "m", truncated)


def request(name: str, grammar: str) -> GenerationRequest:
    return GenerationRequest((Message("user", "x"),), name, grammar)


def test_a_complete_sentence_passes() -> None:
    check_generation(request("python-block", BLOCK), generation("    x = 1\n    y = 22\n"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("    x = 1", "stops before the grammar allows it to end"),
        ("    x = 1\n  y = 2\n", "byte 12 ('y') does not fit; before it: '    x = 1\\n  '"),
        ("", "stops before the grammar allows it to end"),
        ("```python\n", "byte 0 ('`') does not fit"),
    ],
)
def test_grammar_problems_say_where(text: str, problem: str) -> None:
    found = grammar_problem(BLOCK, text)
    assert found is not None and problem in found


def test_python_is_parsed_dedented_and_expressions_in_eval_mode() -> None:
    assert python_problem("    x = 1\n    if x:\n        y = 2\n", expression=False) is None
    assert python_problem("x = 1", expression=True) is not None
    assert python_problem("a and b", expression=True) is None
    assert "not valid Python" in (python_problem("a and", expression=True) or "")


def test_a_python_grammar_output_that_is_not_python_is_rejected() -> None:
    # The grammar (wrongly) allows `a and`, which Python does not: the ast check catches it.
    with pytest.raises(OutputRejected, match="not valid Python"):
        check_generation(request("python-expression", EXPRESSION), generation("a and"))
    check_generation(request("sum", EXPRESSION), generation("a and"))


def test_a_rejection_of_a_cut_output_says_so() -> None:
    with pytest.raises(OutputRejected, match=r"cut at max_tokens, 256"):
        check_generation(request("python-block", BLOCK), generation("    x = 1", truncated=True))


def test_a_grammar_that_does_not_compile_is_its_own_error() -> None:
    with pytest.raises(GrammarUnusable, match="Rule 'missing' not found"):
        grammar_problem("root ::= missing\n", "x")


def test_non_ascii_output_is_checked_by_its_bytes() -> None:
    grammar = 'root ::= "\\"" [^"\\n]* "\\""\n'
    assert grammar_problem(grammar, '"größe ✓"') is None


def test_an_edit_is_checked_by_its_python_fragment() -> None:
    from maze.constraints.library import compose_edit_text

    grammar = compose_edit_text("python-block", indent="    ")
    good = "@@ 3-4\n    total = 3 + 4\n    return total\n@@\n"
    check_generation(request("edit/python-block", grammar), generation(good))
    with pytest.raises(OutputRejected, match="ends before it starts"):
        check_generation(request("edit/python-block", grammar), generation(good.replace("3-4", "4-3")))


def test_an_edit_fragment_that_is_not_python_is_rejected() -> None:
    # Grammar-valid under a lax fragment grammar, but not Python: the ast check of the fragment catches it.
    lax = 'root ::= "@@ " [0-9]+ "-" [0-9]+ "\\n" ( "    " [a-z =(]+ "\\n" )+ "@@\\n"\n'
    with pytest.raises(OutputRejected, match="not valid Python"):
        check_generation(request("edit/python-block", lax), generation("@@ 3-3\n    total = (\n@@\n"))
    check_generation(request("edit/python-block", lax), generation("@@ 3-3\n    total = a\n@@\n"))
