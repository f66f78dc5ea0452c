"""Fault sites in real Python sources and the one-line faults injected there, chosen by seed alone.

Six kinds, each a small edit a developer makes by accident, found with `ast` and `tokenize` on the
pristine file and never with knowledge of how the repair engine works:

- `misspelled_name`: one use of a parameter, a local or an imported module name (at least 3 characters;
  `self` and `cls` are left to `wrong_attribute`) gets a one-edit typo (deletion, adjacent
  transposition, substitution or insertion of a letter) that names nothing in the module;
- `missing_import`: a single-name import line whose name is used is deleted; the fault line is the first
  use of the name;
- `wrong_attribute`: one `self.member` read gets a one-edit typo that is not a member of the class;
- `syntax`: the colon of a one-line compound statement header is deleted, or the closing bracket of a
  pair opened and closed on one line;
- `arg_count`: a one-line call to a function or method the repository defines loses its last positional
  argument, or gets one more (a copy of its last positional argument, or `None`);
- `type_mismatch`: an argument of such a call (whose parameter is annotated) or a returned value (of a
  function with a return annotation) is replaced by a literal of another type (`0`, `""`, `None`, `[]`).

Every fault replaces exactly one line of the original (or deletes it). Which sites become cases, and in
what order, depends only on the seed; whether a fault really breaks something is decided afterwards by
the validators (`checking.py`).
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import random
import string
import tokenize
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("misspelled_name", "missing_import", "wrong_attribute", "syntax", "arg_count", "type_mismatch")
MIN_NAME_LENGTH = 3
RECEIVERS = frozenset({"self", "cls"})
LITERALS = ("0", '""', "None", "[]")
_LITERAL_TYPES = {
    "0": ("int", "float", "complex", "Any", "object"),
    '""': ("str", "Any", "object"),
    "None": ("None", "Optional", "Any", "object"),
    "[]": ("list", "List", "Sequence", "Iterable", "Collection", "Any", "object", "MutableSequence"),
}
_HEADER_KEYWORDS = frozenset(
    {"def", "class", "if", "elif", "else", "for", "while", "with", "try", "except", "finally"}
)
_PAIRS = {"(": ")", "[": "]", "{": "}"}
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Fault:
    """Line `line` (1-based) of `path` becomes `new_line` (None: the line is deleted).

    `fault_line` is where the fault shows in the faulty file (the edited line, or for a deleted import
    the first line using the name, renumbered).
    """

    kind: str
    subkind: str
    path: str
    line: int
    old_line: str
    new_line: str | None
    fault_line: int
    description: str

    def apply(self, text: str) -> str:
        lines = text.splitlines(keepends=True)
        if lines[self.line - 1] != self.old_line:
            raise ValueError(f"{self.path}:{self.line} is not the line the fault was made for")
        replacement = [] if self.new_line is None else [self.new_line]
        return "".join(lines[: self.line - 1] + replacement + lines[self.line :])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        return cls(**data)


class Module:
    """One parsed source file with the lookups the site finders share."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.tree = ast.parse(text)
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.identifiers = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)}
        self.identifiers |= {n.attr for n in ast.walk(self.tree) if isinstance(n, ast.Attribute)}
        self.identifiers |= {
            n.name for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.identifiers |= {n.name for n in ast.walk(self.tree) if isinstance(n, ast.ClassDef)}
        self.identifiers |= {n.arg for n in ast.walk(self.tree) if isinstance(n, ast.arg)}

    def line_bytes(self, number: int) -> bytes:
        return self.lines[number - 1].encode("utf-8")

    def segment(self, node: ast.AST) -> str | None:
        """The node's source when it sits on one line."""
        if getattr(node, "lineno", None) != getattr(node, "end_lineno", -1):
            return None
        raw = self.line_bytes(node.lineno)  # type: ignore[attr-defined]
        return raw[node.col_offset : node.end_col_offset].decode("utf-8")  # type: ignore[attr-defined]

    def replace(self, node: ast.AST, new: str) -> str:
        """The node's (one) line with the node's text replaced by `new`."""
        raw = self.line_bytes(node.lineno)  # type: ignore[attr-defined]
        start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        return (raw[:start] + new.encode("utf-8") + raw[end:]).decode("utf-8")

    def enclosing(self, node: ast.AST, kinds: tuple[type, ...]) -> ast.AST | None:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, kinds):
            current = self.parents.get(current)
        return current

    def free(self, name: str) -> bool:
        """Whether `name` is a fresh identifier: not a keyword, builtin, or anything this module names."""
        return (
            name.isidentifier()
            and not keyword.iskeyword(name)
            and name not in _BUILTINS
            and name not in self.identifiers
        )


