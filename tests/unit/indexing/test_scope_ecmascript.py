"""Scope at a line and members for TypeScript, TSX and JavaScript."""

from __future__ import annotations

import pytest

from maze.indexing.extract import extract
from maze.indexing.scope import Member, ScopedName, members, module_members, scope_at
from tests.unit.indexing.test_scope import at, declared

TYPESCRIPT = b"""import React, { useState as useS } from "react";
import * as path from "node:path";

export const LIMIT = 10;
let counter: number = 0;

export interface Shape {
  area(): number;
  readonly name?: string;
}

export class Circle<T> implements Shape {
  static count = 0;
  private cache: Map<string, T> = new Map();
  constructor(private readonly radius: number, public label = "c") {
    this.created = new Date();
  }
  get name(): string {
    return this.label;
  }
  area(): number {
    const factor = Math.PI;
    for (const [key, value] of this.cache) {
      console.log(key, value);
    }
    return factor * this.radius ** 2;
  }
}

export function total(shapes: Shape[], { scale = 1 }: Options = {}): number {
  let sum = 0;
  for (let i = 0; i < shapes.length; i++) {
    const shape = shapes[i];
    if (shape) {
      var seen = true;
    }
    sum += shape.area() * scale;
  }
  try {
    helper();
  } catch (err: unknown) {
    console.error(err);
  }
  function helper() {}
  return sum;
}

export enum Color { Red, Green = 2 }
export type Point = { x: number; move(dx: number): Point };
"""

JAVASCRIPT = b"""const fs = require("fs");
const { join } = require("path");
import def, { x as y } from "./x.js";

function greet(name, greeting = "hi", ...rest) {
  const message = `${greeting} ${name}`;
  const format = function fmt(value) {
    return fmt.name + value;
  };
  return message;
}

class Greeter extends Base {
  count = 0;
  constructor(who) {
    this.who = who;
  }
  hello() {
    return greet(this.who);
  }
}
const later = 1;
"""

TS_MODULE = [
    ("React", "import", None, 1),
    ("useS", "import", None, 1),
    ("path", "import", None, 2),
    ("LIMIT", "module", "number", 4),
    ("counter", "module", "number", 5),
    ("Shape", "module", "interface Shape", 7),
    ("Circle", "module", "class Circle<T> implements Shape", 12),
    ("total", "module", "function total(shapes: Shape[], { scale = 1 }: Options = {}): number", 30),
    ("Color", "module", "enum Color", 48),
    ("Point", "module", "type Point = { x: number; move(dx: number): Point }", 49),
]


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_method_sees_loop_bindings_locals_and_class_type_parameters(language: str) -> None:
    scope = scope_at(TYPESCRIPT, language, at(TYPESCRIPT, "console.log(key, value)"))
    assert scope.enclosing == ("Circle", "Circle.area")
    assert declared(scope) == [
        ("key", "local", None, 23),
        ("value", "local", None, 23),
        ("factor", "local", None, 22),
        ("T", "type_parameter", None, 12),
        *TS_MODULE,
    ]
    assert scope.lookup("console") == ScopedName("console", "builtin", "Console", None)
    assert scope.lookup("Partial") == ScopedName("Partial", "builtin", "type", None)


def test_block_scoping_hoisting_and_var() -> None:
    scope = scope_at(TYPESCRIPT, "typescript", at(TYPESCRIPT, "sum += shape.area()"))
    assert scope.enclosing == ("total",)
    assert declared(scope)[:8] == [
        ("shape", "local", None, 33),
        ("i", "local", "number", 32),
        ("sum", "local", "number", 31),
        ("seen", "local", "boolean", 35),
        ("helper", "local", "function helper()", 44),
        ("shapes", "parameter", "Shape[]", 30),
        ("scale", "parameter", None, 30),
        ("React", "import", None, 1),
    ]
    assert scope.lookup("err") is None
    after_loop = scope_at(TYPESCRIPT, "typescript", at(TYPESCRIPT, "helper();"))
    assert after_loop.lookup("i") is None and after_loop.lookup("shape") is None
    assert after_loop.lookup("seen") == ScopedName("seen", "local", "boolean", 35), "var is function-scoped"
    handler = scope_at(TYPESCRIPT, "typescript", at(TYPESCRIPT, "console.error(err)"))
    assert handler.lookup("err") == ScopedName("err", "local", "unknown", 41)


def test_constructor_parameters_and_module_level_order() -> None:
    scope = scope_at(TYPESCRIPT, "typescript", at(TYPESCRIPT, "this.created"))
    assert declared(scope)[:2] == [
        ("radius", "parameter", "number", 15),
        ("label", "parameter", "string", 15),
    ]
    top = scope_at(TYPESCRIPT, "typescript", at(TYPESCRIPT, "let counter"))
    assert declared(top) == [
        ("React", "import", None, 1),
        ("useS", "import", None, 1),
        ("path", "import", None, 2),
        ("LIMIT", "module", "number", 4),
        ("counter", "module", "number", 5),
        ("Shape", "module", "interface Shape", 7),
        ("total", "module", "function total(shapes: Shape[], { scale = 1 }: Options = {}): number", 30),
        ("Color", "module", "enum Color", 48),
        ("Point", "module", "type Point = { x: number; move(dx: number): Point }", 49),
    ], "let, const and class wait for their line; functions, interfaces, enums and types are hoisted"


