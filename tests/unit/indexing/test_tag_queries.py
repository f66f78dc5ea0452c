"""The tag queries as the extractor runs them, and the rows it encodes without building records."""

from __future__ import annotations

import pytest
from tree_sitter import Parser, QueryCursor

from maze.indexing.codec import decode, encode, encode_rows, rows_of
from maze.indexing.extract import extract, extract_rows
from maze.indexing.languages import LANGUAGES, captures_in, get
from tests.unit.indexing import test_extract, test_scope_robustness

SAMPLES = {
    "python": [test_extract.PYTHON],
    "typescript": [test_extract.TYPESCRIPT],
    "tsx": [test_extract.TYPESCRIPT],
    "javascript": [test_extract.JAVASCRIPT],
    "go": [test_extract.GO],
    "rust": [test_extract.RUST],
}
for _sample in test_scope_robustness.SAMPLES:
    _language, _source = _sample.values[0], _sample.values[1]
    if isinstance(_language, str) and isinstance(_source, bytes):
        SAMPLES[_language].append(_source)
        SAMPLES[_language].extend(test_scope_robustness.damaged(_source))  # syntax errors of all kinds


def test_captures_in_skips_comments_and_strings() -> None:
    text = '(call name: (_) @name) @reference.call ; not @this\n(#eq? @name "@nor.this \\" @that")\n'
    assert captures_in(text) == {"name", "reference.call"}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_pattern_tags_one_thing(language: str) -> None:
    for captures in get(language).pattern_captures:
        tags = {name for name in captures if name.startswith(("definition.", "reference."))}
        assert ("import" in captures) != bool(tags), captures
        assert len(tags) <= 1, captures


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_pattern_captures_are_those_of_the_matches(language: str) -> None:
    spec = get(language)
    for source in SAMPLES[language]:
        root = Parser(spec.ts_language).parse(source).root_node
        full = QueryCursor(spec.query).matches(root)
        for pattern, captures in full:
            assert set(captures) <= spec.pattern_captures[pattern]
        # The extractor's query matches alike, only without the `@reference.*` nodes.
        lean = QueryCursor(spec.tag_query).matches(root)
        assert [(p, {k: v for k, v in c.items() if not k.startswith("reference.")}) for p, c in full] == lean


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_rows_are_the_records(language: str) -> None:
    for number, source in enumerate(SAMPLES[language]):
        path = f"sample{number}"
        rows = extract_rows(source, language)
        index = extract(path, source, language)
        assert rows_of(index) == rows_of(extract(path, source, language))
        assert encode_rows(rows) == encode(index)
        assert decode(encode_rows(rows), path) == index