def typos(name: str, rng: random.Random) -> list[str]:
    """Every one-edit variant of `name` (lower-case letters only), in a seeded order."""
    letters = string.ascii_lowercase
    found: set[str] = set()
    for i in range(len(name)):
        found.add(name[:i] + name[i + 1 :])
        if i + 1 < len(name) and name[i] != name[i + 1]:
            found.add(name[:i] + name[i + 1] + name[i] + name[i + 2 :])
        for letter in letters:
            if letter != name[i]:
                found.add(name[:i] + letter + name[i + 1 :])
    for i in range(len(name) + 1):
        for letter in letters:
            found.add(name[:i] + letter + name[i:])
    ordered = sorted(found)
    rng.shuffle(ordered)
    return ordered


def _typo(module: Module, name: str, taken: set[str], rng: random.Random) -> str | None:
    for variant in typos(name, rng):
        if variant != name and variant not in taken and module.free(variant):
            return variant
    return None


# Site finders: each yields (sort key, builder); the builder makes the Fault with its own rng.
Site = tuple[tuple[str, int, int, str], Any]


def _function_scope(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = {a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)}
    for extra in (function.args.vararg, function.args.kwarg):
        if extra is not None:
            names.add(extra.arg)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _module_imports(module: Module) -> set[str]:
    names: set[str] = set()
    for node in module.tree.body:
        if isinstance(node, ast.Import):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def misspelled_names(module: Module) -> Iterator[Site]:
    imported = _module_imports(module)
    for function in ast.walk(module.tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        scope = _function_scope(function) | imported
        for node in ast.walk(function):
            if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
                continue
            if node.id not in scope or node.id in RECEIVERS or len(node.id) < MIN_NAME_LENGTH:
                continue
            if node.lineno != node.end_lineno:
                continue
            if module.enclosing(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) is not function:
                continue

            def build(rng: random.Random, node: ast.Name = node) -> Fault | None:
                typo = _typo(module, node.id, set(), rng)
                if typo is None:
                    return None
                return Fault(
                    "misspelled_name",
                    "name",
                    module.path,
                    node.lineno,
                    module.lines[node.lineno - 1],
                    module.replace(node, typo),
                    node.lineno,
                    f"`{node.id}` misspelled as `{typo}`",
                )

            yield (module.path, node.lineno, node.col_offset, "name"), build


def _bound_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    return [alias.asname or alias.name for alias in node.names]


def missing_imports(module: Module) -> Iterator[Site]:
    statements: list[ast.stmt] = list(module.tree.body)
    for top in module.tree.body:
        if isinstance(top, ast.If):
            statements.extend(top.body)
    uses: dict[str, list[int]] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            uses.setdefault(node.id, []).append(node.lineno)
    for statement in statements:
        if not isinstance(statement, ast.Import | ast.ImportFrom) or statement.lineno != statement.end_lineno:
            continue
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            continue
        names = _bound_names(statement)
        if len(names) != 1 or not uses.get(names[0]):
            continue
        name = names[0]
        lines = [line for line in uses[name] if line != statement.lineno]
        if not lines:
            continue
        first = min(lines)

        def build(
            rng: random.Random, statement: ast.stmt = statement, name: str = name, first: int = first
        ) -> Fault:
            shown = first - 1 if first > statement.lineno else first
            return Fault(
                "missing_import",
                "import",
                module.path,
                statement.lineno,
                module.lines[statement.lineno - 1],
                None,
                shown,
                f"the import of `{name}` deleted (first used on line {first})",
            )

        yield (module.path, statement.lineno, 0, "import"), build


def _class_members(cls: ast.ClassDef) -> set[str]:
    members: set[str] = set()
    for statement in cls.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            members.add(statement.name)
        elif isinstance(statement, ast.Assign):
            members |= {t.id for t in statement.targets if isinstance(t, ast.Name)}
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            members.add(statement.target.id)
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            members.add(node.attr)
    return members


def wrong_attributes(module: Module) -> Iterator[Site]:
    for cls in ast.walk(module.tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        members = _class_members(cls)
        for node in ast.walk(cls):
            if not (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Load)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
                and node.attr in members
                and len(node.attr) >= MIN_NAME_LENGTH
                and node.lineno == node.end_lineno
                and module.enclosing(node, (ast.ClassDef,)) is cls
            ):
                continue

            def build(
                rng: random.Random, node: ast.Attribute = node, members: set[str] = members
            ) -> Fault | None:
                typo = _typo(module, node.attr, members, rng)
                if typo is None:
                    return None
                return Fault(
                    "wrong_attribute",
                    "attribute",
                    module.path,
                    node.lineno,
                    module.lines[node.lineno - 1],
                    module.replace(node, f"self.{typo}"),
                    node.lineno,
                    f"`self.{node.attr}` misspelled as `self.{typo}`",
                )

            yield (module.path, node.lineno, node.col_offset, "attribute"), build


def _delete_char(module: Module, line: int, column: int, what: str, subkind: str) -> Fault:
    """Delete the character at (line, character column)."""
    old = module.lines[line - 1]
    return Fault("syntax", subkind, module.path, line, old, old[:column] + old[column + 1 :], line, what)


def syntax_sites(module: Module) -> Iterator[Site]:
    tokens = list(tokenize.generate_tokens(io.StringIO(module.text).readline))
    logical: list[tokenize.TokenInfo] = []
    for token in tokens:
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            yield from _header_colon(module, logical)
            yield from _same_line_brackets(module, logical)
            logical = []
        elif token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            logical.append(token)


def _header_colon(module: Module, logical: list[tokenize.TokenInfo]) -> Iterator[Site]:
    if len(logical) < 2 or logical[0].string not in _HEADER_KEYWORDS or logical[0].type != tokenize.NAME:
        return
    last = logical[-1]
    if last.string != ":" or last.start[0] != logical[0].start[0]:
        return
    line, column = last.start

    def build(rng: random.Random) -> Fault:
        keyword_ = logical[0].string
        return _delete_char(module, line, column, f"the colon of a `{keyword_}` header deleted", "colon")

    yield (module.path, line, column, "colon"), build


def _same_line_brackets(module: Module, logical: list[tokenize.TokenInfo]) -> Iterator[Site]:
    stack: list[tokenize.TokenInfo] = []
    for token in logical:
        if token.type != tokenize.OP:
            continue
        if token.string in _PAIRS:
            stack.append(token)
        elif token.string in _PAIRS.values() and stack:
            opening = stack.pop()
            if opening.start[0] != token.start[0] or _PAIRS[opening.string] != token.string:
                continue
            line, column = token.start

            def build(
                rng: random.Random, line: int = line, column: int = column, text: str = token.string
            ) -> Fault:
                return _delete_char(module, line, column, f"a closing `{text}` deleted", "bracket")

            yield (module.path, line, column, "bracket"), build


@dataclass(frozen=True)
class Callee:
    """A function the repository defines, as the call sites see it."""

    name: str
    parameters: tuple[tuple[str, str | None], ...]
    """(name, annotation source) of each parameter a caller passes, `self`/`cls` left out."""
    variadic: bool


def _callee(function: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> Callee:
    arguments = [*function.args.posonlyargs, *function.args.args]
    if (
        method
        and arguments
        and not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)
    ):
        arguments = arguments[1:]
    parameters = tuple(
        (a.arg, ast.unparse(a.annotation) if a.annotation is not None else None)
        for a in (*arguments, *function.args.kwonlyargs)
    )
    variadic = function.args.vararg is not None or function.args.kwarg is not None
    return Callee(function.name, parameters, variadic)


def repository_functions(modules: dict[str, Module]) -> dict[str, dict[str, Callee]]:
    """Per path: the module-level functions it can call by name (its own and `from .x import f`)."""
    own: dict[str, dict[str, Callee]] = {}
    by_module: dict[str, str] = {}
    for path, module in modules.items():
        own[path] = {
            node.name: _callee(node, False)
            for node in module.tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and not any(isinstance(d, ast.Name) and d.id == "overload" for d in node.decorator_list)
        }
        stem = path.rsplit("/", 1)[-1].removesuffix(".py")
        by_module[stem] = path
    visible: dict[str, dict[str, Callee]] = {}
    for path, module in modules.items():
        names = dict(own[path])
        for node in module.tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module in by_module:
                source = own[by_module[node.module]]
                for alias in node.names:
                    if alias.name in source:
                        names[alias.asname or alias.name] = source[alias.name]
        visible[path] = names
    return visible


def _overloaded(cls: ast.ClassDef | ast.Module) -> set[str]:
    return {
        node.name
        for node in cls.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(
            (isinstance(d, ast.Name) and d.id == "overload")
            or (isinstance(d, ast.Attribute) and d.attr == "overload")
            for d in node.decorator_list
        )
    }


def _calls(module: Module, functions: dict[str, Callee]) -> Iterator[tuple[ast.Call, Callee]]:
    """One-line calls whose callee is a repository function, or a method of the caller's own class."""
    overloaded = _overloaded(module.tree)
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call) or node.lineno != node.end_lineno:
            continue
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            continue
        callee: Callee | None = None
        if isinstance(node.func, ast.Name) and node.func.id not in overloaded:
            callee = functions.get(node.func.id)
        elif (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
        ):
            cls = module.enclosing(node, (ast.ClassDef,))
            if isinstance(cls, ast.ClassDef) and node.func.attr not in _overloaded(cls):
                for member in cls.body:
                    if (
                        isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
                        and member.name == node.func.attr
                    ):
                        callee = _callee(member, True)
        if callee is not None and not callee.variadic:
            yield node, callee


