"""Prompts for a repair, from the template files in `maze/generation/prompts/`, within a token budget.

A repair prompt carries the diagnostic, the numbered code around it (the lines to replace marked `>`),
the signatures of the definitions named near it and the types the scope knows for its local names, the
repo map for the changed files and, in a later round, the earlier attempts at those lines with what went
wrong with each. Tokens are counted with the repo map's conservative estimate
(`maze.indexing.repomap.estimate_tokens`). The fixed parts (templates, diagnostic, the lines to replace)
always go in; then, in order of importance, the earlier attempts (up to half of what is left, the oldest
dropped first), context lines around the lines to replace (up to half of what is left after that),
signatures (likewise), and the repo map in the rest. The same inputs always give the same prompt.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template

from maze.generation.providers.base import Message
from maze.indexing.model import Definition, FileIndex
from maze.indexing.repomap import MAX_SIGNATURE, build_repo_map, estimate_tokens
from maze.validators.model import Diagnostic

NONE_SHOWN = "(none)"
MAX_MESSAGE_CHARS = 600
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_WINDOW = 2
_DEFINITIONS_PER_NAME = 3


class PromptTooLarge(ValueError):
    """Even without context, the prompt does not fit the token budget."""


@dataclass(frozen=True)
class EarlierAttempt:
    """A replacement written for the same lines in an earlier round, and what went wrong with it: the
    checks' reason and the new diagnostics, or why the output was unusable."""

    replacement: str
    failure: str


@dataclass(frozen=True)
class RepairInputs:
    """What a repair prompt is made from.

    `source` is the file's text and `files` the repository's index (path -> FileIndex; the file itself
    included when indexed); `changed` are the pull request's changed paths, for the repo map. The lines
    to replace (1-based, inclusive) default to the diagnostic's; `output` says what the reply must be.
    `attempts` are the earlier rounds' replacements for those lines, oldest first.
    """

    diagnostic: Diagnostic
    source: str
    language: str
    files: Mapping[str, FileIndex]
    changed: Collection[str]
    output: str
    replace: tuple[int, int] | None = None
    attempts: tuple[EarlierAttempt, ...] = ()


@dataclass(frozen=True)
class Prompt:
    """The messages, their estimated tokens, and what the budget let in."""

    messages: tuple[Message, ...]
    tokens: int
    budget: int
    context_lines: int
    signatures: int
    repo_map_symbols: int
    attempts: int = 0


