"""Scope at a line and members for Rust."""

from __future__ import annotations

from maze.indexing.extract import extract
from maze.indexing.scope import Member, ScopedName, members, module_members, scope_at
from tests.unit.indexing.test_scope import at, declared

RUST = b"""use std::collections::HashMap;
use std::io::{self, Read as R};

pub const LIMIT: usize = 10;

pub struct Point<T> {
    pub x: T,
    y: f64,
}

pub enum Shape {
    Circle { r: f64 },
    Square(f64),
}

impl<T: Copy> Point<T> {
    pub fn new(x: T) -> Self {
        Point { x, y: 0.0 }
    }

    fn scaled(&self, factor: f64) -> f64 {
        let base = self.y * factor;
        let (count, label) = (3u8, "n");
        let mut cache: HashMap<String, f64> = HashMap::new();
        for (key, value) in cache.iter() {
            let total = base + value;
        }
        if let Some(first) = cache.get("a") {
            return *first;
        } else {
            let fallback = 0.0;
        }
        match self.shape() {
            Shape::Circle { r } => r,
            Shape::Square(side) => {
                side * factor
            }
        }
    }
}

fn outer(a: i32) -> i32 {
    let b = a + 1;
    fn nested(c: i32) -> i32 {
        c * 2
    }
    let closure = |d: i32| {
        d + b
    };
    nested(b)
}

mod inner {
    pub fn f() -> u8 {
        1
    }
}
"""

ITEMS = [
    ("HashMap", "import", None, 1),
    ("io", "import", None, 2),
    ("R", "import", None, 2),
    ("LIMIT", "module", "usize", 4),
    ("Point", "module", "pub struct Point<T>", 6),
    ("Shape", "module", "pub enum Shape", 11),
    ("outer", "module", "fn outer(a: i32) -> i32", at(RUST, "fn outer")),
    ("inner", "module", "mod inner", at(RUST, "mod inner")),
]


def test_method_sees_lets_loop_pattern_parameters_and_items() -> None:
    line = at(RUST, "let total")
    scope = scope_at(RUST, "rust", line)
    assert scope.enclosing == ("Point", "Point.scaled")
    assert declared(scope) == [
        ("total", "local", None, line),
        ("key", "local", None, line - 1),
        ("value", "local", None, line - 1),
        ("base", "local", None, 22),
        ("count", "local", "u8", 23),
        ("label", "local", "&str", 23),
        ("cache", "local", "HashMap<String, f64>", 24),
        ("self", "parameter", "&Point<T>", 21),
        ("factor", "parameter", "f64", 21),
        ("T", "type_parameter", "Copy", 16),
        *ITEMS,
    ]
    assert scope.lookup("io") == ScopedName("io", "import", None, 2, "std::io")
    assert scope.lookup("R") == ScopedName("R", "import", None, 2, "std::io")


def test_if_let_and_match_arm_bindings_stay_in_their_branch() -> None:
    then = scope_at(RUST, "rust", at(RUST, "return *first"))
    assert then.lookup("first") == ScopedName("first", "local", None, at(RUST, "if let Some"))
    assert then.lookup("key") is None and then.lookup("total") is None
    otherwise = scope_at(RUST, "rust", at(RUST, "let fallback"))
    assert otherwise.lookup("first") is None
    arm = scope_at(RUST, "rust", at(RUST, "side * factor"))
    assert arm.lookup("side") == ScopedName("side", "local", None, at(RUST, "Shape::Square(side)"))
    assert arm.lookup("r") is None
    assert arm.lookup("Shape") == ScopedName("Shape", "module", "pub enum Shape", 11)


def test_nested_fn_does_not_see_the_enclosing_locals_but_a_closure_does() -> None:
    nested = scope_at(RUST, "rust", at(RUST, "c * 2"))
    assert nested.enclosing == ("outer", "outer.nested")
    assert declared(nested) == [
        ("c", "parameter", "i32", at(RUST, "fn nested")),
        ("nested", "local", "fn nested(c: i32) -> i32", at(RUST, "fn nested")),
        *ITEMS,
    ]
    closure = scope_at(RUST, "rust", at(RUST, "d + b"))
    assert declared(closure)[:4] == [
        ("d", "parameter", "i32", at(RUST, "let closure")),
        ("b", "local", None, at(RUST, "let b =")),
        ("nested", "local", "fn nested(c: i32) -> i32", at(RUST, "fn nested")),
        ("a", "parameter", "i32", at(RUST, "fn outer")),
    ]
    assert closure.lookup("closure") is None, "a let binds after its value"