def _call_text(module: Module, call: ast.Call, arguments: list[str]) -> str | None:
    func = module.segment(call.func)
    keywords = [module.segment(k) for k in call.keywords]
    if func is None or any(k is None for k in keywords):
        return None
    return f"{func}({', '.join([*arguments, *(k for k in keywords if k is not None)])})"


def arg_count_sites(module: Module, functions: dict[str, Callee]) -> Iterator[Site]:
    for call, callee in _calls(module, functions):
        positional = [module.segment(a) for a in call.args]
        if any(p is None for p in positional):
            continue
        texts = [p for p in positional if p is not None]
        name = callee.name
        if texts:

            def drop(
                rng: random.Random, call: ast.Call = call, texts: list[str] = texts, name: str = name
            ) -> Fault | None:
                new = _call_text(module, call, texts[:-1])
                if new is None:
                    return None
                return Fault(
                    "arg_count",
                    "drop",
                    module.path,
                    call.lineno,
                    module.lines[call.lineno - 1],
                    module.replace(call, new),
                    call.lineno,
                    f"the last positional argument of a call to `{name}` dropped",
                )

            yield (module.path, call.lineno, call.col_offset, "drop"), drop

        def add(
            rng: random.Random, call: ast.Call = call, texts: list[str] = texts, name: str = name
        ) -> Fault | None:
            extra = texts[-1] if texts else "None"
            new = _call_text(module, call, [*texts, extra])
            if new is None:
                return None
            return Fault(
                "arg_count",
                "add",
                module.path,
                call.lineno,
                module.lines[call.lineno - 1],
                module.replace(call, new),
                call.lineno,
                f"an extra argument `{extra}` passed to `{name}`",
            )

        yield (module.path, call.lineno, call.col_offset, "add"), add


