"""Extraction of definitions, imports, references and syntax errors, one realistic snippet per language."""

from __future__ import annotations

import hashlib
from importlib.resources import files

import pytest

from maze.indexing.extract import extract
from maze.indexing.languages import LANGUAGES, detect, get
from maze.indexing.model import Definition, FileIndex, Import, Parameter, SyntaxErrorRange

PYTHON = b'''"""Repository access."""
from a.b import c as d, e
import os.path, json as j
from . import sibling

MAX_ROWS = 100
cache: dict[str, int] = {}


class Repo(Base):
    """A repository on disk.

    Details follow.
    """

    @property
    def size(self, *args: int, key: str = "k", **kw) -> int:
        return helper(self.items).count()


def load(path: Path, strict=False) -> Repo | None:
    def inner():
        pass
    return Repo()
'''

TYPESCRIPT = b"""import React, { useState as useS } from "react";
import * as path from "node:path";
import "./styles.css";

export interface Shape extends Base {
  area(): number;
}
export type ID = string | number;
export class Circle implements Shape {
  constructor(private r: number) {}
  area(): number {
    return Math.round(this.r);
  }
}
export const add = (a: number, b = 2): number => a + b;
"""

JAVASCRIPT = b"""const fs = require("fs");
import def from "./x.js";

export function greet(name, greeting = "hi", ...rest) {
  return format(name);
}

class Greeter extends Base {
  hello(who) {
    return this.greet(who);
  }
}
var total = 1;
"""

GO = b"""package store

import (
\t"context"
\tpg "github.com/jackc/pgx/v5"
)

const MaxRows = 100

type Repo struct {
\tdb *pg.Conn
}

type Store interface {
\tGet(ctx context.Context, id string) (*Repo, error)
}

func NewRepo(db *pg.Conn) *Repo {
\treturn &Repo{db: db}
}

func (r *Repo) Save(ctx context.Context, a, b int, tags ...string) error {
\treturn r.db.Ping(ctx)
}
"""

RUST = b"""use std::collections::{HashMap, hash_map::Entry as E};
use crate::model::*;

pub const LIMIT: usize = 10;

pub struct Point<T> {
    x: T,
}

pub trait Shape {
    fn area(&self) -> f64;
}

impl<T> Shape for Point<T> {
    fn area(&self) -> f64 {
        compute(self.x)
    }
}

pub fn distance(a: &Point<f64>, b: &Point<f64>) -> f64 {
    a.norm()
}
"""


def _summary(index: FileIndex) -> list[tuple[str, str, str, int, int]]:
    return [(d.name, d.kind, d.qualified_name, d.start_line, d.end_line) for d in index.definitions]


def _definition(index: FileIndex, qualified_name: str) -> Definition:
    return next(d for d in index.definitions if d.qualified_name == qualified_name)


def _references(index: FileIndex) -> set[tuple[str, int, str]]:
    return {(r.name, r.line, r.kind) for r in index.references}


def test_python_definitions() -> None:
    index = extract("repo.py", PYTHON, "python")
    assert _summary(index) == [
        ("MAX_ROWS", "constant", "MAX_ROWS", 6, 6),
        ("cache", "variable", "cache", 7, 7),
        ("Repo", "class", "Repo", 10, 18),
        ("size", "method", "Repo.size", 16, 18),
        ("load", "function", "load", 21, 24),
        ("inner", "function", "load.inner", 22, 23),
    ]
    repo = _definition(index, "Repo")
    assert repo.signature == "class Repo(Base)"
    assert repo.docstring == "A repository on disk."
    size = _definition(index, "Repo.size")
    assert size.signature == 'def size(self, *args: int, key: str = "k", **kw) -> int'
    assert size.parameters == (
        Parameter("self"),
        Parameter("*args", "int"),
        Parameter("key", "str"),
        Parameter("**kw"),
    )
    assert size.return_type == "int"
    assert size.docstring is None
    load = _definition(index, "load")
    assert load.parameters == (Parameter("path", "Path"), Parameter("strict"))
    assert load.return_type == "Repo | None"
    assert index.syntax_errors == ()