def test_a_module_body_sees_only_its_own_items() -> None:
    scope = scope_at(RUST, "rust", at(RUST, "        1"))
    assert scope.enclosing == ("f",)
    assert declared(scope) == [("f", "module", "pub fn f() -> u8", at(RUST, "pub fn f"))]
    assert scope.lookup("Vec") == ScopedName("Vec", "builtin", "struct", None, "std::vec")


def test_rust_builtins() -> None:
    scope = scope_at(RUST, "rust", 1)
    assert scope.lookup("Option") == ScopedName("Option", "builtin", "enum", None, "std::option")
    assert scope.lookup("Some") == ScopedName("Some", "builtin", "Option", None, "std::option")
    assert scope.lookup("u64") == ScopedName("u64", "builtin", "primitive", None)
    assert scope.lookup("println") == ScopedName("println", "builtin", "macro", None, "std")
    assert scope.lookup("Point") is not None, "items are visible throughout their module"


def test_inference_and_shadowing() -> None:
    source = b"""fn main() {
    let x = 5;
    let x = x as u64;
    let p = Point::new();
    let q = Point { x: 1 };
    let o = Some(3);
    let v = vec![1, 2];
    let s = format!("{}", x);
    let f = 2.5f32;
    let (mut m, n): (i64, Vec<(u8, u8)>) = pair();
    let r = &Point { x: 2 };
    println!("{}", x);
}
"""
    scope = scope_at(source, "rust", 12)
    assert declared(scope) == [
        ("x", "local", "u64", 3),
        ("p", "local", "Point", 4),
        ("q", "local", "Point", 5),
        ("o", "local", "Option", 6),
        ("v", "local", "Vec", 7),
        ("s", "local", "String", 8),
        ("f", "local", "f32", 9),
        ("m", "local", "i64", 10),
        ("n", "local", "Vec<(u8, u8)>", 10),
        ("r", "local", "&Point", 11),
        ("main", "module", "fn main()", 1),
    ]


def test_rust_members() -> None:
    assert members(RUST, "rust", "Point") == (
        Member("x", "field", "T", None, 7),
        Member("y", "field", "f64", None, 8),
        Member("new", "function", "Point<T>", "pub fn new(x: T) -> Self", 17),
        Member("scaled", "method", "f64", "fn scaled(&self, factor: f64) -> f64", 21),
    )
    assert members(RUST, "rust", "Shape") == (
        Member("Circle", "variant", None, "Circle { r: f64 }", 12),
        Member("Square", "variant", None, "Square(f64)", 13),
    )
    traits = b"""pub trait Area {
    type Unit;
    const SIDES: u8;
    fn area(&self) -> f64;
}
struct Pair(i32, pub String);
impl Area for Pair {
    type Unit = u8;
    const SIDES: u8 = 2;
    fn area(&self) -> f64 { 0.0 }
}
"""
    assert members(traits, "rust", "Area") == (
        Member("Unit", "type", None, "type Unit", 2),
        Member("SIDES", "constant", "u8", None, 3),
        Member("area", "method", "f64", "fn area(&self) -> f64", 4),
    )
    assert members(traits, "rust", "Pair") == (
        Member("0", "field", "i32", None, 6),
        Member("1", "field", "String", None, 6),
        Member("Unit", "type", "u8", "type Unit = u8", 8),
        Member("SIDES", "constant", "u8", None, 9),
        Member("area", "method", "f64", "fn area(&self) -> f64", 10),
    )


def test_syntax_errors_never_raise() -> None:
    broken = RUST.replace(b"let base = self.y * factor;", b"let base = self.y * (;", 1)
    for line in range(1, broken.count(b"\n") + 1):
        scope_at(broken, "rust", line)
    assert scope_at(broken, "rust", at(RUST, "let mut cache")).lookup("factor") is not None


def test_module_members_are_pub_items() -> None:
    index = extract("geo.rs", RUST, "rust")
    assert [(item.name, item.kind) for item in module_members(index)] == [
        ("LIMIT", "constant"),
        ("Point", "class"),
        ("Shape", "class"),
    ], "f belongs to the inner module"
