"""What a repair strategy gets: the finding, the file's text, the project around it, and edit helpers.

Strategies return `Candidate`s (whole-line replacements, `maze.suggestions`); `replace_span` turns a
character-level edit into one, so a strategy can think in columns.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

from maze.analysis import Problem
from maze.indexing.scope import Scope, scope_at
from maze.repair.messages import Fact, fact_of
from maze.repair.project import Project
from maze.suggestions import Candidate, line_replacement


@dataclass(frozen=True)
class RepairContext:
    problem: Problem
    text: str
    project: Project

    @property
    def path(self) -> str:
        return self.problem.path

    @cached_property
    def fact(self) -> Fact | None:
        return fact_of(self.problem)

    @cached_property
    def lines(self) -> list[str]:
        """The file's lines, with their line endings."""
        return self.text.splitlines(keepends=True)

    def line_text(self, line: int) -> str:
        """1-based line `line` without its line ending; "" outside the file."""
        if not 1 <= line <= len(self.lines):
            return ""
        return self.lines[line - 1].rstrip("\r\n")

    def scope(self, line: int | None = None) -> Scope | None:
        """The names visible at `line` (default: the finding's line); None when the file cannot say."""
        try:
            return scope_at(self.text.encode("utf-8"), "python", line or self.problem.line)
        except ValueError:
            return None

    def offset(self, line: int, column: int) -> int:
        """The index into `text` of 1-based (line, column), columns counting characters."""
        return sum(len(item) for item in self.lines[: line - 1]) + column - 1

    def span(self, node: ast.stmt | ast.expr | ast.keyword) -> tuple[int, int]:
        """The character offsets into `text` of an `ast` node of it (whose columns count UTF-8 bytes)."""
        end_line = node.end_lineno or node.lineno
        return (
            self.offset(node.lineno, _column(self.line_text(node.lineno), node.col_offset)),
            self.offset(end_line, _column(self.line_text(end_line), node.end_col_offset or 0)),
        )

    def replace_span(
        self, start: int, end: int, new: str, *, source: str, description: str
    ) -> Candidate | None:
        """The whole-line candidate that replaces `text[start:end]` with `new`; None if nothing changes."""
        after = self.text[:start] + new + self.text[end:]
        return self.rewrite(after, source=source, description=description)

    def rewrite(self, after: str, *, source: str, description: str) -> Candidate | None:
        """The whole-line candidate turning the file into `after`; None if nothing changes."""
        return line_replacement(
            self.path, self.text, after, source=source, rule=self.problem.rule, description=description
        )


def _column(line: str, byte_offset: int) -> int:
    """The 1-based character column of a UTF-8 byte offset into `line`."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1
