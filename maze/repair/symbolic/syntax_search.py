"""Syntax repair by search: the smallest token insertion or deletion that makes a Python file parse.

    repairs(context) -> list[Candidate]
    search(text, place, budget=None) -> list[Fix]      the fixes themselves, best first

For a `SyntaxFault`, edits are tried in a window of lines around the reported position and around the
position CPython's parser now reports (a few lines before it, since an unclosed bracket is reported where
it opened or where the statement ends, and a few after it for a bracket never closed). One edit inserts a
token from a small alphabet (`:` `)` `]` `}` `,` `(` `"` `'`), a closing bracket on a line of its own, or
an indentation step, or deletes one token; tokens and positions come from `tokenize`, with a
character-level scan for lines it could not read. An edit fixes the file when CPython's parser accepts it
(`ast.parse`: parsed, never compiled or run) and tree-sitter finds no error. Edit distance 1 is searched
first; distance 2 only when no single edit works, built on the single edits that moved the parser's error
further on. The search stops after `MAX_ATTEMPTS` parses or `MAX_SECONDS`, so a hopeless file gets [].

Fixes are ranked by number of edits, then by how common the fix is (a colon ending a `def`/`if`/... line,
a bracket closed at the end of its line), then by distance from the reported position. Source
"symbolic:syntax".
"""

from __future__ import annotations

import io
import re
import time
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field

from maze.analysis import is_python
from maze.repair.context import RepairContext
from maze.repair.messages import SyntaxFault
from maze.suggestions import Candidate
from maze.syntax import SyntaxProblem, python_parser_error, tree_sitter_errors

SOURCE = "symbolic:syntax"
MAX_ATTEMPTS = 2000
MAX_SECONDS = 2.0
MAX_RESULTS = 3
_BEFORE = 2
_AFTER = 1
_UNCLOSED_REACH = 6
_PROGRESS_KEPT = 8
_INDENT = "    "
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_COMPOUND = re.compile(
    r"^\s*(?:async\s+)?(?:def|class|if|elif|else|for|while|try|except|finally|with|match|case)\b"
)
_WORDS = frozenset({tokenize.NAME, tokenize.NUMBER, tokenize.STRING})


@dataclass(frozen=True)
class Edit:
    """Replace `remove` characters at `offset` with `insert`; `prior` is how unusual the fix is (0 common)."""

    offset: int
    remove: int
    insert: str
    line: int
    column: int
    prior: int
    what: str

    def apply(self, text: str) -> str:
        return text[: self.offset] + self.insert + text[self.offset + self.remove :]


@dataclass(frozen=True)
class Fix:
    """A sequence of edits (applied in order) and the text they give."""

    edits: tuple[Edit, ...]
    text: str


# Where edits may go


@dataclass(frozen=True)
class _Token:
    kind: int
    text: str
    line: int
    start: int
    end: int


def _tokens(text: str) -> tuple[list[_Token], set[int]]:
    """The tokens `tokenize` reads before it gives up, and the lines where it met an error token."""
    found: list[_Token] = []
    broken: set[int] = set()
    try:
        for item in tokenize.generate_tokens(io.StringIO(text).readline):
            if item.type == tokenize.ERRORTOKEN:
                broken.add(item.start[0])
            elif item.start[0] == item.end[0]:
                found.append(_Token(item.type, item.string, item.start[0], item.start[1], item.end[1]))
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return found, broken


def _char_tokens(line_number: int, line: str) -> list[_Token]:
    """A character-level reading of one line: runs of word characters, and each other visible character."""
    return [
        _Token(
            tokenize.NAME if match.group()[0].isalnum() or match.group()[0] == "_" else tokenize.OP,
            match.group(),
            line_number,
            match.start(),
            match.end(),
        )
        for match in re.finditer(r"\w+|[^\w\s]", line)
    ]


@dataclass
class _Layout:
    """The text's lines, and per window line the tokens edits are placed around."""

    text: str
    lines: list[str]
    starts: list[int]
    tokens: dict[int, list[_Token]] = field(default_factory=dict)
    open_at: dict[int, tuple[str, int]] = field(default_factory=dict)
    """Per window line, the innermost bracket open at its start and the line that opened it."""

    @classmethod
    def of(cls, text: str, window: range) -> _Layout:
        lines = text.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        layout = cls(text, lines, starts)
        found, broken = _tokens(text)
        by_line: dict[int, list[_Token]] = {}
        for token in found:
            by_line.setdefault(token.line, []).append(token)
        for number in window:
            content = layout.content(number)
            read = [t for t in by_line.get(number, []) if t.kind in _WORDS or t.kind == tokenize.OP]
            layout.tokens[number] = read if read and number not in broken else _char_tokens(number, content)
        layout.open_at = _open_brackets(found, window)
        return layout

    def content(self, number: int) -> str:
        """Line `number` without its ending and trailing comment or spaces (a best effort on `#`)."""
        if not 1 <= number <= len(self.lines):
            return ""
        line = self.lines[number - 1].rstrip("\r\n")
        if "#" in line and "'" not in line and '"' not in line:
            line = line[: line.index("#")]
        return line.rstrip()

    def offset(self, number: int, column: int) -> int:
        return self.starts[number - 1] + column


