"""Grammar checks: each kind of problem is found and explained with a fix."""

from __future__ import annotations

import pytest

from maze.constraints.check import GrammarCheckError, check, problems
from maze.constraints.gbnf import parse


def found(text: str) -> list[str]:
    return [str(problem) for problem in problems(parse(text), "demo.gbnf")]


def test_clean_grammar_has_no_problems() -> None:
    assert found('root ::= item ( "," item )*\nitem ::= [a-z]+\n') == []


def test_missing_root() -> None:
    assert found('item ::= "a"\n') == [
        "demo.gbnf: rule `root`: is not defined; add `root ::= ...`, where matching starts"
    ]


def test_undefined_rule() -> None:
    [message] = found('root ::= item "!"\n')
    assert message.startswith(
        "demo.gbnf: rule `root`: refers to `item`, which is not defined; define `item ::= ...`"
    )
    assert "# uses:" in message


def test_unreachable_rule() -> None:
    assert found('root ::= "a"\nspare ::= "b"\n') == [
        "demo.gbnf: rule `spare`: is never reached from `root`; use it from a reachable rule or delete it"
    ]


def test_optional_braces_are_refused_with_the_equivalent() -> None:
    [message] = found('root ::= "a"{0,3}\n')
    assert '`"a"{0,3}`, which transformers-cfg reads as at least one' in message
    assert 'write `( "a" ( "a" "a"? )? )?` instead' in message


def test_other_braces_pass() -> None:
    assert found('root ::= "a"{2} "b"{1,3} "c"{0,}\n') == []


def test_left_recursion_directly_and_through_a_nullable_prefix() -> None:
    assert any("left-recursive" in item for item in found('root ::= root "a" | "b"\n'))
    messages = found('root ::= item\nitem ::= space? root "x" | "y"\nspace ::= " "\n')
    assert any("rule `item`: is left-recursive" in item for item in messages)


def test_names_that_collide_in_lark() -> None:
    messages = found('root ::= a-b a_b\na-b ::= "x"\na_b ::= "y"\n')
    assert any("becomes `a_b` in Lark, as `a-b` does" in item for item in messages)


def test_check_raises_with_every_problem() -> None:
    with pytest.raises(GrammarCheckError) as raised:
        check(parse('root ::= missing\nspare ::= "b"{0,2}\n'), "demo.gbnf")
    assert len(raised.value.problems) == 3
    assert "demo.gbnf: rule `root`: refers to `missing`" in str(raised.value)
