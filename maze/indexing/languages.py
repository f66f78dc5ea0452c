"""The languages the indexer understands: file detection, grammars, parsers' languages and tag queries.

Nothing is loaded at import time: grammars, queries and versions are built on first use and cached per
process. A long-lived worker calls `warm_up()` once at start, so no request pays for compiling queries.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os.path
import re
from collections.abc import Callable, Iterable
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

    @property
    def tag_query(self) -> tree_sitter.Query:
        """The tag query as the extractor runs it, built once per process.

        The `@reference.*` nodes are not captured (a reference is its `@name`), which saves building a
        node object for most matches; every pattern matches exactly as in `query`.
        """
        return _tag_query(self.name)

    @property
    def pattern_captures(self) -> tuple[frozenset[str], ...]:
        """Per pattern of the tag query, in order, the capture names it uses."""
        return _pattern_captures(self.name)


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
_CAPTURE_NAME = re.compile(r"[\w.?!-]+")
_UNCAPTURED = ("reference.call", "reference.type")


def get(name: str) -> Language:
    """The registered language called `name`; KeyError for an unknown one."""
    return LANGUAGES[name]


_BY_EXTENSION: dict[str, str] = {}
for _language in LANGUAGES.values():
    for _extension in _language.extensions:
        _BY_EXTENSION.setdefault(_extension, _language.name)


def extension(path: str) -> str:
    """`os.path.splitext(path)[1]` for a POSIX path: from the name's last dot, unless only dots lead to it."""
    dot = path.rfind(".")
    start = path.rfind("/") + 1
    if dot <= start or not path[start:dot].lstrip("."):
        return ""
    return path[dot:]


def detect(path: str, first_line: bytes | None) -> str | None:
    """Language name for a file, by extension first, then by a `#!` interpreter line; None if unknown."""
    found = _BY_EXTENSION.get(extension(path).lower())
    if found is not None:
        return found
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
def _tag_query(name: str) -> tree_sitter.Query:
    language = LANGUAGES[name]
    query = tree_sitter.Query(language.ts_language, language.query_source)
    for capture in _UNCAPTURED:
        query.disable_capture(capture)
    return query


@cache
def _pattern_captures(name: str) -> tuple[frozenset[str], ...]:
    language = LANGUAGES[name]
    query, source = _tag_query(name), language.query_source.encode("utf-8")
    return tuple(
        captures_in(source[query.start_byte_for_pattern(i) : query.end_byte_for_pattern(i)].decode("utf-8"))
        for i in range(query.pattern_count)
    )


def captures_in(pattern: str) -> frozenset[str]:
    """The `@capture` names in query text, leaving out `; comments` and `"strings"`."""
    names: set[str] = set()
    position, end = 0, len(pattern)
    while position < end:
        char = pattern[position]
        if char == '"':
            position += 1
            while position < end and pattern[position] != '"':
                position += 2 if pattern[position] == "\\" else 1
        elif char == ";":
            newline = pattern.find("\n", position)
            position = end if newline < 0 else newline
        elif char == "@":
            found = _CAPTURE_NAME.match(pattern, position + 1)
            if found is not None:
                names.add(found.group())
                position = found.end() - 1
        position += 1
    return frozenset(names)


def compile_queries(names: Iterable[str]) -> None:
    """Compile the tag queries of these languages now, if not yet done in this process."""
    for name in names:
        _tag_query(name)
        _pattern_captures(name)


def warm_up() -> None:
    """Load every grammar and compile every tag query now, once per process (about 70 ms in all).

    For a long-lived worker: call it at start, before any fork, so no request pays for it and forked
    children inherit the compiled queries.
    """
    compile_queries(LANGUAGES)
    for language in LANGUAGES.values():
        _query_hash(language.query_name)
        _distribution_version(language.distribution)


@cache
def _distribution_version(distribution: str) -> str:
    return importlib.metadata.version(distribution)


@cache
def _query_hash(query_name: str) -> str:
    return hashlib.sha256(_query_source(query_name).encode("utf-8")).hexdigest()