def test_python_imports_and_references() -> None:
    index = extract("repo.py", PYTHON, "python")
    assert index.imports == (
        Import("c", "a.b", "d", 2),
        Import("e", "a.b", None, 2),
        Import("os.path", "os.path", None, 3),
        Import("json", "json", "j", 3),
        Import("sibling", ".", None, 4),
    )
    assert {("Base", 10, "type"), ("helper", 18, "call"), ("count", 18, "call")} <= _references(index)
    assert {("Path", 21, "type"), ("Repo", 24, "call")} <= _references(index)
    assert not any(r.name == "Repo" and r.line == 10 for r in index.references)


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_typescript(language: str) -> None:
    index = extract("shape.ts", TYPESCRIPT, language)
    assert _summary(index) == [
        ("Shape", "class", "Shape", 5, 7),
        ("area", "method", "Shape.area", 6, 6),
        ("ID", "type", "ID", 8, 8),
        ("Circle", "class", "Circle", 9, 14),
        ("constructor", "method", "Circle.constructor", 10, 10),
        ("area", "method", "Circle.area", 11, 13),
        ("add", "function", "add", 15, 15),
    ]
    add = _definition(index, "add")
    assert add.signature == "const add = (a: number, b = 2): number =>"
    assert add.parameters == (Parameter("a", "number"), Parameter("b"))
    assert add.return_type == "number"
    assert _definition(index, "Circle").signature == "class Circle implements Shape"
    assert _definition(index, "Circle.area").return_type == "number"
    assert index.imports == (
        Import("default", "react", "React", 1),
        Import("useState", "react", "useS", 1),
        Import("*", "node:path", "path", 2),
        Import("./styles.css", "./styles.css", None, 3),
    )
    assert {("Base", 5, "type"), ("Shape", 9, "type"), ("round", 12, "call")} <= _references(index)
    assert index.syntax_errors == ()


def test_javascript() -> None:
    index = extract("greet.js", JAVASCRIPT, "javascript")
    assert _summary(index) == [
        ("fs", "constant", "fs", 1, 1),
        ("greet", "function", "greet", 4, 6),
        ("Greeter", "class", "Greeter", 8, 12),
        ("hello", "method", "Greeter.hello", 9, 11),
        ("total", "variable", "total", 13, 13),
    ]
    greet = _definition(index, "greet")
    assert greet.signature == 'function greet(name, greeting = "hi", ...rest)'
    assert greet.parameters == (Parameter("name"), Parameter("greeting"), Parameter("...rest"))
    assert index.imports == (Import("fs", "fs", "fs", 1), Import("default", "./x.js", "def", 2))
    assert {("format", 5, "call"), ("Base", 8, "type"), ("greet", 10, "call")} <= _references(index)


def test_go() -> None:
    index = extract("store.go", GO, "go")
    assert _summary(index) == [
        ("MaxRows", "constant", "MaxRows", 8, 8),
        ("Repo", "class", "Repo", 10, 12),
        ("Store", "class", "Store", 14, 16),
        ("Get", "method", "Store.Get", 15, 15),
        ("NewRepo", "function", "NewRepo", 18, 20),
        ("Save", "method", "Repo.Save", 22, 24),
    ]
    assert _definition(index, "Repo").signature == "type Repo struct"
    save = _definition(index, "Repo.Save")
    assert save.signature == "func (r *Repo) Save(ctx context.Context, a, b int, tags ...string) error"
    assert save.parameters == (
        Parameter("ctx", "context.Context"),
        Parameter("a", "int"),
        Parameter("b", "int"),
        Parameter("tags", "...string"),
    )
    assert save.return_type == "error"
    assert _definition(index, "Store.Get").return_type == "(*Repo, error)"
    assert index.imports == (
        Import("context", "context", None, 4),
        Import("github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5", "pg", 5),
    )
    assert {("Conn", 11, "type"), ("Ping", 23, "call")} <= _references(index)
    assert index.syntax_errors == ()


