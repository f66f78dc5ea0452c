"""Lark conversion: llguidance reads it and agrees with its own reading of the GBNF."""

from __future__ import annotations

import pytest

from maze.constraints import convert, library
from maze.constraints.gbnf import parse


def test_lark_shape() -> None:
    lark = convert.to_lark(
        'root ::= item ( "," item )* tail{2,3}\nitem ::= [a-z\\x2D]+\ntail ::= "!" item?\n'
    )
    assert lark.splitlines() == [
        'start: ITEM ("," ITEM)* (TAIL ~ 2..3)',
        "ITEM: /[a-z\\-]/+",
        'TAIL: "!" ITEM?',
    ]


def test_recursive_rules_stay_rules() -> None:
    terminals = convert.terminal_rules(parse('root ::= list\nlist ::= "[" list? "]"\nword ::= [a-z]+\n'))
    assert terminals == {"word"}


@pytest.mark.parametrize("name", library.names())
def test_llguidance_loads_every_grammar_as_lark(name: str) -> None:
    assert convert.to_llguidance(library.text(name))


def test_llguidance_reports_errors() -> None:
    with pytest.raises(ValueError):
        convert.to_llguidance('root ::= "a" missing\n')
