"""Our GBNF in the other grammar notations servers take.

    to_lark(text) -> str
        Lark, as OpenAI's custom tools (`format: {type: grammar, syntax: lark}`) and llguidance read it:
        `root` becomes `start`, rule names become `snake_case`, and a rule made only of characters (no
        reference to a recursive rule) becomes a terminal (UPPER_CASE), the way llguidance's own GBNF
        reader decides; repetitions are `*`, `+`, `?`, `~ n` and `~ m..n`.
    to_llguidance(text) -> str
        The grammar as llguidance's JSON form (what `llguidance.LLMatcher` takes); imports llguidance.

vLLM (`structured_outputs.grammar`), llama.cpp's server (`grammar`) and SGLang (`ebnf`) take our GBNF
text as it is.
"""

from __future__ import annotations

import json

from maze.constraints.check import check, lark_name, references
from maze.constraints.gbnf import (
    AnyChar,
    CharClass,
    Choice,
    Expr,
    Grammar,
    Literal,
    Repeat,
    RuleRef,
    Sequence,
    parse,
)

__all__ = ["terminal_rules", "to_lark", "to_llguidance"]


def to_lark(text: str) -> str:
    """Lark text for the GBNF `text`; `GrammarCheckError` for a grammar with problems."""
    grammar = parse(text)
    check(grammar, "<grammar>")
    terminals = terminal_rules(grammar)
    names = {rule: _lark_rule_name(rule, rule in terminals) for rule in grammar.rules}
    lines = []
    for rule, expr in grammar.rules.items():
        lines.append(f"{names[rule]}: {_lark(expr, names, top=True)}")
    return "\n".join(lines) + "\n"


def to_llguidance(text: str) -> str:
    """llguidance's grammar (JSON) for the GBNF `text`; ValueError (a `GrammarCheckError` for our own
    checks) with the reason when the grammar is invalid."""
    import llguidance

    compiled = llguidance.LLMatcher.grammar_from_lark(to_lark(text))
    is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(compiled)
    if is_error:
        raise ValueError(f"llguidance rejects the grammar: {'; '.join(messages)}")
    return str(compiled)


def terminal_rules(grammar: Grammar) -> set[str]:
    """Rules other than `root` built only from characters and other such rules (so not recursive)."""
    terminals: set[str] = set()
    changed = True
    while changed:
        changed = False
        for rule, expr in grammar.rules.items():
            if (
                rule != "root"
                and rule not in terminals
                and all(name in terminals for name in references(expr))
            ):
                terminals.add(rule)
                changed = True
    return terminals


def _lark_rule_name(rule: str, terminal: bool) -> str:
    if rule == "root":
        return "start"
    name = lark_name(rule)
    return name.upper() if terminal else name


def _lark(expr: Expr, names: dict[str, str], top: bool = False) -> str:
    if isinstance(expr, Literal):
        return json.dumps(expr.text, ensure_ascii=False)
    if isinstance(expr, CharClass):
        return "/" + _regex_class(expr) + "/"
    if isinstance(expr, AnyChar):
        return "/[^\\n]/"
    if isinstance(expr, RuleRef):
        return names[expr.name]
    if isinstance(expr, Sequence):
        text = " ".join(_lark(item, names) for item in expr.items)
        return text if top or len(expr.items) == 1 else f"({text})"
    if isinstance(expr, Choice):
        text = " | ".join(_lark(option, names, top=True) for option in expr.options)
        return text if top else f"({text})"
    inner = _lark(expr.item, names)
    if isinstance(expr.item, Repeat):
        inner = f"({inner})"
    if (expr.min, expr.max) == (0, None):
        return inner + "*"
    if (expr.min, expr.max) == (1, None):
        return inner + "+"
    if (expr.min, expr.max) == (0, 1):
        return inner + "?"
    if expr.max is None:
        return f"({inner} ~ {expr.min} {inner}*)"
    if expr.max == expr.min:
        return f"({inner} ~ {expr.min})"
    return f"({inner} ~ {expr.min}..{expr.max})"


def _regex_class(expr: CharClass) -> str:
    parts = []
    for low, high in expr.ranges:
        parts.append(_regex_char(low) if low == high else f"{_regex_char(low)}-{_regex_char(high)}")
    return "[" + ("^" if expr.negated else "") + "".join(parts) + "]"


def _regex_char(char: str) -> str:
    if char in "\\]^-[/":
        return "\\" + char
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if code > 0x7E:
        return f"\\u{{{code:x}}}"
    return char