def _other_literal(annotation: str, rng: random.Random) -> str | None:
    words = set(annotation.replace("[", " ").replace("]", " ").replace(".", " ").replace("|", " ").split())
    choices = [literal for literal in LITERALS if not words & set(_LITERAL_TYPES[literal])]
    return rng.choice(choices) if choices else None


def type_mismatch_sites(module: Module, functions: dict[str, Callee]) -> Iterator[Site]:
    for call, callee in _calls(module, functions):
        slots: list[tuple[ast.expr, str, str]] = []
        for index, argument in enumerate(call.args):
            if index < len(callee.parameters) and callee.parameters[index][1] is not None:
                slots.append((argument, callee.parameters[index][0], str(callee.parameters[index][1])))
        annotations = dict(callee.parameters)
        for keyword_ in call.keywords:
            annotation = annotations.get(keyword_.arg or "")
            if annotation is not None:
                slots.append((keyword_.value, keyword_.arg or "", annotation))
        for argument, parameter, annotation in slots:
            if module.segment(argument) is None:
                continue

            def build(
                rng: random.Random,
                argument: ast.expr = argument,
                parameter: str = parameter,
                annotation: str = annotation,
                name: str = callee.name,
            ) -> Fault | None:
                literal = _other_literal(annotation, rng)
                if literal is None:
                    return None
                return Fault(
                    "type_mismatch",
                    "argument",
                    module.path,
                    argument.lineno,
                    module.lines[argument.lineno - 1],
                    module.replace(argument, literal),
                    argument.lineno,
                    f"argument `{parameter}: {annotation}` of `{name}` replaced by `{literal}`",
                )

            yield (module.path, argument.lineno, argument.col_offset, "argument"), build
    for function in ast.walk(module.tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or function.returns is None:
            continue
        returns = ast.unparse(function.returns)
        if returns in ("None", "t.NoReturn", "NoReturn", "te.Never"):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Return) or node.value is None or module.segment(node.value) is None:
                continue
            if module.enclosing(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) is not function:
                continue

            def build_return(
                rng: random.Random, value: ast.expr = node.value, returns: str = returns
            ) -> Fault | None:
                literal = _other_literal(returns, rng)
                if literal is None:
                    return None
                return Fault(
                    "type_mismatch",
                    "return",
                    module.path,
                    value.lineno,
                    module.lines[value.lineno - 1],
                    module.replace(value, literal),
                    value.lineno,
                    f"a value returned as `{returns}` replaced by `{literal}`",
                )

            yield (module.path, node.value.lineno, node.value.col_offset, "return"), build_return


