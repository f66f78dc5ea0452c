"""Scope at a line and members, for Python, plus the language-neutral contract of `maze.indexing.scope`."""

from __future__ import annotations

import pytest

from maze.indexing.extract import extract
from maze.indexing.scope import Member, Scope, ScopedName, members, module_members, scope_at

PYTHON = b'''"""Repository access."""
from __future__ import annotations

import os.path
from collections import OrderedDict as OD

LIMIT = 10
registry: dict[str, int] = {}
path = "default"


class Repo(Base):
    kind = "git"
    size: int = 0

    def __init__(self, path: str, *tags: str, **options: bool) -> None:
        self.path = path
        self.cache = OD()
        self.count: int = 0
        name = os.path.basename(path)
        for index, tag in enumerate(tags):
            label = f"{name}:{tag}"
        print(kind)

    @classmethod
    def open(cls, path: str) -> "Repo":
        return cls(path)

    @staticmethod
    def check(value):
        return value

    @property
    def empty(self) -> bool:
        return self.count == 0


def load(source, strict=False):
    total = 0
    if strict:
        total = "strict"
    with open(source) as handle, lock() as (first, second):
        data = handle.read()
    try:
        parse(data)
    except (ValueError, KeyError) as error:
        raise
    if (n := len(data)) > LIMIT:
        pass
    squares = [
        value * value
        for value in range(n)
    ]
    def inner(x: int) -> int:
        return x + total
    return Repo(source)

later = 1
'''