def _window(text: str, path: str, line: int, end_line: int) -> range:
    """Lines to edit: around the reported lines and around the parser's current error."""
    count = len(text.splitlines())
    low, high = line - _BEFORE, min(max(end_line, line), line + _UNCLOSED_REACH) + _AFTER
    error = _python_error(text, path)
    if error is not None and error.line > 0:
        low, high = min(low, error.line - _BEFORE), max(high, error.line + _AFTER)
        if "never closed" in error.message:
            high = max(high, error.line + _UNCLOSED_REACH)
    return range(max(low, 1), min(high, count) + 1)


def _edits(layout: _Layout, window: range) -> Iterator[Edit]:
    for number in window:
        yield from _line_edits(layout, number)
        yield from _own_line_closers(layout, number)


def _line_edits(layout: _Layout, number: int) -> Iterator[Edit]:
    content = layout.content(number)
    if not content.strip():
        return
    tokens = layout.tokens.get(number, [])
    end = len(content)
    compound = bool(_COMPOUND.match(content))
    yield _insert(layout, number, end, ":", 0 if compound else 5, "Add the missing `:`")
    closing = 2 if content.endswith(",") else 1
    for closer in ")]}":
        yield _insert(layout, number, end, closer, closing, f"Add the missing `{closer}`")
    for quote in "\"'":
        if content.count(quote) % 2:
            yield _insert(layout, number, end, quote, 1, f"Close the string with `{quote}`")
    for token in tokens:
        yield from _around(layout, number, token, end)
        yield from _delete(layout, token)
    yield from _indentation(layout, number, content)


def _around(layout: _Layout, number: int, token: _Token, end: int) -> Iterator[Edit]:
    if token.end < end:
        yield _insert(layout, number, token.end, ",", 2, "Add the missing `,`")
        for closer in ")]}":
            yield _insert(layout, number, token.end, closer, 4, f"Add the missing `{closer}`")
        yield _insert(layout, number, token.end, ":", 5, "Add the missing `:`")
    yield _insert(layout, number, token.start, "(", 7, "Add the missing `(`")
    for quote in "\"'":
        yield _insert(layout, number, token.start, quote, 6, f"Add the missing `{quote}`")
        yield _insert(layout, number, token.end, quote, 6, f"Add the missing `{quote}`")


def _indentation(layout: _Layout, number: int, content: str) -> Iterator[Edit]:
    code = _shortened(content.strip())
    yield _insert(layout, number, 0, _INDENT, 3, f"Indent `{code}` one more level")
    if content.startswith(_INDENT):
        what = f"Indent `{code}` one level less"
        yield Edit(layout.offset(number, 0), len(_INDENT), "", number, 0, 3, what)


def _shortened(code: str, most: int = 40) -> str:
    return code if len(code) <= most else code[: most - 3].rstrip() + "..."


def _own_line_closers(layout: _Layout, number: int) -> Iterator[Edit]:
    """A closing bracket on a new line before line `number`, indented like the line that opened it."""
    opener = layout.open_at.get(number)
    if opener is None or number > len(layout.lines):
        return
    bracket, opened = opener
    line = layout.lines[opened - 1]
    indent = line[: len(line) - len(line.lstrip())]
    closer = _CLOSERS[bracket]
    prior = 1 if layout.content(number - 1).endswith(",") else 3
    what = f"Close the `{bracket}` with `{closer}` on its own line"
    yield Edit(layout.offset(number, 0), 0, f"{indent}{closer}\n", number, 0, prior, what)


def _open_brackets(tokens: list[_Token], window: range) -> dict[int, tuple[str, int]]:
    """For each window line, the innermost bracket open at its start and the line it opened on."""
    stack: list[tuple[str, int]] = []
    found: dict[int, tuple[str, int]] = {}
    pending = iter(tokens)
    token = next(pending, None)
    for number in window:
        while token is not None and token.line < number:
            if token.kind == tokenize.OP and token.text in _CLOSERS:
                stack.append((token.text, token.line))
            elif token.kind == tokenize.OP and token.text in ")]}" and stack:
                stack.pop()
            token = next(pending, None)
        if stack:
            found[number] = stack[-1]
    return found


def _insert(layout: _Layout, number: int, column: int, text: str, prior: int, what: str) -> Edit:
    return Edit(layout.offset(number, column), 0, text, number, column, prior, what)


