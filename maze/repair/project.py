"""A repository on disk as repairs see it: the index of every file, and lookups over it.

Project.load(root, session=None) -> Project
    Index `root` (a git work tree or a plain directory) with the shared indexer, reusing the cache in
    `session` when given.
project.source(path) -> bytes | None        the file's bytes, read once
project.modules_of(path) -> list[str]        dotted names `path` can be imported as
project.definitions(name) -> list[Located]   top-level definitions named `name`, any file
project.classes(name) -> list[Located]       classes named `name` (simple or qualified)
project.members(class_name) -> tuple[Member, ...]   members of that class, wherever it is defined
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from maze.indexing.model import Definition, FileIndex
from maze.indexing.repository import RepositoryIndex, index_source
from maze.indexing.scope import Member, members
from maze.indexing.sources import DirectorySource
from maze.validators.related_tests import module_names


@dataclass(frozen=True)
class Located:
    """A definition and the file that holds it."""

    path: str
    definition: Definition


@dataclass
class Project:
    root: Path
    files: dict[str, FileIndex]
    _sources: dict[str, bytes | None] = field(default_factory=dict, repr=False)
    _by_name: dict[str, list[Located]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, root: Path, session: Session | None = None, *, workers: int = 1) -> Project:
        index: RepositoryIndex = index_source(DirectorySource(root), session, workers=workers)
        return cls(root, index.files())

    @classmethod
    def of(cls, root: Path, files: dict[str, FileIndex]) -> Project:
        return cls(root, dict(files))

    def __post_init__(self) -> None:
        grouped: dict[str, list[Located]] = defaultdict(list)
        for path, index in sorted(self.files.items()):
            for definition in index.definitions:
                grouped[definition.name].append(Located(path, definition))
                if definition.qualified_name != definition.name:
                    grouped[definition.qualified_name].append(Located(path, definition))
        self._by_name = dict(grouped)

    def source(self, path: str) -> bytes | None:
        if path not in self._sources:
            target = self.root / path
            try:
                self._sources[path] = target.read_bytes() if target.is_file() else None
            except OSError:
                self._sources[path] = None
        return self._sources[path]

    def language(self, path: str) -> str | None:
        index = self.files.get(path)
        return index.language if index else None

    def modules_of(self, path: str) -> list[str]:
        return module_names(path)

    def definitions(self, name: str) -> list[Located]:
        """Definitions named `name` at the top level of a module (functions, classes, constants)."""
        return [
            item
            for item in self._by_name.get(name, [])
            if item.definition.qualified_name == item.definition.name and item.definition.kind != "method"
        ]

    def classes(self, name: str) -> list[Located]:
        """Classes (and other types) named `name`, simple or qualified."""
        short = name.rsplit(".", 1)[-1]
        return [
            item
            for item in self._by_name.get(short, []) + self._by_name.get(name, [])
            if item.definition.kind in ("class", "type")
        ]

    def members(self, class_name: str) -> tuple[Member, ...]:
        """The members of every class named `class_name` in the repository, in file order, each name once."""
        found: list[Member] = []
        seen: set[str] = set()
        for item in self.classes(class_name):
            source = self.source(item.path)
            language = self.language(item.path)
            if source is None or language is None:
                continue
            for member in members(source, language, item.definition.qualified_name):
                if member.name not in seen:
                    seen.add(member.name)
                    found.append(member)
        return tuple(found)
