"""A grammar for one request, with identifier uses narrowed to the names in scope at the repair.

    scoped(name, visible_names, *, indent=None, allow_new_locals=True) -> str

`name` is a grammar from `maze.constraints.library` (`python-block`, `typescript-statement`, ...);
`visible_names` are what `maze.indexing.scope.scope_at(...).names` holds there (names that are not
identifiers, or are keywords, are dropped). In the result, `name-use` (an identifier read as a variable)
is exactly one of those names, and `name-bind` (assignment, for, with and except targets, comprehension
and lambda variables, parameters) is any identifier, or, with `allow_new_locals=False`, a visible one.
Attribute, keyword-argument and import names stay free. A name bound by the fragment itself cannot be
read in it unless it is visible already: a grammar cannot follow bindings, so a comprehension or
lambda reads only visible names too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from maze.constraints.check import check
from maze.constraints.gbnf import Choice, Expr, Grammar, Literal, RuleRef, render
from maze.constraints.identifiers import LANGUAGE_KEYWORDS
from maze.constraints.library import language_of, load

__all__ = ["scoped", "usable_names"]

_IDENTIFIER = {
    "python": re.compile(r"[A-Za-z_][A-Za-z0-9_]*"),
    "typescript": re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*"),
}


def usable_names(language: str, visible_names: Iterable[str]) -> list[str]:
    """The names a grammar of `language` can spell: ASCII identifiers, no keywords, each once, in order."""
    keywords = set(LANGUAGE_KEYWORDS[language][0])
    pattern = _IDENTIFIER[language]
    return [name for name in dict.fromkeys(visible_names) if pattern.fullmatch(name) and name not in keywords]


def scoped(
    name: str, visible_names: Iterable[str], *, indent: str | None = None, allow_new_locals: bool = True
) -> str:
    """GBNF text of grammar `name` whose identifier uses are `visible_names` only."""
    language = language_of(name)
    if language is None:
        raise ValueError(f"grammar `{name}` has no identifiers to narrow")
    grammar = load(name, indent=indent)
    names = usable_names(language, visible_names)
    if not names:
        raise ValueError(f"no usable visible names for `{name}`; the code could not name anything")
    rules: dict[str, Expr] = dict(grammar.rules)
    rules["name-use"] = _one_of(names)
    if not allow_new_locals and "name-bind" in rules:
        rules["name-bind"] = RuleRef("name-use")
    narrowed = Grammar(rules, (), grammar.lines)
    check(narrowed, f"{name}.gbnf (scoped)")
    return render(narrowed)


def _one_of(names: list[str]) -> Expr:
    options = tuple(Literal(item) for item in sorted(names))
    return options[0] if len(options) == 1 else Choice(options)