def test_rust() -> None:
    index = extract("geo.rs", RUST, "rust")
    assert _summary(index) == [
        ("LIMIT", "constant", "LIMIT", 4, 4),
        ("Point", "class", "Point", 6, 8),
        ("Shape", "class", "Shape", 10, 12),
        ("area", "method", "Shape.area", 11, 11),
        ("area", "method", "Point.area", 15, 17),
        ("distance", "function", "distance", 20, 22),
    ]
    assert _definition(index, "Point").signature == "pub struct Point<T>"
    area = _definition(index, "Point.area")
    assert area.parameters == (Parameter("&self"),)
    assert area.return_type == "f64"
    distance = _definition(index, "distance")
    assert distance.parameters == (Parameter("a", "&Point<f64>"), Parameter("b", "&Point<f64>"))
    assert index.imports == (
        Import("HashMap", "std::collections", None, 1),
        Import("Entry", "std::collections::hash_map", "E", 1),
        Import("*", "crate::model", None, 2),
    )
    assert {("Shape", 14, "type"), ("compute", 16, "call"), ("norm", 21, "call")} <= _references(index)


def test_syntax_error_is_reported_and_the_rest_still_indexed() -> None:
    source = b"def ok(a: int) -> int:\n    return a\n\ndef broken(x:\n    return x +\n"
    index = extract("broken.py", source, "python")
    assert [d.qualified_name for d in index.definitions] == ["ok"]
    assert index.syntax_errors == (SyntaxErrorRange(4, 5),)


def test_missing_node_is_a_syntax_error() -> None:
    index = extract("a.go", b"package a\n\nfunc f() {\n\tg(\n}\n", "go")
    assert index.syntax_errors
    assert [d.name for d in index.definitions] == ["f"]


def test_invalid_utf8_does_not_crash() -> None:
    source = b'def ok(x):\n    """Caf\xe9 \xff."""\n    return x\n\ndef caf\xe9():\n    pass\n'
    index = extract("bad.py", source, "python")
    assert index.definitions[0].name == "ok"
    assert index.definitions[0].docstring == "Caf\ufffd \ufffd."
    assert all(isinstance(d.name, str) for d in index.definitions)


def test_query_hash_and_grammar_version() -> None:
    index = extract("x.rs", b"fn main() {}\n", "rust")
    query = (files("maze.indexing") / "queries" / "rust.scm").read_bytes()
    assert index.query_hash == hashlib.sha256(query).hexdigest()
    assert index.grammar_version == get("rust").grammar_version
    assert index.grammar_version[0].isdigit()


@pytest.mark.parametrize("name", sorted(LANGUAGES))
def test_every_query_compiles(name: str) -> None:
    assert get(name).query.pattern_count > 0


@pytest.mark.parametrize(
    ("path", "first_line", "expected"),
    [
        ("a/b.py", None, "python"),
        ("types.pyi", None, "python"),
        ("x.ts", None, "typescript"),
        ("App.tsx", None, "tsx"),
        ("x.js", None, "javascript"),
        ("x.mjs", None, "javascript"),
        ("x.cjs", None, "javascript"),
        ("App.jsx", None, "javascript"),
        ("main.go", None, "go"),
        ("lib.rs", None, "rust"),
        ("README.md", None, None),
        ("bin/tool", b"#!/usr/bin/env python3\n", "python"),
        ("bin/tool", b"#!/usr/bin/python3.11 -u", "python"),
        ("bin/tool", b"#!/usr/bin/env -S node --no-warnings", "javascript"),
        ("bin/tool", b"#!/usr/bin/env -S deno run --allow-net", "typescript"),
        ("bin/tool", b"#!/bin/sh", None),
        ("bin/tool", b"print('no shebang')", None),
        ("bin/tool", None, None),
    ],
)
def test_detect(path: str, first_line: bytes | None, expected: str | None) -> None:
    assert detect(path, first_line) == expected
