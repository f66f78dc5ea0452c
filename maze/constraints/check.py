"""Problems in a grammar that decoding engines would fail on, or silently get wrong.

problems(grammar, source) -> list[GrammarProblem]
    No `root` rule; references to undefined rules; rules unreachable from `root`; the `{0,n}`
    repetition (transformers-cfg reads it as `{1,n}`); left recursion (llama.cpp and transformers-cfg
    loop forever on it); two rule names that llguidance's GBNF reader turns into the same name.
check(grammar, source)
    Raises `GrammarCheckError` listing every problem, each naming the file, the rule, what is wrong and
    what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from maze.constraints.gbnf import Choice, Expr, Grammar, Literal, Repeat, RuleRef, Sequence, render_expr

__all__ = ["GrammarCheckError", "GrammarProblem", "check", "lark_name", "problems", "references"]


@dataclass(frozen=True)
class GrammarProblem:
    source: str
    rule: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.source}: rule `{self.rule}`: {self.problem}; {self.fix}"


class GrammarCheckError(ValueError):
    """A grammar with problems; `problems` lists them."""

    def __init__(self, found: list[GrammarProblem]) -> None:
        super().__init__("grammar check failed:\n" + "\n".join(f"  {item}" for item in found))
        self.problems = found


def check(grammar: Grammar, source: str) -> None:
    """Raise `GrammarCheckError` when `grammar` has any problem."""
    found = problems(grammar, source)
    if found:
        raise GrammarCheckError(found)


def problems(grammar: Grammar, source: str) -> list[GrammarProblem]:
    """Every problem in `grammar`, in rule order; `source` names the file in the messages."""
    found: list[GrammarProblem] = []
    if "root" not in grammar.rules:
        found.append(
            GrammarProblem(source, "root", "is not defined", "add `root ::= ...`, where matching starts")
        )
    found += _undefined(grammar, source)
    if "root" in grammar.rules:
        found += _unreachable(grammar, source)
    found += _optional_braces(grammar, source)
    found += _left_recursion(grammar, source)
    found += _colliding_names(grammar, source)
    return found


def references(expr: Expr) -> Iterator[str]:
    """Names of the rules `expr` refers to, in order, with repeats."""
    if isinstance(expr, RuleRef):
        yield expr.name
    elif isinstance(expr, Sequence):
        for item in expr.items:
            yield from references(item)
    elif isinstance(expr, Choice):
        for option in expr.options:
            yield from references(option)
    elif isinstance(expr, Repeat):
        yield from references(expr.item)


def lark_name(name: str) -> str:
    """The name llguidance's GBNF reader gives a rule (lowercase, `_` for `-`, camelCase split)."""
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name.replace("-", "_")).lower()


def _undefined(grammar: Grammar, source: str) -> list[GrammarProblem]:
    found = []
    for rule, expr in grammar.rules.items():
        for name in dict.fromkeys(references(expr)):
            if name not in grammar.rules:
                found.append(
                    GrammarProblem(
                        source,
                        rule,
                        f"refers to `{name}`, which is not defined",
                        f"define `{name} ::= ...`, or add `# uses: <file>.gbnf` for the file defining it",
                    )
                )
    return found


def _unreachable(grammar: Grammar, source: str) -> list[GrammarProblem]:
    seen = {"root"}
    pending = ["root"]
    while pending:
        for name in references(grammar.rules[pending.pop()]):
            if name in grammar.rules and name not in seen:
                seen.add(name)
                pending.append(name)
    return [
        GrammarProblem(
            source, rule, "is never reached from `root`", "use it from a reachable rule or delete it"
        )
        for rule in grammar.rules
        if rule not in seen
    ]


def _optional_braces(grammar: Grammar, source: str) -> list[GrammarProblem]:
    found = []
    for rule, expr in grammar.rules.items():
        for repeat in _repeats(expr):
            if repeat.braces and repeat.min == 0 and repeat.max is not None:
                found.append(
                    GrammarProblem(
                        source,
                        rule,
                        f"uses `{render_expr(repeat)}`, which transformers-cfg reads as at least one",
                        f"write `{render_expr(_nested_optional(repeat.item, repeat.max))}` instead",
                    )
                )
    return found


def _repeats(expr: Expr) -> Iterator[Repeat]:
    if isinstance(expr, Repeat):
        yield expr
        yield from _repeats(expr.item)
    elif isinstance(expr, Sequence):
        for item in expr.items:
            yield from _repeats(item)
    elif isinstance(expr, Choice):
        for option in expr.options:
            yield from _repeats(option)


def _nested_optional(item: Expr, count: int) -> Expr:
    """`( x ( x )? )?` for up to `count` copies of `x`."""
    result: Expr = Repeat(item, 0, 1)
    for _ in range(count - 1):
        result = Repeat(Sequence((item, result)), 0, 1)
    return result


def _nullable(grammar: Grammar) -> set[str]:
    nullable: set[str] = set()
    changed = True
    while changed:
        changed = False
        for rule, expr in grammar.rules.items():
            if rule not in nullable and _expr_nullable(expr, nullable):
                nullable.add(rule)
                changed = True
    return nullable


def _expr_nullable(expr: Expr, nullable: set[str]) -> bool:
    if isinstance(expr, Literal):
        return expr.text == ""
    if isinstance(expr, RuleRef):
        return expr.name in nullable
    if isinstance(expr, Sequence):
        return all(_expr_nullable(item, nullable) for item in expr.items)
    if isinstance(expr, Choice):
        return any(_expr_nullable(option, nullable) for option in expr.options)
    if isinstance(expr, Repeat):
        return expr.min == 0 or _expr_nullable(expr.item, nullable)
    return False


def _left_corners(expr: Expr, nullable: set[str]) -> Iterator[str]:
    """Rules that can start `expr` (before it has consumed any character)."""
    if isinstance(expr, RuleRef):
        yield expr.name
    elif isinstance(expr, Sequence):
        for item in expr.items:
            yield from _left_corners(item, nullable)
            if not _expr_nullable(item, nullable):
                return
    elif isinstance(expr, Choice):
        for option in expr.options:
            yield from _left_corners(option, nullable)
    elif isinstance(expr, Repeat):
        yield from _left_corners(expr.item, nullable)


def _left_recursion(grammar: Grammar, source: str) -> list[GrammarProblem]:
    nullable = _nullable(grammar)
    corners = {
        rule: set(_left_corners(expr, nullable)) & grammar.rules.keys()
        for rule, expr in grammar.rules.items()
    }
    found = []
    for rule in grammar.rules:
        seen: set[str] = set()
        pending = list(corners[rule])
        while pending:
            name = pending.pop()
            if name == rule:
                found.append(
                    GrammarProblem(
                        source,
                        rule,
                        "is left-recursive (it can start with itself)",
                        f"rewrite `{rule} ::= {rule} x | y` as `{rule} ::= y x*`",
                    )
                )
                break
            if name not in seen:
                seen.add(name)
                pending.extend(corners[name])
    return found


def _colliding_names(grammar: Grammar, source: str) -> list[GrammarProblem]:
    first: dict[str, str] = {}
    found = []
    for rule in grammar.rules:
        key = lark_name(rule)
        if key == "start":
            found.append(
                GrammarProblem(source, rule, "becomes `start` in Lark, which `root` turns into", "rename it")
            )
        if key in first:
            found.append(
                GrammarProblem(
                    source,
                    rule,
                    f"becomes `{key}` in Lark, as `{first[key]}` does",
                    "rename one of them",
                )
            )
        first.setdefault(key, rule)
    return found
