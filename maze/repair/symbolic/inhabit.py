"""Type inhabitation: in-scope expressions of a wanted type, and repairs of values of the wrong type.

    expressions_of_type(context, type_text, *, line, depth=2, limit=5, avoid=()) -> list[str]
        Up to `limit` expressions that have type `type_text` at 1-based `line` of the context's file, best
        first. Level 0 is the names in scope with a known value type; level k adds, over the expressions of
        level k-1, the attributes and properties of repository classes (`self.size`), their methods and the
        functions and classes in scope called with every required argument filled from level k-1
        (`make_box()`, `Box(size)`), up to level `depth`. Ranked by level, a module or imported name counting
        one level more than a local or parameter, then by closeness and length. Type texts are compared
        normalised: `typing.` and module prefixes dropped, `List[int]` is `list[int]`, `Optional[X]` is
        `X | None`; a value fits a union holding its type, and `int` fits `float`. Names bound on `line`
        itself (the assignment being repaired), calls of the enclosing functions (recursion) and the texts in
        `avoid` are never offered; `object` and `Any` are too wide to answer, so they get []. Never raises.
    repairs(context) -> list[Candidate]
        For a `TypeMismatch` (mypy's or pyright's arg-type, assignment, return-value): replace the offending
        argument, assigned value or returned value with an in-scope expression of the expected type, then
        the few conversions that are type-correct whatever the value (`str(x)` where a `str` is expected,
        `int(x)` or `float(x)` for a `str` where a number is). Source "symbolic:inhabit".
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property

from maze.indexing.scope import Member, Scope, ScopedName
from maze.repair.context import RepairContext
from maze.repair.messages import TypeMismatch
from maze.suggestions import Candidate

SOURCE = "symbolic:inhabit"

_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
    "Text": "str",
    "DefaultDict": "defaultdict",
}
_WIDER = {"float": frozenset({"int"}), "complex": frozenset({"int", "float"})}
_TOO_WIDE = frozenset({"object", "Any"})
_KIND_RANK = {"local": 0, "parameter": 0, "type_parameter": 3, "class": 1, "module": 2, "import": 2}
_VALUE_MEMBERS = frozenset({"field", "attribute", "property", "constant", "variable"})
_MAX_PER_LEVEL = 200


@dataclass(frozen=True)
class Typed:
    """An expression, its type text, and how far it is from the line (lower is closer)."""

    text: str
    type: str
    rank: int


# Type texts


def normalise(type_text: str) -> frozenset[str]:
    """The members of a type text's union, each in canonical spelling: `Optional[List[int]]` ->
    {`list[int]`, `None`}."""
    return _normalised(type_text.strip().strip("\"'"))


@cache
def _normalised(text: str) -> frozenset[str]:
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return frozenset({" ".join(text.split())})
    return frozenset(_union(node))


def _union(node: ast.expr) -> list[str]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union(node.left) + _union(node.right)
    if isinstance(node, ast.Subscript):
        base = _single(node.value)
        if base == "Optional":
            return [*_union(node.slice), "None"]
        if base == "Union":
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return [item for part in parts for item in _union(part)]
    return [_single(node)]


def _single(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return _ALIASES.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return _ALIASES.get(node.attr, node.attr)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return " | ".join(sorted(normalise(node.value)))
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    if isinstance(node, ast.Subscript):
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return f"{_single(node.value)}[{', '.join(' | '.join(sorted(_union(part))) for part in parts)}]"
    return ast.unparse(node)


def fits(value_type: str, expected: str) -> bool:
    """Whether a value of type `value_type` may stand where `expected` is wanted (by their texts)."""
    have, want = normalise(value_type), normalise(expected)
    return all(item in want or _widens(item, want) for item in have)


def _widens(item: str, want: frozenset[str]) -> bool:
    return any(item in _WIDER.get(wanted, frozenset()) for wanted in want)


def _class_name(type_text: str) -> str | None:
    """The repository class a type text names, if it is one plain name (`pkg.Box` -> `Box`)."""
    members = normalise(type_text)
    if len(members) != 1:
        return None
    (name,) = members
    return name if name.isidentifier() and name not in {"None", "int", "str", "float", "bool"} else None


# Signatures


@dataclass(frozen=True)
class Producer:
    """Something callable in scope: the call's head, its required arguments' types, its result's type."""

    head: str
    required: tuple[str | None, ...]
    returns: str


@cache
def _signature(header: str) -> tuple[tuple[str | None, ...], str | None] | None:
    """(required parameters' annotations, return annotation) of a one-line `def` header, or None."""
    text = header.strip().rstrip(":")
    if text.startswith("async ") or not text.startswith("def "):
        return None
    try:
        parsed = ast.parse(text + ":\n    pass\n")
    except (SyntaxError, ValueError, RecursionError):
        return None
    function = parsed.body[0] if parsed.body else None
    if not isinstance(function, ast.FunctionDef):
        return None
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    required = positional[: len(positional) - len(args.defaults)]
    if any(default is None for default in args.kw_defaults):
        return None  # a required keyword-only argument would need its name; not worth it here
    types = tuple(ast.unparse(arg.annotation) if arg.annotation else None for arg in required)
    returns = ast.unparse(function.returns) if function.returns else None
    return types, returns