def _delete(layout: _Layout, token: _Token) -> Iterator[Edit]:
    """Delete `token`, unless that would glue the words either side of it into one."""
    line = layout.lines[token.line - 1]
    left, right = line[token.start - 1 : token.start], line[token.end : token.end + 1]
    if token.start > 0 and _is_word(left) and _is_word(right):
        return
    prior = 3 if token.kind == tokenize.OP and token.text not in "\"'" else 6
    what = f"Remove the extra `{token.text}`"
    offset = layout.offset(token.line, token.start)
    yield Edit(offset, token.end - token.start, "", token.line, token.start, prior, what)


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"


# The search


@dataclass
class Budget:
    """How many more parses a search may try, and the `time.monotonic()` after which it tries none."""

    attempts: int
    deadline: float

    def spend(self) -> bool:
        """Whether one more parse is allowed (and count it)."""
        if self.attempts <= 0 or time.monotonic() > self.deadline:
            return False
        self.attempts -= 1
        return True


def _python_error(text: str, path: str) -> SyntaxProblem | None:
    try:
        return python_parser_error(text, path)
    except (ValueError, RecursionError, MemoryError) as error:
        return SyntaxProblem(0, str(error))


def _parses(text: str, path: str, error: SyntaxProblem | None) -> bool:
    return error is None and not tree_sitter_errors(text)


@dataclass(frozen=True)
class Place:
    """Where the finding is: its path, and its 1-based line, end line and 0-based column."""

    path: str
    line: int
    end_line: int
    column: int


def _single(text: str, place: Place, budget: Budget) -> tuple[list[Fix], list[Edit]]:
    """The single edits that make `text` parse, and those that move the parser's error further on."""
    before = _python_error(text, place.path)
    window = _window(text, place.path, place.line, place.end_line)
    layout = _Layout.of(text, window)
    edits = sorted(set(_edits(layout, window)), key=lambda edit: _edit_key(edit, place))
    fixed: list[Fix] = []
    moved: list[Edit] = []
    tried: set[str] = set()
    for edit in edits:
        after = edit.apply(text)
        if after in tried:
            continue
        tried.add(after)
        if not budget.spend():
            break
        error = _python_error(after, place.path)
        if _parses(after, place.path, error):
            fixed.append(Fix((edit,), after))
            if len(fixed) >= MAX_RESULTS:
                break  # edits are tried best first, so the rest would rank lower
        elif _further(error, before):
            moved.append(edit)
    return fixed, moved


def _further(error: SyntaxProblem | None, before: SyntaxProblem | None) -> bool:
    if error is None or before is None:
        return error is None
    return error.line > before.line or (error.line == before.line and error.message != before.message)


def _edit_key(edit: Edit, place: Place) -> tuple[int, int, int]:
    return (edit.prior, abs(edit.line - place.line), abs(edit.column - place.column))


def _fix_key(fix: Fix, place: Place) -> tuple[int, int, int, int]:
    keys = [_edit_key(edit, place) for edit in fix.edits]
    priors, lines, columns = zip(*keys, strict=True)
    return (len(fix.edits), sum(priors), min(lines), min(columns))


def search(text: str, place: Place, budget: Budget | None = None) -> list[Fix]:
    """Fixes that make `text` parse with the fewest edits, best first; [] when none is found in budget."""
    budget = budget or Budget(MAX_ATTEMPTS, time.monotonic() + MAX_SECONDS)
    if _parses(text, place.path, _python_error(text, place.path)):
        return []
    fixed, moved = _single(text, place, budget)
    if not fixed:
        for first in moved[:_PROGRESS_KEPT]:
            seconds, _ = _single(first.apply(text), place, budget)
            fixed.extend(Fix((first, *second.edits), second.text) for second in seconds)
    unique: dict[str, Fix] = {}
    for fix in sorted(fixed, key=lambda item: _fix_key(item, place)):
        unique.setdefault(fix.text, fix)
    return list(unique.values())


def _description(fix: Fix) -> str:
    first, *rest = [edit.what for edit in fix.edits]
    return first if not rest else f"{first}, and {rest[0][0].lower()}{rest[0][1:]}"


def repairs(context: RepairContext) -> list[Candidate]:
    """The smallest edits that make the file parse, as candidates; [] for other findings."""
    if not isinstance(context.fact, SyntaxFault) or not is_python(context.path):
        return []
    problem = context.problem
    place = Place(problem.path, max(problem.line, 1), problem.end_line, max(problem.column - 1, 0))
    try:
        fixes = search(context.text, place)
    except (ValueError, RecursionError, MemoryError, IndexError):
        return []
    found = [
        context.rewrite(fix.text, source=SOURCE, description=_description(fix)) for fix in fixes[:MAX_RESULTS]
    ]
    return [candidate for candidate in found if candidate is not None]
