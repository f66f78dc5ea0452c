"""Calls that do not fit the callee's signature: drop, rename or add arguments as the signature says.

    repairs(context) -> list[Candidate]
        For a `CallMismatch` finding, on the call to the callee nearest the finding's column:
        too many arguments -> drop the surplus positional arguments (the last first, then each other one);
        unexpected keyword -> rename it to the nearest unfilled parameter, or drop it;
        missing arguments -> pass in-scope values: a variable named like the parameter, then expressions of
        the parameter's type (`inhabit.expressions_of_type`), by keyword when the parameter is keyword-only
        or positional order cannot reach it. Only the argument list's text changes ("symbolic:call").

The signature comes from the repository index: a top-level function or a class's `__init__` for `f(...)`,
a method (of the receiver's class when the scope knows it) for `x.f(...)`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Literal

from maze.repair.context import RepairContext
from maze.repair.messages import CallMismatch
from maze.repair.symbolic.inhabit import expressions_of_type
from maze.repair.symbolic.names import closest, parse_python
from maze.suggestions import Candidate

SOURCE = "symbolic:call"
_LIMIT = 3

ParamKind = Literal["positional_only", "positional", "var_positional", "keyword_only", "var_keyword"]
Argument = ast.expr | ast.keyword


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    required: bool
    annotation: str | None


@dataclass(frozen=True)
class _Call:
    """The call being repaired, its callee's parameters (None when unknown), and where its parentheses are."""

    node: ast.Call
    params: list[Param] | None
    open_paren: int
    close_paren: int

    @property
    def items(self) -> list[Argument]:
        return sorted([*self.node.args, *self.node.keywords], key=lambda item: (item.lineno, item.col_offset))

    def positional(self, kinds: tuple[ParamKind, ...] = ("positional_only", "positional")) -> list[Param]:
        return [param for param in self.params or [] if param.kind in kinds]

    def has(self, kind: ParamKind) -> bool:
        return any(param.kind == kind for param in self.params or [])


def repairs(context: RepairContext) -> list[Candidate]:
    """Candidates that make the call fit its callee's signature, most plausible first."""
    fact = context.fact
    if not isinstance(fact, CallMismatch):
        return []
    call = _find_call(context, fact.callee)
    if call is None:
        return []
    fact = replace(fact, callee=fact.callee or _callee_name(call.node.func) or "the callee")
    if fact.kind == "too-many":
        found = _too_many(context, call, fact.callee)
    elif fact.kind == "unexpected-keyword":
        found = _unexpected(context, call, fact)
    else:
        found = _missing(context, call, fact)
    return [candidate for candidate in found if candidate is not None]


# Finding the call and its signature