def _function(head: str, header: str | None, *, method: bool) -> Producer | None:
    read = _signature(header) if header else None
    if read is None:
        return None
    required, returns = read
    if returns is None or returns == "None":
        return None
    if method:
        if not required:
            return None
        required = required[1:]
    return Producer(head, required, returns)


# Search


@dataclass
class _Search:
    context: RepairContext
    line: int

    @cached_property
    def _scope(self) -> Scope | None:
        return self.context.scope(self.line)

    def names(self) -> tuple[ScopedName, ...]:
        return self._scope.names if self._scope else ()

    @cached_property
    def around(self) -> frozenset[str]:
        """Simple names of the definitions around the line: calling them would recurse."""
        enclosing = self._scope.enclosing if self._scope else ()
        return frozenset(name.rsplit(".", 1)[-1] for name in enclosing)

    def members(self, class_name: str) -> tuple[Member, ...]:
        return _members(self.context, class_name)

    def values(self) -> list[Typed]:
        """Level 0: names in scope with a value type, not bound on the line itself."""
        found = []
        for item in self.names():
            if item.kind == "builtin" or item.type is None or _is_definition(item.type):
                continue
            if item.kind == "local" and item.line is not None and item.line >= self.line:
                continue
            found.append(Typed(item.name, item.type, _KIND_RANK.get(item.kind, 3)))
        return found

    def callables(self) -> list[tuple[Producer, int]]:
        """Functions and classes in scope that can be called for a value."""
        found = []
        for item in self.names():
            if item.kind == "builtin" or item.name in self.around:
                continue
            rank = _KIND_RANK.get(item.kind, 3)
            for made in self._callable(item):
                found.append((made, rank))
        return found

    def _callable(self, item: ScopedName) -> Iterator[Producer]:
        header = item.type
        if header and header.startswith("class "):
            init = next((m for m in self.members(item.name) if m.name == "__init__"), None)
            if init is not None and init.signature:
                made = _function(item.name, _with_return(init.signature, item.name), method=True)
                if made is not None:
                    yield made
            return
        if header is None and item.kind == "import":
            header = next(
                (
                    located.definition.signature
                    for located in self.context.project.definitions(item.name)
                    if located.definition.kind == "function"
                ),
                None,
            )
        if header and _is_definition(header):
            made = _function(item.name, header, method=False)
            if made is not None:
                yield made

    def level(self, below: list[Typed], callables: list[tuple[Producer, int]]) -> list[Typed]:
        """Attributes, method calls and calls built over the expressions of the level below."""
        found: list[Typed] = []
        for value in below:
            found.extend(self._member_values(value))
        for made, rank in callables:
            found.extend(self._calls(made, rank, below))
        return found[:_MAX_PER_LEVEL]

    def _member_values(self, value: Typed) -> Iterator[Typed]:
        owner = _class_name(value.type)
        if owner is None:
            return
        for member in self.members(owner):
            if member.name.startswith("__"):
                continue
            if member.kind in _VALUE_MEMBERS and member.type:
                yield Typed(f"{value.text}.{member.name}", member.type, value.rank)
            elif member.kind == "method" and not (value.text == "self" and member.name in self.around):
                made = _function(f"{value.text}.{member.name}", member.signature, method=True)
                if made is not None and not made.required:
                    yield Typed(f"{made.head}()", made.returns, value.rank)

    def _calls(self, made: Producer, rank: int, below: list[Typed]) -> Iterator[Typed]:
        arguments = []
        for wanted in made.required:
            if wanted is None:
                return
            chosen = next((value for value in below if fits(value.type, wanted)), None)
            if chosen is None:
                return
            arguments.append(chosen.text)
        yield Typed(f"{made.head}({', '.join(arguments)})", made.returns, rank)


def _members(context: RepairContext, class_name: str) -> tuple[Member, ...]:
    try:
        return context.project.members(class_name)
    except (ValueError, OSError):
        return ()


def _is_definition(type_text: str) -> bool:
    return type_text.startswith(("def ", "async def ", "class "))


def _with_return(header: str, class_name: str) -> str:
    """`def __init__(self, size: int) -> None` as a header returning the class."""
    head, _, _ = header.partition(" -> ")
    return f"{head.rstrip().rstrip(':')} -> {class_name}"


def _sort_key(item: Typed, level: int) -> tuple[int, int, int, str]:
    """Fewer steps first, a module or imported name counting as one more step than a local one."""
    return (level + (item.rank >= _KIND_RANK["module"]), item.rank, len(item.text), item.text)


