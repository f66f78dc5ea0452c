"""Scope at a line and members for Go."""

from __future__ import annotations

import pytest

from maze.indexing.extract import extract
from maze.indexing.scope import Member, ScopedName, members, module_members, scope_at
from maze.indexing.scopes.go import package_name
from tests.unit.indexing.test_scope import at, declared

GO = b"""package store

import (
	"context"
	pg "github.com/jackc/pgx/v5"
	_ "embed"
)

const MaxRows = 100

var cache = map[string]int{}

type Repo struct {
	db   *pg.Conn
	name string
	*Base
}

func NewRepo(db *pg.Conn) *Repo {
	return &Repo{db: db}
}

func (r *Repo) Save(ctx context.Context, items ...string) (n int, err error) {
	start := 0
	repo := Repo{}
	for i, item := range items {
		label := item
		_ = label
	}
	if count, ok := cache[r.name]; ok {
		n = count
	} else {
		n = start
	}
	switch v := any(ctx).(type) {
	case string:
		_ = v
	case int, error:
		_ = v
	}
	process := func(limit int) bool {
		return limit > start
	}
	return n, nil
}

func helper() {
	later := NewRepo(nil)
	_ = later
}
"""

PACKAGE = [
    ("context", "import", None, 4),
    ("pg", "import", None, 5),
    ("MaxRows", "module", "int", 9),
    ("cache", "module", "map[string]int", 11),
    ("Repo", "module", "type Repo struct", 13),
    ("NewRepo", "module", "func NewRepo(db *pg.Conn) *Repo", 19),
    ("helper", "module", "func helper()", at(GO, "func helper")),
]


def test_method_locals_range_variables_and_package_names() -> None:
    line = at(GO, "_ = label")
    scope = scope_at(GO, "go", line)
    assert scope.enclosing == ("Repo.Save",)
    assert declared(scope) == [
        ("label", "local", None, line - 1),
        ("i", "local", None, 26),
        ("item", "local", None, 26),
        ("start", "local", "int", 24),
        ("repo", "local", "Repo", 25),
        ("r", "parameter", "*Repo", 23),
        ("ctx", "parameter", "context.Context", 23),
        ("items", "parameter", "[]string", 23),
        ("n", "parameter", "int", 23),
        ("err", "parameter", "error", 23),
        *PACKAGE,
    ]
    assert scope.lookup("Save") is None, "methods are not package-level names"
    closing = scope_at(GO, "go", at(GO, "return n, nil") + 1)
    assert closing.lookup("process") is not None, "the closing brace still sees the body's locals"
    assert scope.lookup("pg") == ScopedName("pg", "import", None, 5, "github.com/jackc/pgx/v5")


def test_if_initializer_is_visible_in_both_branches_only() -> None:
    then = scope_at(GO, "go", at(GO, "n = count"))
    assert then.lookup("count") == ScopedName("count", "local", None, 30)
    assert then.lookup("ok") == ScopedName("ok", "local", None, 30)
    assert then.lookup("label") is None and then.lookup("i") is None
    otherwise = scope_at(GO, "go", at(GO, "n = start"))
    assert otherwise.lookup("ok") is not None
    after = scope_at(GO, "go", at(GO, "switch v"))
    assert after.lookup("ok") is None


def test_type_switch_variable_takes_the_case_type() -> None:
    assert scope_at(GO, "go", at(GO, "_ = v", 1)).lookup("v") == ScopedName("v", "local", "string", 35)
    assert scope_at(GO, "go", at(GO, "_ = v", 2)).lookup("v") == ScopedName("v", "local", None, 35)


def test_function_literal_parameters_and_not_yet_declared_names() -> None:
    scope = scope_at(GO, "go", at(GO, "return limit > start"))
    assert scope.enclosing == ("Repo.Save",)
    assert declared(scope)[:2] == [("limit", "parameter", "int", 41), ("start", "local", "int", 24)]
    assert scope.lookup("process") is None, "a short variable declaration binds after its value"
    last = scope_at(GO, "go", at(GO, "return n, nil"))
    assert last.lookup("process") == ScopedName("process", "local", "func(limit int) bool", 41)
    other = scope_at(GO, "go", at(GO, "_ = later"))
    assert other.enclosing == ("helper",)
    assert declared(other) == [("later", "local", None, at(GO, "later :=")), *PACKAGE]


