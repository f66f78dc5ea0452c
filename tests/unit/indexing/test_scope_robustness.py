"""`scope_at` and `members` answer for every line of damaged files in every language, and never raise."""

from __future__ import annotations

import pytest

from maze.indexing.scope import members, scope_at
from tests.unit.indexing.test_scope import PYTHON
from tests.unit.indexing.test_scope_ecmascript import JAVASCRIPT, TYPESCRIPT
from tests.unit.indexing.test_scope_go import GO
from tests.unit.indexing.test_scope_rust import RUST

SAMPLES = [
    pytest.param(language, source, container, id=language)
    for language, source, container in [
        ("python", PYTHON, "Repo"),
        ("typescript", TYPESCRIPT, "Circle"),
        ("tsx", TYPESCRIPT, "Circle"),
        ("javascript", JAVASCRIPT, "Greeter"),
        ("go", GO, "Repo"),
        ("rust", RUST, "Point"),
    ]
]


def damaged(source: bytes) -> list[bytes]:
    """Truncations mid-token and gaps cut out of the middle, at spread-out offsets."""
    offsets = range(len(source) // 11, len(source), len(source) // 11)
    return [source[:offset] for offset in offsets] + [
        source[:offset] + source[offset + 9 :] for offset in offsets
    ]


@pytest.mark.parametrize(("language", "source", "container"), SAMPLES)
def test_damaged_files_still_answer_for_every_line(language: str, source: bytes, container: str) -> None:
    for variant in damaged(source):
        lines = variant.count(b"\n") + (0 if variant.endswith(b"\n") else 1)
        for line in range(1, lines + 1):
            scope = scope_at(variant, language, line)
            assert scope.names, "builtins at least"
            assert len({item.name for item in scope.names}) == len(scope.names), "each name once"
        assert isinstance(members(variant, language, container), tuple)


@pytest.mark.parametrize(("language", "source", "container"), SAMPLES)
def test_invalid_utf8_is_replaced_not_raised(language: str, source: bytes, container: str) -> None:
    corrupted = source.replace(b"e", b"\xff", 3)
    for line in range(1, corrupted.count(b"\n") + 1):
        for item in scope_at(corrupted, language, line).names:
            assert isinstance(item.name, str)
    assert all(isinstance(item.name, str) for item in members(corrupted, language, container))