def at(source: bytes, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line containing `needle`."""
    lines = [number for number, text in enumerate(source.decode().splitlines(), 1) if needle in text]
    return lines[occurrence - 1]


def declared(scope: Scope) -> list[tuple[str, str, str | None, int | None]]:
    """Everything but the builtins, in lookup order."""
    return [(item.name, item.kind, item.type, item.line) for item in scope.names if item.kind != "builtin"]


PYTHON_MODULE = [
    ("os", "import", None, 4),
    ("OD", "import", None, 5),
    ("LIMIT", "module", "int", 7),
    ("registry", "module", "dict[str, int]", 8),
    ("path", "module", "str", 9),
    ("Repo", "module", "class Repo(Base)", 12),
    ("load", "module", "def load(source, strict=False)", at(PYTHON, "def load")),
    ("later", "module", "int", at(PYTHON, "later = 1")),
]


def test_method_sees_parameters_locals_and_module_but_not_the_class_body() -> None:
    scope = scope_at(PYTHON, "python", at(PYTHON, "print(kind)"))
    assert scope.enclosing == ("Repo", "Repo.__init__")
    assert declared(scope) == [
        ("self", "parameter", "Repo", 16),
        ("path", "parameter", "str", 16),
        ("tags", "parameter", "tuple[str, ...]", 16),
        ("options", "parameter", "dict[str, bool]", 16),
        ("name", "local", None, 20),
        ("index", "local", None, 21),
        ("tag", "local", None, 21),
        ("label", "local", "str", 22),
        *[item for item in PYTHON_MODULE if item[0] != "path"],
    ], "the parameter path shadows the module's"
    assert scope.lookup("kind") is None
    assert scope.lookup("size") is None


def test_parameter_shadows_module_name_and_import_has_origin() -> None:
    scope = scope_at(PYTHON, "python", at(PYTHON, "self.path = path"))
    assert scope.lookup("path") == ScopedName("path", "parameter", "str", 16)
    assert scope.lookup("OD") == ScopedName("OD", "import", None, 5, "collections")
    assert scope.lookup("os") == ScopedName("os", "import", None, 4, "os.path")
    assert scope.lookup("name") is None, "bound on a later line"


def test_classmethod_and_staticmethod_receivers() -> None:
    scope = scope_at(PYTHON, "python", at(PYTHON, "return cls(path)"))
    assert scope.lookup("cls") == ScopedName("cls", "parameter", "type[Repo]", 26)
    assert scope.lookup("path") == ScopedName("path", "parameter", "str", 26)
    static = scope_at(PYTHON, "python", at(PYTHON, "return value"))
    assert static.lookup("value") == ScopedName("value", "parameter", None, 30)


def test_class_body_sees_its_earlier_names_and_module_names_bound_so_far() -> None:
    line = at(PYTHON, "size: int = 0")
    scope = scope_at(PYTHON, "python", line)
    assert scope.enclosing == ("Repo",)
    assert declared(scope)[:2] == [("kind", "class", "str", 13), ("size", "class", "int", 14)]
    assert scope.lookup("later") is None, "module code runs top to bottom"
    assert scope.lookup("load") is None
    assert scope.lookup("Repo") is None, "a class is bound only once its body has run"
    assert scope.lookup("LIMIT") == ScopedName("LIMIT", "module", "int", 7)


def test_class_body_rules_in_comprehensions_and_nested_classes() -> None:
    source = b"""class A:
    x = 1
    ys = [
        x for _ in range(3)
    ]
    class B:
        z = 2
        w = 3
    def m(self):
        return [
            self for q in range(2)
        ]
"""
    comprehension = scope_at(source, "python", 4)
    assert declared(comprehension) == [("_", "local", None, 4)], "neither A's body nor A itself yet"
    nested = scope_at(source, "python", 8)
    assert nested.enclosing == ("A", "A.B")
    assert declared(nested) == [("z", "class", "int", 7), ("w", "class", "int", 8)]
    method = scope_at(source, "python", 11)
    assert declared(method) == [
        ("q", "local", None, 11),
        ("self", "parameter", "A", 9),
        ("A", "module", "class A", 1),
    ]


def test_function_locals_flow_and_rebinding() -> None:
    line = at(PYTHON, "if strict:")
    early = scope_at(PYTHON, "python", line)
    assert early.lookup("total") == ScopedName("total", "local", "int", line - 1)
    assert early.lookup("data") is None
    scope = scope_at(PYTHON, "python", at(PYTHON, "return Repo(source)"))
    assert scope.enclosing == ("load",)
    assert declared(scope)[:11] == [
        ("source", "parameter", None, at(PYTHON, "def load")),
        ("strict", "parameter", None, at(PYTHON, "def load")),
        ("total", "local", "str", at(PYTHON, 'total = "strict"')),
        ("handle", "local", None, at(PYTHON, "with open")),
        ("first", "local", None, at(PYTHON, "with open")),
        ("second", "local", None, at(PYTHON, "with open")),
        ("data", "local", None, at(PYTHON, "data = handle")),
        ("error", "local", "ValueError | KeyError", at(PYTHON, "except (")),
        ("n", "local", None, at(PYTHON, ":= len")),
        ("squares", "local", "list", at(PYTHON, "squares = [")),
        ("inner", "local", "def inner(x: int) -> int", at(PYTHON, "def inner")),
    ]
    assert scope.lookup("value") is None, "comprehension variables stay in the comprehension"


def test_comprehension_variable_inside_the_comprehension() -> None:
    scope = scope_at(PYTHON, "python", at(PYTHON, "for value in range(n)"))
    assert scope.lookup("value") == ScopedName("value", "local", None, at(PYTHON, "for value in range(n)"))
    assert scope.lookup("squares") is None, "the assignment completes after the comprehension"


def test_nested_function_sees_enclosing_locals() -> None:
    scope = scope_at(PYTHON, "python", at(PYTHON, "return x + total"))
    assert scope.enclosing == ("load", "load.inner")
    assert declared(scope)[0] == ("x", "parameter", "int", at(PYTHON, "def inner"))
    assert scope.lookup("total") == ScopedName("total", "local", "str", at(PYTHON, 'total = "strict"'))
    assert scope.lookup("source") is not None


def test_module_level_line_sees_only_names_bound_so_far() -> None:
    scope = scope_at(PYTHON, "python", at(PYTHON, "registry: dict"))
    assert scope.enclosing == ()
    assert declared(scope) == PYTHON_MODULE[:4]


def test_python_builtins_come_from_the_interpreter_and_can_be_shadowed() -> None:
    scope = scope_at(PYTHON, "python", at(PYTHON, "print(kind)"))
    assert scope.lookup("len") == ScopedName("len", "builtin", "function", None)
    assert scope.lookup("int") == ScopedName("int", "builtin", "type", None)
    assert scope.lookup("True") == ScopedName("True", "builtin", "bool", None)
    assert scope.lookup("None") == ScopedName("None", "builtin", "None", None)
    assert scope.lookup("__name__") == ScopedName("__name__", "builtin", "str", None)
    builtins = [item.name for item in scope.names if item.kind == "builtin"]
    assert builtins == sorted(builtins)
    assert "ValueError" in builtins and "_" not in builtins
    shadowed = scope_at(b"def open(x):\n    return x\n", "python", 2)
    assert shadowed.lookup("open") == ScopedName("open", "module", "def open(x)", 1)


def test_unpacking_pairs_types_and_walrus_binds_in_the_function() -> None:
    source = b"""def f(items):
    a, (b, c) = 1, ("x", 2.5)
    first, *rest = items
    if any((hit := item) for item in items):
        d = e = b"raw"
    return a
"""
    scope = scope_at(source, "python", 6)
    assert declared(scope)[:9] == [
        ("items", "parameter", None, 1),
        ("a", "local", "int", 2),
        ("b", "local", "str", 2),
        ("c", "local", "float", 2),
        ("first", "local", None, 3),
        ("rest", "local", None, 3),
        ("hit", "local", None, 4),
        ("d", "local", "bytes", 5),
        ("e", "local", "bytes", 5),
    ]
    assert scope.lookup("item") is None


def test_match_captures_lambda_parameters_and_annotation_beats_inference() -> None:
    source = b"""def handle(command, default: "Settings"):
    match command:
        case Point(x=px, y=0) | [px, *_] as whole:
            pass
        case {"name": name, **extra}:
            pass
        case Color.RED:
            pass
    value: float = 1
    value = compute()
    key = lambda item, /, *, scale=2: (
        item * scale
    )
"""
    scope = scope_at(source, "python", 12)
    assert scope.lookup("default") == ScopedName("default", "parameter", "Settings", 1)
    assert scope.lookup("px") == ScopedName("px", "local", None, 3)
    assert scope.lookup("whole") == ScopedName("whole", "local", None, 3)
    assert scope.lookup("name") == ScopedName("name", "local", None, 5)
    assert scope.lookup("extra") == ScopedName("extra", "local", None, 5)
    assert scope.lookup("Color") is None and scope.lookup("Point") is None and scope.lookup("RED") is None
    assert scope.lookup("value") == ScopedName("value", "local", "float", 10)
    assert scope.lookup("item") == ScopedName("item", "parameter", None, 11)
    assert scope.lookup("scale") == ScopedName("scale", "parameter", None, 11)
    assert scope.lookup("key") == ScopedName("key", "local", None, 11), "a lambda may call itself"


def test_a_multi_line_assignment_binds_on_its_last_line() -> None:
    source = b"""def f(rows):
    total = sum(
        row.size for row in rows
    )
    return total
"""
    assert scope_at(source, "python", 2).lookup("total") is None
    inside = scope_at(source, "python", 3)
    assert inside.lookup("total") is None
    assert inside.lookup("row") == ScopedName("row", "local", None, 3)
    assert scope_at(source, "python", 4).lookup("total") == ScopedName("total", "local", None, 2)
    assert scope_at(source, "python", 5).lookup("row") is None


def test_inference_of_calls() -> None:
    source = b"""import typing
def f(x):
    a = Repo(x)
    b = models.Repo()
    c = dict(x)
    d = make_repo()
    e = typing.cast("Repo", x)
    g = -3
    return a
"""
    scope = scope_at(source, "python", 9)
    assert [(item.name, item.type) for item in scope.names[1:8]] == [
        ("a", "Repo"),
        ("b", "models.Repo"),
        ("c", "dict"),
        ("d", None),
        ("e", '"Repo"'),
        ("g", "int"),
        ("typing", None),
    ]


def test_generic_type_parameters() -> None:
    source = b"""class Box[T]:
    def get[K: str](self, key: K) -> T:
        return key
"""
    scope = scope_at(source, "python", 3)
    assert declared(scope)[:4] == [
        ("self", "parameter", "Box", 2),
        ("key", "parameter", "K", 2),
        ("K", "type_parameter", "str", 2),
        ("T", "type_parameter", None, 1),
    ]


def test_syntax_errors_give_a_best_effort_answer() -> None:
    source = b"def ok(a: int) -> int:\n    b = a + 1\n    return b\n\ndef broken(x:\n    y = x +\n"
    scope = scope_at(source, "python", 3)
    assert declared(scope)[:2] == [("a", "parameter", "int", 1), ("b", "local", None, 2)]
    assert scope.lookup("ok") is not None
    for line in range(1, 7):
        assert scope_at(source, "python", line).lookup("len") is not None


@pytest.mark.parametrize("line", [0, -1, 59, 1000])
def test_line_outside_the_file_is_an_error(line: int) -> None:
    with pytest.raises(ValueError, match=rf"line {line} is outside the file, which has lines 1 to 58"):
        scope_at(PYTHON, "python", line)


def test_empty_file_has_one_line_with_only_builtins() -> None:
    scope = scope_at(b"", "python", 1)
    assert scope.enclosing == ()
    assert scope.names and all(item.kind == "builtin" for item in scope.names)
    with pytest.raises(ValueError, match="lines 1 to 1"):
        scope_at(b"", "python", 2)
    assert scope_at(b"x = 1\n", "python", 1).lookup("x") == ScopedName("x", "module", "int", 1)
    with pytest.raises(ValueError):
        scope_at(b"x = 1\n", "python", 2)


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(ValueError, match="'cobol'"):
        scope_at(b"x", "cobol", 1)
    with pytest.raises(ValueError, match="'cobol'"):
        members(b"x", "cobol", "X")


def test_python_members() -> None:
    assert members(PYTHON, "python", "Repo") == (
        Member("kind", "field", "str", None, 13),
        Member("size", "field", "int", None, 14),
        Member(
            "__init__",
            "method",
            "None",
            "def __init__(self, path: str, *tags: str, **options: bool) -> None",
            16,
        ),
        Member("path", "attribute", "str", None, 17),
        Member("cache", "attribute", "OD", None, 18),
        Member("count", "attribute", "int", None, 19),
        Member("open", "method", "Repo", 'def open(cls, path: str) -> "Repo"', 26),
        Member("check", "method", None, "def check(value)", 30),
        Member("empty", "property", "bool", "def empty(self) -> bool", 34),
    )
    assert members(PYTHON, "python", "Missing") == ()


def test_python_members_of_nested_classes_by_qualified_name() -> None:
    source = b"""class Outer:
    class Inner:
        def __init__(self, other):
            self.a, self.b = other
            other.c = 1
            def helper():
                self.hidden = 2
    limit = 3

class Inner:
    z = None
"""
    assert members(source, "python", "Outer.Inner") == (
        Member("__init__", "method", None, "def __init__(self, other)", 3),
        Member("a", "attribute", None, None, 4),
        Member("b", "attribute", None, None, 4),
    )
    assert members(source, "python", "Outer") == (
        Member("Inner", "class", None, "class Inner", 2),
        Member("limit", "field", "int", None, 8),
    )
    assert members(source, "python", "Inner") == (Member("z", "field", "None", None, 11),)


def test_python_module_members() -> None:
    index = extract("repo.py", PYTHON, "python")
    assert [(item.name, item.kind, item.line) for item in module_members(index)] == [
        ("LIMIT", "constant", 7),
        ("registry", "variable", 8),
        ("path", "variable", 9),
        ("Repo", "class", 12),
        ("load", "function", at(PYTHON, "def load")),
        ("later", "variable", at(PYTHON, "later = 1")),
    ]
    assert module_members(index)[4].signature == "def load(source, strict=False)"
    private = extract(
        "p.py", b"_cache = {}\ndef _helper():\n    pass\ndef api() -> int:\n    return 1\n", "python"
    )
    assert module_members(private) == (Member("api", "function", "int", "def api() -> int", 4),)


def test_python_module_members_honour_a_one_line_all() -> None:
    source = b"""from .impl import engine
__all__ = ["run", "engine"]

def run():
    pass

def other():
    pass
"""
    index = extract("pkg.py", source, "python")
    assert module_members(index) == (
        Member("engine", "import", None, None, 1),
        Member("run", "function", None, "def run()", 4),
    )
