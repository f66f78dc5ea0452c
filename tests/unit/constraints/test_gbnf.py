"""GBNF parsing and rendering: every shipped grammar round-trips; syntax errors say where."""

from __future__ import annotations

import pytest

from maze.constraints import library
from maze.constraints.gbnf import (
    AnyChar,
    CharClass,
    Choice,
    GrammarSyntaxError,
    Literal,
    Repeat,
    RuleRef,
    Sequence,
    parse,
    render,
)


@pytest.mark.parametrize("filename", sorted(path.name for path in library.grammars_dir().glob("*.gbnf")))
def test_grammar_files_round_trip(filename: str) -> None:
    grammar = parse((library.grammars_dir() / filename).read_text(encoding="utf-8"), filename)
    again = parse(render(grammar))
    assert again.rules == grammar.rules
    assert again.uses == grammar.uses


def test_parse_builds_typed_nodes() -> None:
    grammar = parse(
        '# uses: shared.gbnf\nroot ::= "a\\n" [^0-9x] . ( b | "c" )* d{2,3}\nb ::= "b"\nd ::= "d"\n'
    )
    assert grammar.uses == ("shared.gbnf",)
    assert grammar.rules["root"] == Sequence(
        (
            Literal("a\n"),
            CharClass((("0", "9"), ("x", "x")), negated=True),
            AnyChar(),
            Repeat(Choice((RuleRef("b"), Literal("c"))), 0, None),
            Repeat(RuleRef("d"), 2, 3),
        )
    )
    assert grammar.lines == {"root": 2, "b": 3, "d": 4}


def test_rule_continues_after_bar_and_inside_parentheses() -> None:
    grammar = parse('root ::= "a" |\n  "b" | ( "c"\n  "d" )\n')
    assert grammar.rules["root"] == Choice(
        (Literal("a"), Literal("b"), Sequence((Literal("c"), Literal("d"))))
    )


def test_escapes_round_trip() -> None:
    text = 'root ::= "q\\"\\\\\\t\\x01\\u00e9\\u4e2d" [\\x2D\\x5E\\]\\[a-c]\n'
    grammar = parse(text)
    assert grammar.rules["root"] == Sequence(
        (
            Literal('q"\\\t\x01é中'),
            CharClass((("-", "-"), ("^", "^"), ("]", "]"), ("[", "["), ("a", "c"))),
        )
    )
    assert parse(render(grammar)).rules == grammar.rules


def test_nested_choices_keep_their_parentheses() -> None:
    grammar = parse('root ::= ( "a" | "b" ) | "c"\n')
    assert parse(render(grammar)).rules == grammar.rules


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ('root ::= "a"\nb = "x"\n', 2, 3, "expected `::=`"),
        ('root ::= "abc\n', 1, 14, "unterminated string"),
        ("root ::= [a-\n", 1, 13, "unterminated character class"),
        ('root ::= ( "a"\n', 2, 1, "expected `)`"),
        ('root ::= "a"\nroot ::= "b"\n', 2, 1, "defined twice"),
        ("root ::= [z-a]\n", 1, 14, "reversed"),
        ('root ::= "\\q"\n', 1, 11, "unknown escape"),
        ("root ::= a{3,1}\n", 1, 16, "maximum below its minimum"),
    ],
)
def test_syntax_errors_name_the_place(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(GrammarSyntaxError) as raised:
        parse(text, "bad.gbnf")
    error = raised.value
    assert (error.source, error.line, error.column) == ("bad.gbnf", line, column)
    assert fragment in error.message
    assert str(error).startswith(f"bad.gbnf:{line}:{column}: ")