def sites(modules: dict[str, Module], kind: str) -> list[Site]:
    """Every site of `kind` in the modules, in a stable order (path, line, column, subkind)."""
    functions = repository_functions(modules) if kind in ("arg_count", "type_mismatch") else {}
    found: list[Site] = []
    for path, module in sorted(modules.items()):
        if kind == "misspelled_name":
            found.extend(misspelled_names(module))
        elif kind == "missing_import":
            found.extend(missing_imports(module))
        elif kind == "wrong_attribute":
            found.extend(wrong_attributes(module))
        elif kind == "syntax":
            found.extend(syntax_sites(module))
        elif kind == "arg_count":
            found.extend(arg_count_sites(module, functions[path]))
        elif kind == "type_mismatch":
            found.extend(type_mismatch_sites(module, functions[path]))
        else:
            raise ValueError(f"unknown fault kind {kind!r}")
    found.sort(key=lambda site: site[0])
    return found


def fault_stream(modules: dict[str, Module], kind: str, seed: int) -> Iterator[Fault]:
    """Faults of `kind` in a seeded order: sites shuffled, subkinds alternated, each built with its own rng.

    Subkinds (colon/bracket, drop/add, argument/return) take turns so each is about half of the kind.
    """
    found = sites(modules, kind)
    order = random.Random(f"{seed}:{kind}:order")
    order.shuffle(found)
    groups: dict[str, list[Site]] = {}
    for site in found:
        groups.setdefault(site[0][3], []).append(site)
    queues = [groups[name] for name in sorted(groups)]
    seen: set[tuple[str, int, str | None]] = set()
    position = 0
    while any(queues):
        queue = queues[position % len(queues)]
        position += 1
        if not queue:
            continue
        key, build = queue.pop(0)
        fault = build(random.Random(f"{seed}:{kind}:{key}"))
        if fault is None or (fault.path, fault.line, fault.new_line) in seen:
            continue
        seen.add((fault.path, fault.line, fault.new_line))
        yield fault