def expressions_of_type(
    context: RepairContext,
    type_text: str,
    *,
    line: int,
    depth: int = 2,
    limit: int = 5,
    avoid: Iterable[str] = (),
) -> list[str]:
    """In-scope expressions of type `type_text` at `line`, best first (see the module's docstring)."""
    if normalise(type_text) & _TOO_WIDE or limit <= 0:
        return []
    try:
        return _inhabit(context, type_text, line=line, depth=depth, limit=limit, avoid=set(avoid))
    except (ValueError, RecursionError, IndexError):
        return []


def _inhabit(
    context: RepairContext, type_text: str, *, line: int, depth: int, limit: int, avoid: set[str]
) -> list[str]:
    search = _Search(context, line)
    level = search.values()
    callables = search.callables() if depth > 0 else []
    ranked: list[tuple[tuple[int, int, int, str], str]] = []
    seen = {" ".join(text.split()) for text in avoid}
    for number in range(depth + 1):
        if number:
            level = search.level(level, callables)
        for item in level:
            if item.text not in seen and fits(item.type, type_text):
                seen.add(item.text)
                ranked.append((_sort_key(item, number), item.text))
    return [text for _, text in sorted(ranked)[:limit]]


# Repairs


def repairs(context: RepairContext) -> list[Candidate]:
    """Replace a value of the wrong type with an in-scope one of the expected type; [] when not applicable."""
    fact = context.fact
    if not isinstance(fact, TypeMismatch):
        return []
    try:
        span = offending_span(context, fact)
    except (ValueError, RecursionError, IndexError):
        return []
    if span is None:
        return []
    start, end = span
    replaced = " ".join(context.text[start:end].split())
    found = []
    for text in expressions_of_type(context, fact.expected, line=context.problem.line, avoid=[replaced]):
        description = f"{_verb(context)} `{text}`, the `{fact.expected}` in scope"
        found.append(context.replace_span(start, end, text, source=SOURCE, description=description))
    for text in _conversions(fact, context.text[start:end]):
        description = f"Convert the value with `{text}`"
        found.append(context.replace_span(start, end, text, source=SOURCE, description=description))
    return [candidate for candidate in found if candidate is not None]


def _verb(context: RepairContext) -> str:
    rule = context.problem.rule
    if rule == "return-value" or context.problem.message.startswith("Incompatible return"):
        return "Return"
    if rule == "assignment" or "assignment" in context.problem.message:
        return "Assign"
    return "Pass"


def _conversions(fact: TypeMismatch, replaced: str) -> list[str]:
    expected = normalise(fact.expected)
    got = normalise(fact.got)
    value = replaced.strip()
    if "\n" in value or not value:
        return []
    if expected == {"str"}:
        return [f"str({value})"]
    if got == {"str"} and expected in ({"int"}, {"float"}):
        (wanted,) = expected
        return [f"{wanted}({value})"]
    return []


def offending_span(context: RepairContext, fact: TypeMismatch) -> tuple[int, int] | None:
    """Offsets into the text of the value the finding is about: its own column span when that holds one
    expression, else the argument, assigned value or returned value found on its line."""
    problem = context.problem
    if (problem.end_line, problem.end_column) > (problem.line, problem.column):
        start = context.offset(problem.line, problem.column)
        end = context.offset(problem.end_line, problem.end_column)
        if 0 <= start < end <= len(context.text) and _is_expression(context.text[start:end]):
            return start, end
    node = _value_node(context, fact)
    if node is None or node.end_lineno is None or node.end_col_offset is None:
        return None
    return _node_offsets(context, node)


def _is_expression(text: str) -> bool:
    try:
        ast.parse(f"({text}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True


def _value_node(context: RepairContext, fact: TypeMismatch) -> ast.expr | None:
    try:
        tree = ast.parse(context.text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    line = context.problem.line
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) != line and not isinstance(node, ast.Call):
            continue
        found = _value_of(node, fact, line)
        if found is not None:
            return found
    return None


def _value_of(node: ast.AST, fact: TypeMismatch, line: int) -> ast.expr | None:
    if fact.callee is not None:
        if not isinstance(node, ast.Call) or _callee_name(node.func) != fact.callee:
            return None
        if fact.parameter is not None:
            keyword = next((k for k in node.keywords if k.arg == fact.parameter), None)
            return keyword.value if keyword is not None and keyword.value.lineno <= line else None
        if fact.argument is not None and 0 < fact.argument <= len(node.args):
            argument = node.args[fact.argument - 1]
            return argument if argument.lineno <= line <= (argument.end_lineno or line) else None
        return None
    if isinstance(node, ast.Return | ast.Assign | ast.AnnAssign) and node.value is not None:
        return node.value
    return None


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _node_offsets(context: RepairContext, node: ast.expr) -> tuple[int, int] | None:
    start, end = context.span(node)
    return (start, end) if start < end else None