def repair_prompt(inputs: RepairInputs, token_budget: int = 2000, *, max_context_lines: int = 20) -> Prompt:
    """The repair prompt for `inputs` in at most `token_budget` estimated tokens."""
    lines = inputs.source.splitlines()
    start, end = _replaced_lines(inputs, len(lines))
    system = _template("repair.system.txt").substitute(language=inputs.language)
    user = _template("repair.user.txt")
    fields = _fixed_fields(inputs, start, end)

    def cost(code: str, signatures: str, repo_map: str, attempts: str) -> int:
        text = user.substitute(fields, code=code, signatures=signatures, repo_map=repo_map, attempts=attempts)
        return estimate_tokens(system) + estimate_tokens(text)

    def half(spent: int) -> int:
        return spent + (token_budget - spent) // 2

    bare = _numbered(lines, start, end, 0)
    fixed = cost(bare, NONE_SHOWN, NONE_SHOWN, "")
    if fixed > token_budget:
        raise PromptTooLarge(
            f"the prompt needs {fixed} tokens without context, more than the budget of {token_budget}"
        )
    shown_attempts = _fit_attempts(
        inputs.attempts, lambda text: cost(bare, NONE_SHOWN, NONE_SHOWN, text) <= half(fixed)
    )
    attempts = _attempts_text(shown_attempts)
    most = half(cost(bare, NONE_SHOWN, NONE_SHOWN, attempts))
    context = _fit_context(
        lines,
        start,
        end,
        max_context_lines,
        lambda code: cost(code, NONE_SHOWN, NONE_SHOWN, attempts) <= most,
    )
    code = _numbered(lines, start, end, context)
    spent = cost(code, NONE_SHOWN, NONE_SHOWN, attempts)
    shown_signatures = _fit_lines(_signature_lines(inputs, lines, start, end), (token_budget - spent) // 2)
    signatures = "\n".join(shown_signatures) or NONE_SHOWN
    spent = cost(code, signatures, NONE_SHOWN, attempts)
    # The map takes the place of "(none)", so its own estimate within what is left always fits.
    repo_map = build_repo_map(inputs.files, inputs.changed, token_budget - spent)
    text = user.substitute(
        fields, code=code, signatures=signatures, repo_map=repo_map.text or NONE_SHOWN, attempts=attempts
    )
    return Prompt(
        messages=(Message("system", system), Message("user", text)),
        tokens=estimate_tokens(system) + estimate_tokens(text),
        budget=token_budget,
        context_lines=context,
        signatures=len(shown_signatures),
        repo_map_symbols=len(repo_map.symbols),
        attempts=len(shown_attempts),
    )


def _fit_attempts(
    attempts: Sequence[EarlierAttempt], fits: Callable[[str], bool]
) -> tuple[tuple[int, EarlierAttempt], ...]:
    """The newest attempts (numbered from 1 in the order they were made) whose section `fits`."""
    numbered = tuple(enumerate(attempts, start=1))
    for first in range(len(numbered)):
        if fits(_attempts_text(numbered[first:])):
            return numbered[first:]
    return ()


def _attempts_text(attempts: Sequence[tuple[int, EarlierAttempt]]) -> str:
    """The earlier attempts' section, set off by blank lines; empty when there are none."""
    if not attempts:
        return ""
    shown = "\n".join(
        _template("repair.attempt.txt")
        .substitute(number=number, replacement=_quoted(attempt.replacement), failure=_flat(attempt.failure))
        .rstrip("\n")
        for number, attempt in attempts
    )
    return "\n" + _template("repair.attempts.txt").substitute(attempts=shown).rstrip("\n") + "\n"


def _quoted(code: str) -> str:
    """`code` with each line behind `| `, so its indentation shows; a deletion says so."""
    if not code.strip():
        return "| (nothing: the lines were deleted)"
    return "\n".join(f"| {line}".rstrip() for line in code.splitlines())


def _flat(message: str) -> str:
    """`message` on one line, cut to MAX_MESSAGE_CHARS."""
    flat = " ".join(message.split())
    return flat if len(flat) <= MAX_MESSAGE_CHARS else flat[: MAX_MESSAGE_CHARS - 3].rstrip() + "..."


def _replaced_lines(inputs: RepairInputs, count: int) -> tuple[int, int]:
    start, end = inputs.replace or (inputs.diagnostic.start_line, inputs.diagnostic.end_line)
    if not 1 <= start <= end <= max(count, 1):
        raise ValueError(f"lines {start} to {end} are not a range of the file, which has {count} lines")
    return start, end


def _fixed_fields(inputs: RepairInputs, start: int, end: int) -> dict[str, object]:
    diagnostic = inputs.diagnostic
    message = _flat(diagnostic.message)
    return {
        "tool": diagnostic.tool,
        "rule": diagnostic.code or "a problem",
        "message": message,
        "path": diagnostic.path,
        "line": diagnostic.start_line,
        "column": diagnostic.start_column,
        "start": start,
        "end": end,
        "output": inputs.output,
    }


def _fit_context(lines: Sequence[str], start: int, end: int, most: int, fits: Callable[[str], bool]) -> int:
    """The most context lines on each side, up to `most`, whose numbered window `fits`."""
    best = 0
    for context in range(1, most + 1):
        if start - context < 1 and end + context > len(lines):
            break
        if not fits(_numbered(lines, start, end, context)):
            break
        best = context
    return best


def _numbered(lines: Sequence[str], start: int, end: int, context: int) -> str:
    first, last = max(1, start - context), min(len(lines), end + context)
    width = len(str(last))
    return "\n".join(
        f"{'>' if start <= number <= end else ' '} {number:>{width}} | {lines[number - 1]}".rstrip()
        for number in range(first, last + 1)
    )


def _fit_lines(candidates: Sequence[str], budget: int) -> list[str]:
    """The longest prefix of `candidates` whose lines, joined by line breaks, fit `budget` tokens."""
    shown: list[str] = []
    tokens = -1
    for line in candidates:
        cost = estimate_tokens(line) + 1
        if tokens + cost > budget:
            break
        tokens += cost
        shown.append(line)
    return shown


def _signature_lines(inputs: RepairInputs, lines: Sequence[str], start: int, end: int) -> list[str]:
    """Types of scope names, then definitions, for the names near the lines, in order of first use."""
    window = "\n".join(lines[max(0, start - 1 - _NAME_WINDOW) : end + _NAME_WINDOW])
    names = list(dict.fromkeys(name for name in _IDENTIFIER.findall(window) if not keyword.iskeyword(name)))
    result = _scope_types(inputs, names, start)
    path = inputs.diagnostic.path
    for name in names:
        found = [
            (other, definition)
            for other, index in inputs.files.items()
            for definition in index.definitions
            if definition.name == name
        ]
        found.sort(
            key=lambda item: (item[0] != path, item[0] not in inputs.changed, item[0], item[1].start_line)
        )
        result.extend(
            _definition_line(other, definition) for other, definition in found[:_DEFINITIONS_PER_NAME]
        )
    return list(dict.fromkeys(result))


def _scope_types(inputs: RepairInputs, names: Sequence[str], line: int) -> list[str]:
    """`name: type` for the local names, parameters and imports near the line whose type is known."""
    from maze.indexing.scope import scope_at

    try:
        scope = scope_at(inputs.source.encode("utf-8"), inputs.language, line)
    except ValueError:
        return []
    shown = []
    for name in names:
        bound = scope.lookup(name)
        if (
            bound is not None
            and bound.type
            and bound.kind in {"local", "parameter", "type_parameter", "import"}
        ):
            shown.append(f"{name}: {_one_line(bound.type)} ({bound.kind}, line {bound.line})")
    return shown


def _definition_line(path: str, definition: Definition) -> str:
    label = _one_line(definition.signature) or f"{definition.kind} {definition.name}"
    return f"{path}:{definition.start_line}: {label}"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_SIGNATURE else flat[: MAX_SIGNATURE - 3].rstrip() + "..."


@cache
def _template(name: str) -> Template:
    return Template(files("maze.generation").joinpath("prompts", name).read_text(encoding="utf-8"))
