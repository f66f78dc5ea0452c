"""What a finding says, as facts a repair can act on, read from the message of ruff, mypy or pyright.

    fact_of(problem) -> Fact | None

`UndefinedName`: a name is used but nothing binds it. `MissingAttribute`: an attribute or module member
that the receiver's type does not have (`owner` is the type or module as the tool names it; "" when the
tool does not name the module, as mypy's `Module has no attribute "x"`).
`CallMismatch`: a call that does not fit the callee's signature (`kind` says how). `TypeMismatch`: a
value of the wrong type where the tool knows the expected one. `SyntaxFault`: the file does not parse.
None: the message is not one a symbolic repair understands (other repairs may still try).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from maze.analysis import Problem

CallKind = Literal["too-many", "too-few", "missing-argument", "unexpected-keyword"]


@dataclass(frozen=True)
class UndefinedName:
    name: str


@dataclass(frozen=True)
class MissingAttribute:
    owner: str
    attribute: str
    is_module: bool = False
    hint: str | None = None
    """The tool's own guess (mypy: `maybe "x"?`), when it offers one."""


@dataclass(frozen=True)
class CallMismatch:
    callee: str
    kind: CallKind
    parameter: str | None = None
    """The missing parameter, or the unexpected keyword."""


@dataclass(frozen=True)
class TypeMismatch:
    expected: str
    got: str
    callee: str | None = None
    argument: int | None = None
    """1-based position of the argument, for an argument of a call."""
    parameter: str | None = None


@dataclass(frozen=True)
class SyntaxFault:
    detail: str


Fact = UndefinedName | MissingAttribute | CallMismatch | TypeMismatch | SyntaxFault

_Q = r'"(?P<{}>[^"]+)"'


def _q(group: str) -> str:
    return _Q.format(group)


_UNDEFINED = (
    re.compile(r"^Undefined name `(?P<name>[^`]+)`"),
    re.compile(r"^Name " + _q("name") + r" is not defined"),
    re.compile(r"^" + _q("name") + r" is not defined"),
    re.compile(r"^Name " + _q("name") + r" is used before definition"),
)
_ATTRIBUTE = (
    re.compile(r"^Module (?:" + _q("owner") + r" )?has no attribute " + _q("attribute")),
    re.compile(r"^(?:Item " + _q("item") + r" of )?" + _q("owner") + r" has no attribute " + _q("attribute")),
    re.compile(r'^Cannot access attribute "(?P<attribute>[^"]+)" for class "(?P<owner>[^"]+)"'),
    re.compile(r'^"(?P<attribute>[^"]+)" is not a known attribute of module "(?P<owner>[^"]+)"'),
)
_HINT = re.compile(r'maybe "(?P<hint>[^"]+)"')
_CALLS: tuple[tuple[re.Pattern[str], CallKind], ...] = (
    (re.compile(r"^Too many (?:positional )?arguments for " + _q("callee")), "too-many"),
    (re.compile(r"^Too few arguments for " + _q("callee")), "too-few"),
    (
        re.compile(r"^Missing positional arguments? " + _q("parameter") + r".*? in call to " + _q("callee")),
        "missing-argument",
    ),
    (re.compile(r"^Missing named argument " + _q("parameter") + r" for " + _q("callee")), "missing-argument"),
    (
        re.compile(r"^Unexpected keyword argument " + _q("parameter") + r" for " + _q("callee")),
        "unexpected-keyword",
    ),
    (re.compile(r"^Expected \d+ positional arguments?"), "too-many"),
    (re.compile(r"^No parameter named " + _q("parameter")), "unexpected-keyword"),
    (re.compile(r"^Arguments? missing for parameters? " + _q("parameter")), "missing-argument"),
)
_ARGUMENT_TYPE = re.compile(
    r"^Argument (?P<argument>\d+) to "
    + _q("callee")
    + r" has incompatible type "
    + _q("got")
    + r"; expected "
    + _q("expected")
)
_ARGUMENT_NAMED = re.compile(
    r'^Argument "(?P<parameter>[^"]+)" to '
    + _q("callee")
    + r" has incompatible type "
    + _q("got")
    + r"; expected "
    + _q("expected")
)
_ASSIGNED = re.compile(
    r"^Incompatible (?:types in assignment|return value type|default for argument [^(]*)"
    r"\s*\((?:expression has type|got) "
    + _q("got")
    + r"(?:, variable has type|, expected|, argument has type) "
    + _q("expected")
)
_SYNTAX_TOOLS = frozenset({"syntax", "tree-sitter", "python"})


def _callee(raw: str) -> str:
    """`"f" of "C"` and `"C.f"` both name `f`; mypy quotes the function's simple or dotted name."""
    return raw.rsplit(".", 1)[-1]


def fact_of(problem: Problem) -> Fact | None:
    """The fact `problem`'s message states, or None when no repair here understands it."""
    message = problem.message
    if problem.tool in _SYNTAX_TOOLS or problem.rule in {"syntax", "syntax-error"}:
        return SyntaxFault(message)
    for pattern in _UNDEFINED:
        if match := pattern.search(message):
            return UndefinedName(match["name"])
    for index, pattern in enumerate(_ATTRIBUTE):
        if match := pattern.search(message):
            hint = _HINT.search(message)
            return MissingAttribute(
                match["owner"] or "",
                match["attribute"],
                is_module=index in (0, 3),
                hint=hint["hint"] if hint else None,
            )
    for pattern, kind in _CALLS:
        if match := pattern.search(message):
            groups = match.groupdict()
            callee = _callee(groups.get("callee") or "")
            return CallMismatch(callee, kind, groups.get("parameter"))
    if match := _ARGUMENT_TYPE.search(message):
        return TypeMismatch(match["expected"], match["got"], _callee(match["callee"]), int(match["argument"]))
    if match := _ARGUMENT_NAMED.search(message):
        return TypeMismatch(
            match["expected"], match["got"], _callee(match["callee"]), parameter=match["parameter"]
        )
    if match := _ASSIGNED.search(message):
        return TypeMismatch(match["expected"], match["got"])
    return None