def test_typescript_members() -> None:
    assert members(TYPESCRIPT, "typescript", "Circle") == (
        Member("count", "field", "number", None, 13),
        Member("cache", "field", "Map<string, T>", None, 14),
        Member(
            "constructor",
            "constructor",
            None,
            'constructor(private readonly radius: number, public label = "c")',
            15,
        ),
        Member("radius", "field", "number", None, 15),
        Member("label", "field", "string", None, 15),
        Member("created", "attribute", "Date", None, 16),
        Member("name", "property", "string", "get name(): string", 18),
        Member("area", "method", "number", "area(): number", 21),
    )
    assert members(TYPESCRIPT, "tsx", "Shape") == (
        Member("area", "method", "number", "area(): number", 8),
        Member("name", "field", "string", None, 9),
    )
    assert members(TYPESCRIPT, "typescript", "Color") == (
        Member("Red", "variant", None, None, 48),
        Member("Green", "variant", None, None, 48),
    )
    assert members(TYPESCRIPT, "typescript", "Point") == (
        Member("x", "field", "number", None, 49),
        Member("move", "method", "Point", "move(dx: number): Point", 49),
    )
    assert members(TYPESCRIPT, "typescript", "Nothing") == ()


def test_tsx_component() -> None:
    source = b"""import { useState } from "react";

export const App = ({ title }: Props) => {
  const [count, setCount] = useState<number>(0);
  return (
    <div title={title}>{count}</div>
  );
};
"""
    scope = scope_at(source, "tsx", 6)
    assert scope.enclosing == ("App",)
    assert declared(scope) == [
        ("count", "local", None, 4),
        ("setCount", "local", None, 4),
        ("title", "parameter", None, 3),
        ("useState", "import", None, 1),
        ("App", "module", "const App = ({ title }: Props) =>", 3),
    ]


def test_javascript_function_expression_name_and_parameters() -> None:
    scope = scope_at(JAVASCRIPT, "javascript", at(JAVASCRIPT, "return fmt.name"))
    assert scope.enclosing == ("greet", "greet.format"), "as the index names `const format = function ...`"
    assert declared(scope) == [
        ("value", "parameter", None, 7),
        ("fmt", "local", "function fmt(value)", 7),
        ("message", "local", "string", 6),
        ("format", "local", "const format = function fmt(value)", 7),
        ("name", "parameter", None, 5),
        ("greeting", "parameter", None, 5),
        ("rest", "parameter", None, 5),
        ("fs", "import", None, 1),
        ("join", "import", None, 2),
        ("def", "import", None, 3),
        ("y", "import", None, 3),
        ("greet", "module", 'function greet(name, greeting = "hi", ...rest)', 5),
        ("Greeter", "module", "class Greeter extends Base", 13),
        ("later", "module", "number", 22),
    ]
    assert scope.lookup("join") == ScopedName("join", "import", None, 2, "path")
    assert scope.lookup("def") == ScopedName("def", "import", None, 3, "./x.js")
    assert scope.lookup("Partial") is None, "TypeScript's types are not JavaScript globals"


def test_javascript_top_level_temporal_dead_zone() -> None:
    scope = scope_at(JAVASCRIPT, "javascript", 1)
    assert scope.lookup("greet") is not None, "function declarations are hoisted"
    assert scope.lookup("def") is not None, "imports are hoisted"
    assert scope.lookup("Greeter") is None and scope.lookup("later") is None
    assert scope.lookup("fs") == ScopedName("fs", "import", None, 1, "fs")


def test_javascript_members() -> None:
    assert members(JAVASCRIPT, "javascript", "Greeter") == (
        Member("count", "field", "number", None, 14),
        Member("constructor", "constructor", None, "constructor(who)", 15),
        Member("who", "attribute", None, None, 16),
        Member("hello", "method", None, "hello()", 18),
    )


def test_shadowing_catch_and_destructuring() -> None:
    source = b"""const item = "outer";
function run(list) {
  for (const { id, tags: [first, ...others] } of list) {
    const item = id;
    try {
      use(item);
    } catch ({ message }) {
      report(message, item);
    }
  }
}
"""
    scope = scope_at(source, "javascript", 8)
    assert declared(scope)[:6] == [
        ("message", "local", None, 7),
        ("item", "local", None, 4),
        ("id", "local", None, 3),
        ("first", "local", None, 3),
        ("others", "local", None, 3),
        ("list", "parameter", None, 2),
    ]
    assert scope_at(source, "javascript", 11).lookup("item") == ScopedName("item", "module", "string", 1)


def test_syntax_errors_never_raise() -> None:
    broken = TYPESCRIPT.replace(b"area(): number {", b"area(): number {{ (", 1)
    scope = scope_at(broken, "typescript", at(TYPESCRIPT, "const factor"))
    assert scope.lookup("LIMIT") is not None
    for line in range(1, broken.count(b"\n") + 1):
        scope_at(broken, "typescript", line)
    cut = JAVASCRIPT[: JAVASCRIPT.index(b"  };")]
    unclosed = scope_at(cut, "javascript", 8)
    assert unclosed.lookup("value") == ScopedName("value", "parameter", None, 7)
    assert unclosed.lookup("message") == ScopedName("message", "local", "string", 6)


def test_module_members_are_top_level_definitions() -> None:
    index = extract("shape.ts", TYPESCRIPT, "typescript")
    assert [(item.name, item.kind) for item in module_members(index)] == [
        ("LIMIT", "constant"),
        ("counter", "variable"),
        ("Shape", "class"),
        ("Circle", "class"),
        ("total", "function"),
        ("Color", "class"),
        ("Point", "type"),
    ]