def test_generic_type_and_method_type_parameters() -> None:
    source = b"""package p

type List[T any, K comparable] struct {
	items []T
}

func (l *List[T, K]) Push(v T) {
	l.items = append(l.items, v)
}
"""
    assert declared(scope_at(source, "go", 4))[:2] == [
        ("T", "type_parameter", "any", 3),
        ("K", "type_parameter", "comparable", 3),
    ]
    method = scope_at(source, "go", 8)
    assert method.enclosing == ("List.Push",)
    assert declared(method) == [
        ("l", "parameter", "*List[T, K]", 7),
        ("v", "parameter", "T", 7),
        ("T", "type_parameter", None, 7),
        ("K", "type_parameter", None, 7),
        ("List", "module", "type List[T any, K comparable] struct", 3),
    ]
    assert members(source, "go", "List") == (
        Member("items", "field", "[]T", None, 4),
        Member("Push", "method", None, "func (l *List[T, K]) Push(v T)", 7),
    )


def test_go_builtins() -> None:
    scope = scope_at(GO, "go", 1)
    assert scope.lookup("len") == ScopedName("len", "builtin", "func", None)
    assert scope.lookup("error") == ScopedName("error", "builtin", "type", None)
    assert scope.lookup("nil") == ScopedName("nil", "builtin", None, None)
    assert scope.lookup("iota") == ScopedName("iota", "builtin", "int", None)
    assert scope.lookup("NewRepo") is not None, "package-level names are visible everywhere"


def test_inference() -> None:
    source = b"""package p

func f() {
\ta, b := 1.5, 'r'
\tc := &Point{X: 1}
\td := new(Point)
\te := make([]string, 0)
\tvar g, h = "s", `raw`
\tvar k int64
\tm := float32(2)
\tq := compute()
\t_ = q
}
"""
    scope = scope_at(source, "go", 12)
    assert declared(scope)[:10] == [
        ("a", "local", "float64", 4),
        ("b", "local", "rune", 4),
        ("c", "local", "*Point", 5),
        ("d", "local", "*Point", 6),
        ("e", "local", "[]string", 7),
        ("g", "local", "string", 8),
        ("h", "local", "string", 8),
        ("k", "local", "int64", 9),
        ("m", "local", "float32", 10),
        ("q", "local", None, 11),
    ]


def test_go_members() -> None:
    assert members(GO, "go", "Repo") == (
        Member("db", "field", "*pg.Conn", None, 14),
        Member("name", "field", "string", None, 15),
        Member("Base", "field", "*Base", None, 16),
        Member(
            "Save",
            "method",
            "(n int, err error)",
            "func (r *Repo) Save(ctx context.Context, items ...string) (n int, err error)",
            23,
        ),
    )
    interface = b"package p\n\ntype Store interface {\n\tGet(id string) (*Repo, error)\n\tio.Closer\n}\n"
    assert members(interface, "go", "Store") == (
        Member("Get", "method", "(*Repo, error)", "Get(id string) (*Repo, error)", 4),
    )
    assert members(GO, "go", "Missing") == ()


def test_syntax_errors_never_raise() -> None:
    broken = GO.replace(b"start := 0", b"start := (", 1)
    for line in range(1, broken.count(b"\n") + 1):
        scope_at(broken, "go", line)
    assert scope_at(broken, "go", at(GO, "repo := Repo{}")).lookup("ctx") is not None


def test_module_members_are_exported_names() -> None:
    index = extract("store.go", GO, "go")
    assert [(item.name, item.kind) for item in module_members(index)] == [
        ("MaxRows", "constant"),
        ("Repo", "class"),
        ("NewRepo", "function"),
    ]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("context", "context"),
        ("net/http", "http"),
        ("github.com/jackc/pgx/v5", "pgx"),
        ("gopkg.in/yaml.v3", "yaml"),
        ("github.com/mattn/go-sqlite3", "sqlite3"),
    ],
)
def test_package_name_from_import_path(path: str, name: str) -> None:
    assert package_name(path) == name
