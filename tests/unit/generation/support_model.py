"""Test helpers for model candidates: the context from a few files' texts, indexed in-process."""

from __future__ import annotations

from collections.abc import Mapping

from maze.analysis import is_python
from maze.generation.candidates import ModelContext
from maze.indexing.extract import extract


def model_context(texts: Mapping[str, str]) -> ModelContext:
    """The context from `path -> text` alone: each Python file indexed, all of them the changed ones."""
    files = {path: extract(path, text.encode(), "python") for path, text in texts.items() if is_python(path)}
    return ModelContext(files, tuple(files))
