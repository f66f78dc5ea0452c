"""The grammars shipped in `grammars/`, composed and checked.

    names() -> list[str]
        The grammars a request can use (files with a `root` rule), e.g. `python-block`.
    load(name, *, indent=None) -> Grammar
        The file's rules plus those of the files it names in `# uses:` lines (transitively; their
        `root` rules are dropped and rules nothing reaches are pruned), plus the generated keyword-free
        `name` rule of its language (from the file name's prefix: `python-`, `typescript-`). `indent` sets
        `indent0`, the indentation of block grammars (ValueError for a grammar without one, or for
        anything but spaces). The result passes `check.check`, else `GrammarCheckError`.
    text(name, *, indent=None) -> str
        `load`'s grammar as GBNF text, what an engine or a server receives.
    compose_edit(fragment_name, *, indent="") -> Grammar; compose_edit_text(...) -> str
        The `edit` grammar whose `fragment` is full lines of `fragment_name` at `indent`.

The directory is `maze/constraints/grammars` in an installed wheel and `<repository>/grammars` in a
source checkout. Files are read and parsed once per process.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from maze.constraints.check import check, references
from maze.constraints.gbnf import Expr, Grammar, Literal, RuleRef, Sequence, parse, render
from maze.constraints.identifiers import LANGUAGE_KEYWORDS, language_identifier_rules

__all__ = [
    "LINE_GRAMMARS",
    "compose_edit",
    "compose_edit_text",
    "grammars_dir",
    "language_of",
    "load",
    "names",
    "text",
]

# Grammars whose output is whole lines (indentation and newline included); others are one fragment.
LINE_GRAMMARS = frozenset({"python-block", "python-function-body"})
_PACKAGED = Path(__file__).resolve().parent / "grammars"
_CHECKOUT = Path(__file__).resolve().parents[2] / "grammars"


def grammars_dir() -> Path:
    """Where the `.gbnf` files are: inside the package when installed, else the checkout's `grammars/`."""
    for candidate in (_PACKAGED, _CHECKOUT):
        if candidate.is_dir() and any(candidate.glob("*.gbnf")):
            return candidate
    raise FileNotFoundError(f"no grammars directory with .gbnf files at {_PACKAGED} or {_CHECKOUT}")


def names() -> list[str]:
    """Every grammar with a `root` rule, sorted."""
    return list(_names())


@cache
def _names() -> tuple[str, ...]:
    return tuple(
        sorted(path.stem for path in grammars_dir().glob("*.gbnf") if "root" in _file(path.name).rules)
    )


def language_of(name: str) -> str | None:
    """ "python" for `python-block`, "typescript" for `typescript-statement`; None for `edit`."""
    prefix = name.split("-", 1)[0]
    return prefix if prefix in LANGUAGE_KEYWORDS else None


def load(name: str, *, indent: str | None = None) -> Grammar:
    """The composed, checked grammar `name`; `indent` sets a block grammar's indentation."""
    cached = _load(name, indent)
    return Grammar(dict(cached.rules), cached.uses, dict(cached.lines))


def text(name: str, *, indent: str | None = None) -> str:
    """GBNF text of `load(name, indent=indent)`."""
    return render(load(name, indent=indent))


def compose_edit(fragment_name: str, *, indent: str = "") -> Grammar:
    """The edit grammar, its `fragment` being whole lines of `fragment_name` indented by `indent`.

    A line grammar (`python-block`, `python-function-body`) takes `indent` as its block indentation; any
    other grammar gives one fragment, written after `indent` and followed by a newline.
    """
    edit = _file("edit.gbnf")
    if fragment_name in LINE_GRAMMARS:
        fragment = load(fragment_name, indent=indent)
        body: Expr = RuleRef("fragment-root")
    else:
        fragment = load(fragment_name)
        items: tuple[Expr, ...] = (RuleRef("fragment-root"), Literal("\n"))
        body = Sequence((Literal(indent), *items) if indent else items)
    rules = {rule: expr for rule, expr in edit.rules.items() if rule != "fragment"}
    rules["fragment"] = body
    for rule, expr in fragment.rules.items():
        renamed = "fragment-root" if rule == "root" else rule
        if renamed in rules:
            raise ValueError(
                f"edit.gbnf and {fragment_name}.gbnf both define `{renamed}`; rename one of them"
            )
        rules[renamed] = expr
    grammar = _pruned(Grammar(rules), keep=set())
    check(grammar, f"edit.gbnf + {fragment_name}.gbnf")
    return grammar


def compose_edit_text(fragment_name: str, *, indent: str = "") -> str:
    """GBNF text of `compose_edit(fragment_name, indent=indent)`."""
    return render(compose_edit(fragment_name, indent=indent))


@cache
def _load(name: str, indent: str | None) -> Grammar:
    path = grammars_dir() / f"{name}.gbnf"
    if not path.is_file():
        raise ValueError(f"no grammar `{name}`; the grammars are {', '.join(names())}")
    own = _file(path.name)
    rules: dict[str, Expr] = dict(own.rules)
    for included in _included(path.name):
        for rule, expr in _file(included).rules.items():
            if rule == "root":
                continue
            if rule in rules:
                raise ValueError(f"{included} and {path.name} (or a file it uses) both define `{rule}`")
            rules[rule] = expr
    language = language_of(name)
    if language is not None and "name" not in rules:
        rules.update(language_identifier_rules(language))
    if indent is not None:
        _set_indent(rules, name, indent)
    grammar = _pruned(Grammar(rules, (), own.lines), keep=set(own.rules))
    check(grammar, path.name)
    return grammar


def _set_indent(rules: dict[str, Expr], name: str, indent: str) -> None:
    if "indent0" not in rules:
        raise ValueError(f"grammar `{name}` has no indentation to set (no `indent0` rule)")
    if indent.strip(" "):
        raise ValueError(f"indentation {indent!r} must be spaces only")
    rules["indent0"] = Literal(indent)


def _pruned(grammar: Grammar, keep: set[str]) -> Grammar:
    """`grammar` without the rules `root` never reaches, except those in `keep` (left for `check`)."""
    reached = {"root"}
    pending = ["root"]
    while pending:
        for rule in references(grammar.rules.get(pending.pop(), Literal(""))):
            if rule not in reached:
                reached.add(rule)
                pending.append(rule)
    rules = {rule: expr for rule, expr in grammar.rules.items() if rule in reached or rule in keep}
    return Grammar(rules, grammar.uses, grammar.lines)


def _included(filename: str) -> list[str]:
    """Files named by `# uses:` lines, depth first, each once, without `filename` itself."""
    order: list[str] = []

    def visit(current: str, trail: tuple[str, ...]) -> None:
        for used in _file(current).uses:
            if used in trail:
                raise ValueError(f"{' -> '.join((*trail, used))}: `# uses:` lines form a cycle")
            if used not in order and used != filename:
                order.append(used)
                visit(used, (*trail, used))

    visit(filename, (filename,))
    return order


@cache
def _file(filename: str) -> Grammar:
    path = grammars_dir() / filename
    if not path.is_file():
        raise ValueError(f"`# uses: {filename}`: no such grammar file in {grammars_dir()}")
    return parse(path.read_text(encoding="utf-8"), filename)
