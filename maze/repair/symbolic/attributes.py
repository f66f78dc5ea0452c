"""Unknown attributes: rename the attribute to the nearest member of the receiver's type or module.

repairs(context) -> list[Candidate]
    For a `MissingAttribute` finding: the type checker's own hint when it is a member, then the members a
    typo away, each replacing the `.attribute` on the finding's line nearest its column
    ("symbolic:attribute"). Members come from the repository's classes and modules (through the index,
    never by importing repository code), from builtin types, and from standard library modules.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
import sys
from collections.abc import Iterable

from maze.indexing.scope import module_members
from maze.repair.context import RepairContext
from maze.repair.messages import MissingAttribute
from maze.repair.symbolic.names import closest, parse_python
from maze.suggestions import Candidate

SOURCE = "symbolic:attribute"
_TYPE_NAME = re.compile(r"[A-Za-z_][\w.]*")
_NOT_IMPORTED = frozenset({"antigravity", "this", "idlelib", "turtledemo", "tkinter", "turtle"})
_WRAPPERS = frozenset({"Optional", "Union", "None", "type", "Type", "typing"})


def repairs(context: RepairContext) -> list[Candidate]:
    """Renames of the missing attribute to members of its owner, most plausible first."""
    fact = context.fact
    if not isinstance(fact, MissingAttribute) or not fact.attribute.isidentifier():
        return []
    line = context.problem.line
    start = _attribute_at(context.line_text(line), fact.attribute, context.problem.column)
    if start is None:
        return []
    owner = _module_of(context, line, start) if fact.is_module else fact.owner
    if not owner:
        return []
    names = _module_names(context, owner) if fact.is_module else _type_names(context, owner)
    choices = _ranked(fact, names)
    offset = context.offset(line, start + 1)
    described = f"module `{owner}`" if fact.is_module else f"`{owner}`"
    found = (
        context.replace_span(
            offset,
            offset + len(fact.attribute),
            choice,
            source=SOURCE,
            description=f"Rename `{fact.attribute}` to `{choice}`, a member of {described}",
        )
        for choice in choices
    )
    return [candidate for candidate in found if candidate is not None]


def _ranked(fact: MissingAttribute, names: list[str]) -> list[str]:
    hinted = [fact.hint] if fact.hint in names else []
    nearby = closest(fact.attribute, names, limit=3)
    return list(dict.fromkeys(hinted + nearby))[:3]


def _attribute_at(line_text: str, attribute: str, column: int) -> int | None:
    """Where `attribute` starts in its `.attribute` occurrence nearest `column`, preferring later ones."""
    starts = [
        match.end() - len(attribute)
        for match in re.finditer(rf"\.\s*{re.escape(attribute)}(?!\w)", line_text)
    ]
    if not starts:
        return None
    after = [start for start in starts if start >= column - 1]
    return min(after or starts, key=lambda start: abs(start - (column - 1)))


def _module_of(context: RepairContext, line: int, start: int) -> str:
    """The module the dotted receiver before `.attribute` names (`os.path` for `os.path.joinn`), or ""."""
    before = context.line_text(line)[:start].rstrip()
    match = re.search(r"([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*\.$", before)
    if match is None:
        return ""
    parts = [part.strip() for part in match[1].split(".")]
    head = _imported_modules(context).get(parts[0])
    return ".".join([head, *parts[1:]]) if head else ""


def _imported_modules(context: RepairContext) -> dict[str, str]:
    """Each name the file's imports bind, with the dotted module (or module member) it stands for."""
    tree = parse_python(context.text)
    bound: dict[str, str] = {}
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def _module_names(context: RepairContext, module: str) -> list[str]:
    """Public names of a repository module (from the index) or a standard library module (by import)."""
    for path, index in context.project.files.items():
        if module in context.project.modules_of(path) and index.language == "python":
            return [member.name for member in module_members(index)]
    top = module.split(".")[0]
    if top not in sys.stdlib_module_names or top in _NOT_IMPORTED:
        return []
    try:
        loaded = importlib.import_module(module)
    except Exception:  # a standard library module may not import on this platform
        return []
    return [name for name in dir(loaded) if not name.startswith("_")]


def _type_names(context: RepairContext, owner: str) -> list[str]:
    """Members of every type the owner's text names, `None` and typing wrappers skipped."""
    names: list[str] = []
    for type_name in _types_in(owner):
        names.extend(member.name for member in context.project.members(type_name))
        names.extend(_builtin_members(type_name))
    return list(dict.fromkeys(names))


def _types_in(owner: str) -> Iterable[str]:
    """`Box` for `Box`, `Optional[Box]` and `Box | None`; `list` for `list[Box]`."""
    outer = owner.split("[", 1)[0].strip()
    if (outer.isidentifier() and outer not in _WRAPPERS) or ("." in outer and " " not in outer):
        yield outer
        return
    for name in _TYPE_NAME.findall(owner):
        if name not in _WRAPPERS:
            yield name


def _builtin_members(type_name: str) -> list[str]:
    value = getattr(builtins, type_name, None)
    if not isinstance(value, type):
        return []
    return [name for name in dir(value) if not name.startswith("_")]
