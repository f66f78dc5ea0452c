"""Undefined names: import the name from where it is defined, or use the in-scope name it misspells.

repairs(context) -> list[Candidate]
    For an `UndefinedName` finding: `from M import name` (or `import name` for a standard library
    module) placed where the file's imports say it belongs, when a repository module or the standard
    library defines the name ("symbolic:import"); then the in-scope names a typo away from it
    ("symbolic:name").
closest(word, options, limit=3) -> list[str]
    The options a plausible typo away from `word` (edit distance at most a third of its length), nearest
    first; shared by the attribute and call repairs.
identifier_at(line_text, name, column) -> int | None
    The 0-based character index of the identifier `name` on a line, nearest the 1-based `column`.
parse_python(text) -> ast.Module | None
    The file's syntax tree when it parses (`RepairContext.span` gives a node's offsets into the text).
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeGuard

from maze.repair.context import RepairContext
from maze.repair.messages import UndefinedName
from maze.suggestions import Candidate

IMPORT_SOURCE = "symbolic:import"
NAME_SOURCE = "symbolic:name"
LINE_LENGTH = 88
_PREAMBLE = re.compile(r"#!|#.*coding[:=]")
_TEST_PATH = re.compile(r"(^|/)(tests?/|test_[^/]*$|[^/]*_test\.py$|conftest\.py$)")

_STDLIB_NAMES: dict[str, str] = {
    **dict.fromkeys(
        (
            "Any",
            "Callable",
            "ClassVar",
            "Final",
            "Generic",
            "Iterable",
            "Iterator",
            "Literal",
            "Mapping",
            "NamedTuple",
            "NoReturn",
            "Optional",
            "Protocol",
            "Sequence",
            "TypeVar",
            "TypedDict",
            "Union",
            "cast",
            "overload",
            "TYPE_CHECKING",
            "Self",
            "TypeAlias",
        ),
        "typing",
    ),
    **dict.fromkeys(("dataclass", "field", "asdict", "astuple", "replace", "fields"), "dataclasses"),
    **dict.fromkeys(
        ("defaultdict", "OrderedDict", "Counter", "deque", "namedtuple", "ChainMap"), "collections"
    ),
    **dict.fromkeys(
        ("sqrt", "floor", "ceil", "pi", "inf", "isclose", "log", "exp", "sin", "cos", "hypot", "gcd"), "math"
    ),
    **dict.fromkeys(("Path", "PurePath", "PurePosixPath"), "pathlib"),
    **dict.fromkeys(("datetime", "date", "timedelta", "timezone"), "datetime"),
    **dict.fromkeys(("partial", "reduce", "wraps", "lru_cache", "cache", "cached_property"), "functools"),
    **dict.fromkeys(("chain", "islice", "groupby", "product", "permutations", "combinations"), "itertools"),
    **dict.fromkeys(("Enum", "IntEnum", "auto", "Flag"), "enum"),
    **dict.fromkeys(("ABC", "abstractmethod"), "abc"),
    **dict.fromkeys(("contextmanager", "suppress", "ExitStack", "closing"), "contextlib"),
    **dict.fromkeys(("Decimal",), "decimal"),
    **dict.fromkeys(("Fraction",), "fractions"),
    **dict.fromkeys(("StringIO", "BytesIO"), "io"),
    **dict.fromkeys(("deepcopy", "copy"), "copy"),
    **dict.fromkeys(("sleep", "monotonic", "perf_counter"), "time"),
    **dict.fromkeys(("dedent", "indent"), "textwrap"),
    **dict.fromkeys(("pprint",), "pprint"),
    **dict.fromkeys(("UUID", "uuid4"), "uuid"),
    **dict.fromkeys(("attrgetter", "itemgetter"), "operator"),
}


def repairs(context: RepairContext) -> list[Candidate]:
    """Candidates for an undefined name, imports first, then renames to nearby in-scope names."""
    fact = context.fact
    if not isinstance(fact, UndefinedName) or not fact.name.isidentifier():
        return []
    found = [*_import_candidates(context, fact.name), *_rename_candidates(context, fact.name)]
    return [candidate for candidate in found if candidate is not None]


def distance(first: str, second: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment) between two strings."""
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i, left in enumerate(first, 1):
        current = [i] + [0] * len(second)
        for j, right in enumerate(second, 1):
            cost = 0 if left == right else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and left == second[j - 2] and first[i - 2] == right:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def closest(word: str, options: Iterable[str], limit: int = 3) -> list[str]:
    """The options within a plausible typo of `word`, nearest first (ties keep the options' order)."""
    allowed = max(1, len(word) // 3)
    scored: dict[str, int] = {}
    for option in options:
        if option != word and option not in scored and (score := distance(word, option)) <= allowed:
            scored[option] = score
    return sorted(scored, key=lambda option: scored[option])[:limit]


def identifier_at(line_text: str, name: str, column: int) -> int | None:
    """Where the identifier `name` starts on the line (0-based), the occurrence nearest 1-based `column`."""
    starts = [match.start() for match in re.finditer(rf"(?<![\w.]){re.escape(name)}(?!\w)", line_text)]
    if not starts:
        starts = [match.start() for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", line_text)]
    if not starts:
        return None
    return min(starts, key=lambda start: abs(start - (column - 1)))


def parse_python(text: str) -> ast.Module | None:
    """The module's syntax tree, or None when it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _rename_candidates(context: RepairContext, name: str) -> list[Candidate | None]:
    line = context.problem.line
    scope = context.scope(line)
    start = identifier_at(context.line_text(line), name, context.problem.column)
    if scope is None or start is None:
        return []
    after = context.line_text(line)[start + len(name) :].lstrip()
    wants_call = after.startswith("(")
    bound = {item.name: item for item in scope.names}
    ranked = sorted(
        closest(name, bound, limit=8),
        key=lambda option: (
            distance(name, option),
            bound[option].line == line,
            _is_callable(bound[option].type) != wants_call,
        ),
    )[:3]
    offset = context.offset(line, start + 1)
    return [
        context.replace_span(
            offset,
            offset + len(name),
            option,
            source=NAME_SOURCE,
            description=f"Rename `{name}` to `{option}`, a name in scope here",
        )
        for option in ranked
    ]


def _is_callable(type_text: str | None) -> bool:
    text = type_text or ""
    return text.startswith(("def ", "async def ", "class ")) or text in ("type", "function")


def _import_candidates(context: RepairContext, name: str) -> list[Candidate | None]:
    tree = parse_python(context.text)
    if tree is None:
        return []
    found: list[Candidate | None] = []
    for module in _modules_defining(context, name):
        statement = _Statement(module, name)
        found.append(
            context.rewrite(
                _with_import(context, tree, statement),
                source=IMPORT_SOURCE,
                description=f"Import `{name}` from `{module}`",
            )
        )
    if name in sys.stdlib_module_names and not name.startswith("_"):
        found.append(
            context.rewrite(
                _with_import(context, tree, _Statement(name, None)),
                source=IMPORT_SOURCE,
                description=f"Import the standard library module `{name}`",
            )
        )
    return found


def _modules_defining(context: RepairContext, name: str) -> list[str]:
    """Modules to import `name` from: repository modules defining it (closest first), then the stdlib's."""
    own = context.project.modules_of(context.path)
    package = own[-1].split(".")[0] if own else ""
    modules: list[str] = []
    for located in context.project.definitions(name):
        path = located.path
        if path == context.path or _TEST_PATH.search(path) or not path.endswith(".py"):
            continue
        names = context.project.modules_of(path)
        if names:
            modules.append(min(names, key=lambda module: (module.count("."), len(module))))
    modules = sorted(
        dict.fromkeys(modules), key=lambda module: (module.split(".")[0] != package, module.count("."))
    )
    if name in _STDLIB_NAMES:
        modules.append(_STDLIB_NAMES[name])
    return modules[:3]


@dataclass(frozen=True)
class _Statement:
    """`from module import name`, or `import module` when `name` is None."""

    module: str
    name: str | None

    @property
    def text(self) -> str:
        return f"from {self.module} import {self.name}" if self.name else f"import {self.module}"


def _with_import(context: RepairContext, tree: ast.Module, statement: _Statement) -> str:
    """The file's text with `statement` merged into an existing import or inserted where it sorts."""
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    if statement.name is not None:
        for node in imports:
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == statement.module:
                return _merged(context, node, statement.name)
    if not imports:
        return _at_top(context, tree, statement.text)
    return _in_section(context, imports, statement)


def _merged(context: RepairContext, node: ast.ImportFrom, name: str) -> str:
    aliases = [(alias.name, alias.asname) for alias in node.names] + [(name, None)]
    parts = [f"{item} as {alias}" if alias else item for item, alias in sorted(aliases, key=_member_key)]
    one_line = f"from {node.module} import {', '.join(parts)}"
    indent = context.line_text(node.lineno)[: node.col_offset]
    if len(indent) + len(one_line) > LINE_LENGTH:
        body = "".join(f"{indent}    {part},\n" for part in parts)
        one_line = f"from {node.module} import (\n{body}{indent})"
    start, end = context.span(node)
    return context.text[:start] + one_line + context.text[end:]


def _member_key(item: tuple[str, str | None]) -> tuple[int, str, str]:
    """ruff's isort order within a `from` import: constants, then classes, then the rest; aliases last."""
    name, alias = item
    if name.isupper() and len(name) > 1:
        return (0, name, alias or "")
    return (1, name, alias or "") if name[:1].isupper() else (2, name.lower(), alias or "")


def _line_start(context: RepairContext, line: int) -> int:
    return context.offset(line, 1) if line <= len(context.lines) else len(context.text)


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _insert_line(context: RepairContext, line: int, new: str) -> str:
    """The text with `new` (whole lines) inserted before 1-based `line` (past the end: appended)."""
    before = _with_newline(context.text[: _line_start(context, line)])
    return before + new + context.text[_line_start(context, line) :]


def _at_top(context: RepairContext, tree: ast.Module, text: str) -> str:
    """The first import: after the docstring (or a shebang and coding line), two blank lines before a def."""
    first = tree.body[0] if tree.body else None
    if _is_docstring(first):
        start, lead = (first.end_lineno or first.lineno) + 1, "\n"
    else:
        start = 1 + sum(1 for line in context.lines[:2] if _PREAMBLE.match(line))
        lead = "\n" if start > 1 else ""
    following = next((node for node in tree.body if node.lineno >= start), None)
    if following is None:
        return _insert_line(context, start, f"{lead}{text}\n")
    end = min([following.lineno, *(item.lineno for item in getattr(following, "decorator_list", []))])
    definition = isinstance(following, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    new = f"{lead}{text}\n" + ("\n\n" if definition else "\n")
    if any(context.line_text(line).strip() for line in range(start, end)):
        return _insert_line(context, start, new)
    return (
        _with_newline(context.text[: _line_start(context, start)])
        + new
        + context.text[_line_start(context, end) :]
    )


def _is_docstring(node: ast.stmt | None) -> TypeGuard[ast.Expr]:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _section(context: RepairContext, module: str, level: int = 0) -> int:
    top = module.split(".")[0]
    if level:
        return 4
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    packages = {
        name.split(".")[0] for path in context.project.files for name in context.project.modules_of(path)
    }
    return 3 if top in packages else 2


def _key(context: RepairContext, node: ast.Import | ast.ImportFrom) -> tuple[int, int, str]:
    if isinstance(node, ast.Import):
        module = node.names[0].name
        return (_section(context, module), 0, module.lower())
    module = node.module or ""
    return (_section(context, module, node.level), 1, module.lower())


def _in_section(
    context: RepairContext, imports: list[ast.Import | ast.ImportFrom], statement: _Statement
) -> str:
    """Insert `statement` before the first import that sorts after it, or after the last of its section."""
    key = (_section(context, statement.module), 0 if statement.name is None else 1, statement.module.lower())
    text = statement.text
    later = next((node for node in imports if _key(context, node) > key), None)
    if later is not None and _key(context, later)[0] == key[0]:
        return _insert_line(context, later.lineno, f"{text}\n")
    earlier = [node for node in imports if _key(context, node) < key]
    if not earlier:
        first = later or imports[0]
        return _insert_line(context, first.lineno, f"{text}\n\n")
    last = earlier[-1]
    end = (last.end_lineno or last.lineno) + 1
    if _key(context, last)[0] == key[0]:
        return _insert_line(context, end, f"{text}\n")
    if later is not None:
        return _insert_line(context, later.lineno, f"{text}\n\n")
    return _insert_line(context, end, f"\n{text}\n")