def _find_call(context: RepairContext, callee: str) -> _Call | None:
    """The call to `callee` nearest the finding; with no callee named (pyright), the innermost call there."""
    tree = parse_python(context.text)
    line, column = context.problem.line, context.problem.column
    if tree is None or not 1 <= line <= len(context.lines):
        return None
    target = context.offset(line, column)
    spans = {
        node: context.span(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and node.lineno <= line <= (node.end_lineno or node.lineno)
    }
    if callee:
        named = [node for node in spans if _callee_name(node.func) == callee]
        node = min(
            named, key=lambda call: (abs(call.lineno - line), abs(spans[call][0] - target)), default=None
        )
    else:
        around = [node for node, (start, end) in spans.items() if start <= target < end]
        node = min(around, key=lambda call: spans[call][1] - spans[call][0], default=None)
    return _located(context, node, callee) if node else None


def _located(context: RepairContext, node: ast.Call, callee: str) -> _Call | None:
    open_paren = context.text.find("(", context.span(node.func)[1])
    close_paren = context.span(node)[1] - 1
    if open_paren < 0 or context.text[close_paren] != ")":
        return None
    name = callee or _callee_name(node.func)
    return _Call(node, _parameters(context, node, name) if name else None, open_paren, close_paren)


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _parameters(context: RepairContext, node: ast.Call, callee: str) -> list[Param] | None:
    for header, bound in _headers(context, node, callee):
        params = parse_signature(header)
        if params is None:
            continue
        if bound and params and params[0].name in ("self", "cls") and params[0].kind != "keyword_only":
            return params[1:]
        return params
    return None


def _headers(context: RepairContext, node: ast.Call, callee: str) -> Iterator[tuple[str, bool]]:
    """Signature headers the callee may have, the likeliest first, each with whether `self` is bound."""
    project = context.project
    if isinstance(node.func, ast.Attribute):
        yield from _method_headers(context, node.func, callee)
    for item in sorted(project.definitions(callee), key=lambda item: item.path != context.path):
        if item.definition.kind == "function":
            yield item.definition.signature, False
        elif item.definition.kind == "class":
            init = next((m for m in project.members(callee) if m.name == "__init__" and m.signature), None)
            if init is not None and init.signature is not None:
                yield init.signature, True


def _method_headers(context: RepairContext, func: ast.Attribute, callee: str) -> Iterator[tuple[str, bool]]:
    scope = context.scope(func.lineno)
    bound = scope.lookup(func.value.id) if scope and isinstance(func.value, ast.Name) else None
    owner = (bound.type or "").split("[")[0] if bound else ""
    methods = [
        definition
        for index in context.project.files.values()
        for definition in index.definitions
        if definition.name == callee and definition.kind == "method"
    ]
    methods.sort(key=lambda definition: definition.qualified_name != f"{owner}.{callee}")
    for definition in methods:
        yield definition.signature, True


def parse_signature(header: str) -> list[Param] | None:
    """The parameters of a one-line `def` header, or None when it does not parse."""
    text = header.strip().removeprefix("async ").rstrip(":").strip()
    module = parse_python(f"{text}:\n    pass\n")
    if module is None or not module.body or not isinstance(module.body[0], ast.FunctionDef):
        return None
    return _params(module.body[0].args)


def _params(arguments: ast.arguments) -> list[Param]:
    ordered = [*arguments.posonlyargs, *arguments.args]
    first_default = len(ordered) - len(arguments.defaults)
    found = [
        Param(
            arg.arg,
            "positional_only" if index < len(arguments.posonlyargs) else "positional",
            index < first_default,
            _annotation(arg),
        )
        for index, arg in enumerate(ordered)
    ]
    if arguments.vararg:
        found.append(Param(arguments.vararg.arg, "var_positional", False, None))
    for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        found.append(Param(arg.arg, "keyword_only", default is None, _annotation(arg)))
    if arguments.kwarg:
        found.append(Param(arguments.kwarg.arg, "var_keyword", False, None))
    return found


def _annotation(arg: ast.arg) -> str | None:
    return ast.unparse(arg.annotation) if arg.annotation else None


# Too many arguments


def _too_many(context: RepairContext, call: _Call, callee: str) -> list[Candidate | None]:
    args = call.node.args
    if not args or any(isinstance(arg, ast.Starred) for arg in args) or call.has("var_positional"):
        return []
    allowed = len(call.positional()) if call.params is not None else len(args) - 1
    surplus = max(1, len(args) - allowed)
    if surplus > len(args):
        return []
    drops = [args[len(args) - surplus :]]
    if surplus == 1:
        drops += [[arg] for arg in reversed(args[:-1])]
    return [_without(context, call, dropped, _dropped(dropped, callee)) for dropped in drops[: _LIMIT + 1]]


def _dropped(arguments: list[ast.expr], callee: str) -> str:
    texts = ", ".join(ast.unparse(argument) for argument in arguments)
    plural = "s" if len(arguments) > 1 else ""
    return f"Drop the extra argument{plural} `{texts}` from the call to `{callee}`"


def _without(
    context: RepairContext, call: _Call, dropped: list[ast.expr] | list[ast.keyword], description: str
) -> Candidate | None:
    """The call without the contiguous arguments `dropped`, and the commas that went with them."""
    items = call.items
    first, last = items.index(dropped[0]), items.index(dropped[-1])
    if first > 0:
        start, end = context.span(items[first - 1])[1], context.span(items[last])[1]
    elif last + 1 < len(items):
        start, end = context.span(items[first])[0], context.span(items[last + 1])[0]
    else:
        start, end = call.open_paren + 1, call.close_paren
    return context.replace_span(start, end, "", source=SOURCE, description=description)


# Unexpected keyword


def _unexpected(context: RepairContext, call: _Call, fact: CallMismatch) -> list[Candidate | None]:
    keyword = next((item for item in call.node.keywords if item.arg == fact.parameter), None)
    if keyword is None or keyword.arg is None:
        return []
    supplied = _supplied(call)
    open_names = [
        param.name
        for param in call.params or []
        if param.kind in ("positional", "keyword_only") and param.name not in supplied
    ]
    start = context.span(keyword)[0]
    renames = [
        context.replace_span(
            start,
            start + len(keyword.arg),
            name,
            source=SOURCE,
            description=f"Rename the keyword `{keyword.arg}` to `{name}`, a parameter of `{fact.callee}`",
        )
        for name in closest(keyword.arg, open_names, limit=_LIMIT)
    ]
    dropped = f"Drop `{ast.unparse(keyword)}`, which `{fact.callee}` does not take"
    return [*renames, _without(context, call, [keyword], dropped)]


def _supplied(call: _Call) -> set[str]:
    """Names of the parameters the call already fills, by position or by keyword."""
    by_position = {param.name for param in call.positional()[: len(call.node.args)]}
    return by_position | {keyword.arg for keyword in call.node.keywords if keyword.arg}


# Missing arguments


def _missing(context: RepairContext, call: _Call, fact: CallMismatch) -> list[Candidate | None]:
    if any(isinstance(arg, ast.Starred) for arg in call.node.args) or any(
        keyword.arg is None for keyword in call.node.keywords
    ):
        return []
    missing = _missing_params(call, fact)
    avoid = [ast.unparse(item) for item in call.node.args]
    choices = [_values(context, param, avoid) for param in missing]
    if not missing or not all(choices):
        return []
    found: list[Candidate | None] = []
    for round_ in range(_LIMIT):
        values = [options[min(round_, len(options) - 1)] for options in choices]
        found.append(_with_arguments(context, call, missing, values, fact.callee))
    return found


def _missing_params(call: _Call, fact: CallMismatch) -> list[Param]:
    if call.params is None:
        return [Param(fact.parameter, "positional", True, None)] if fact.parameter else []
    supplied = _supplied(call)
    missing = [param for param in call.params if param.required and param.name not in supplied]
    return sorted(missing, key=lambda param: param.name != fact.parameter) if fact.parameter else missing


def _values(context: RepairContext, param: Param, avoid: list[str]) -> list[str]:
    """In-scope values for `param`: a variable of its name, then expressions of its type."""
    line = context.problem.line
    scope = context.scope(line)
    same = scope.lookup(param.name) if scope else None
    named = [param.name] if same and same.kind in ("local", "parameter", "module") else []
    typed = (
        expressions_of_type(context, param.annotation, line=line, depth=2, limit=_LIMIT, avoid=avoid)
        if param.annotation
        else []
    )
    return list(dict.fromkeys(named + typed))


def _with_arguments(
    context: RepairContext, call: _Call, missing: list[Param], values: list[str], callee: str
) -> Candidate | None:
    """The call with `values` passed for `missing`, positionally while position reaches them."""
    positional = call.positional()
    count = len(call.node.args)
    by_position: list[str] = []
    by_keyword: list[str] = []
    for param, value in sorted(zip(missing, values, strict=True), key=lambda pair: _order(call, pair[0])):
        if not by_keyword and param.kind != "keyword_only" and param in positional[count : count + 1]:
            by_position.append(value)
            count += 1
        elif param.kind == "positional_only":
            return None
        else:
            by_keyword.append(f"{param.name}={value}")
    after = _insert_positional(context, call, by_position)
    after = _insert_keywords(context, call, by_keyword, after)
    passed = ", ".join(f"`{value}` as `{param.name}`" for param, value in zip(missing, values, strict=True))
    return context.rewrite(after, source=SOURCE, description=f"Pass {passed} to `{callee}`")


def _order(call: _Call, param: Param) -> int:
    return (call.params or []).index(param) if param in (call.params or []) else 0


def _insert_positional(context: RepairContext, call: _Call, values: list[str]) -> str:
    text = context.text
    if not values:
        return text
    added = ", ".join(values)
    if call.node.args:
        at = context.span(call.node.args[-1])[1]
        return text[:at] + ", " + added + text[at:]
    at = call.open_paren + 1
    return text[:at] + added + (", " if call.node.keywords else "") + text[at:]


def _insert_keywords(context: RepairContext, call: _Call, keywords: list[str], text: str) -> str:
    """`text` (already holding any positional insertion, which lies before this one) with `keywords` added."""
    if not keywords:
        return text
    added = ", ".join(keywords)
    shift = len(text) - len(context.text)
    items = call.items
    if items:
        at = context.span(items[-1])[1] + shift
        return text[:at] + ", " + added + text[at:]
    at = call.open_paren + 1 + shift
    return text[:at] + added + text[at:]
