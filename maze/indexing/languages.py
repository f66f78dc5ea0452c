"""The languages the indexer understands: file detection, grammars, parsers' languages and tag queries.

Nothing is loaded at import time: grammars, queries and versions are built on first use and cached.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os.path
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import tree_sitter
import tree_sitter_go
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_rust
import tree_sitter_typescript


@dataclass(frozen=True)
class Language:
    """One indexable language: how files are recognised and which grammar and tag query parse them."""

    name: str
    extensions: tuple[str, ...]
    interpreters: tuple[str, ...]
    distribution: str
    query_name: str
    loader: Callable[[], object] = field(repr=False, compare=False)

    @property
    def ts_language(self) -> tree_sitter.Language:
        """The tree-sitter grammar, built once per process."""
        return _ts_language(self.name)

    @property
    def grammar_version(self) -> str:
        """Version of the grammar wheel, part of any cache key for extracted data."""
        return _distribution_version(self.distribution)

    @property
    def query_source(self) -> str:
        return _query_source(self.query_name)

    @property
    def query_hash(self) -> str:
        """sha256 of the tag query file, so cached results are invalidated when the query changes."""
        return _query_hash(self.query_name)

    @property
    def query(self) -> tree_sitter.Query:
        """The compiled tag query, built once per process."""
        return _query(self.name)


LANGUAGES: dict[str, Language] = {
    language.name: language
    for language in (
        Language(
            "python",
            (".py", ".pyi"),
            ("python",),
            "tree-sitter-python",
            "python",
            tree_sitter_python.language,
        ),
        Language(
            "typescript",
            (".ts", ".mts", ".cts"),
            ("deno",),
            "tree-sitter-typescript",
            "typescript",
            tree_sitter_typescript.language_typescript,
        ),
        Language(
            "tsx", (".tsx",), (), "tree-sitter-typescript", "typescript", tree_sitter_typescript.language_tsx
        ),
        Language(
            "javascript",
            (".js", ".mjs", ".cjs", ".jsx"),
            ("node", "nodejs"),
            "tree-sitter-javascript",
            "javascript",
            tree_sitter_javascript.language,
        ),
        Language("go", (".go",), (), "tree-sitter-go", "go", tree_sitter_go.language),
        Language("rust", (".rs",), (), "tree-sitter-rust", "rust", tree_sitter_rust.language),
    )
}

_VERSIONED = re.compile(r"^([a-z]+?)[0-9.]*$")


def get(name: str) -> Language:
    """The registered language called `name`; KeyError for an unknown one."""
    return LANGUAGES[name]


def detect(path: str, first_line: bytes | None) -> str | None:
    """Language name for a file, by extension first, then by a `#!` interpreter line; None if unknown."""
    extension = os.path.splitext(path)[1].lower()
    for language in LANGUAGES.values():
        if extension in language.extensions:
            return language.name
    interpreter = _interpreter(first_line)
    if interpreter is None:
        return None
    for language in LANGUAGES.values():
        if interpreter in language.interpreters:
            return language.name
    return None


def _interpreter(first_line: bytes | None) -> str | None:
    """`python` for `#!/usr/bin/env -S python3.11 -u`, `node` for `#!/usr/local/bin/node`, and so on."""
    if not first_line or not first_line.startswith(b"#!"):
        return None
    words = first_line[2:].decode("utf-8", errors="replace").split()
    if words and os.path.basename(words[0]) == "env":
        words = [word for word in words[1:] if not word.startswith("-") and "=" not in word]
    if not words:
        return None
    program = os.path.basename(words[0]).lower()
    match = _VERSIONED.match(program)
    return match.group(1) if match else program


@cache
def _ts_language(name: str) -> tree_sitter.Language:
    return tree_sitter.Language(LANGUAGES[name].loader())


@cache
def _query_source(query_name: str) -> str:
    return (files(__package__) / "queries" / f"{query_name}.scm").read_text(encoding="utf-8")


@cache
def _query(name: str) -> tree_sitter.Query:
    language = LANGUAGES[name]
    return tree_sitter.Query(language.ts_language, language.query_source)


@cache
def _distribution_version(distribution: str) -> str:
    return importlib.metadata.version(distribution)


@cache
def _query_hash(query_name: str) -> str:
    return hashlib.sha256(_query_source(query_name).encode("utf-8")).hexdigest()
