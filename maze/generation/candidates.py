"""Model candidates: for a finding no tool could fix, one generation under a grammar narrowed to the scope.

The smallest whole statement around the finding's lines is replaced (a finding on `except:` rewrites
its `try`), so the model writes complete statements: the grammar is the Python statement block at that
statement's indentation, with every name the code reads narrowed to what is visible there (from the
index) and new names allowed only where the code binds them. A provider error, a timeout or an output
that does not parse costs this finding its model candidate and nothing else: the outcome says why, and
the run goes on with the other candidate sources. Every candidate is proven in the sandbox before it is
posted.
"""

from __future__ import annotations

import ast
import asyncio
import io
import keyword
import textwrap
import tokenize
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from maze.analysis import Problem, Proposal, is_python
from maze.constraints.scoped import scoped
from maze.generation.prompting import PromptTooLarge, RepairInputs, repair_prompt
from maze.generation.providers.base import Generation, GenerationRequest, Provider, ProviderError
from maze.indexing.extract import extract
from maze.indexing.model import FileIndex
from maze.indexing.scope import scope_at
from maze.suggestions import Candidate, fingerprint
from maze.syntax import enclosing_symbol
from maze.validators.model import Diagnostic

GRAMMAR = "python-block"
SOURCE = "model"
PROMPT_TOKENS = 2000
MAX_REPLACED_LINES = 30
_OUTPUT = (
    "the replacement for the marked lines only: whole lines of Python at the same indentation, no prose,"
    " no code fence"
)


@dataclass(frozen=True)
class ModelOutcome:
    """What asking the model for one finding gave: a proposal, or why there is none."""

    proposal: Proposal | None
    note: str
    generation: Generation | None = None


@dataclass(frozen=True)
class ModelContext:
    """The repository around the findings: its index (path -> FileIndex) and the changed paths."""

    files: Mapping[str, FileIndex]
    changed: Collection[str]


def model_context(texts: Mapping[str, str]) -> ModelContext:
    """The context from the changed files alone (`path -> text`): each Python file indexed in-process."""
    files = {path: extract(path, text.encode(), "python") for path, text in texts.items() if is_python(path)}
    return ModelContext(files, tuple(files))


async def model_proposals(
    work: Sequence[tuple[Problem, str]], provider: Provider, context: ModelContext, *, max_tokens: int
) -> list[ModelOutcome]:
    """One outcome per (problem, file text) in `work`, asked concurrently (the provider limits how many)."""
    return list(
        await asyncio.gather(*(_one(problem, text, provider, context, max_tokens) for problem, text in work))
    )


async def _one(
    problem: Problem, text: str, provider: Provider, context: ModelContext, max_tokens: int
) -> ModelOutcome:
    if not is_python(problem.path):
        return ModelOutcome(None, "no model grammar for this language yet")
    lines = text.splitlines(keepends=True)
    if not 1 <= problem.line <= problem.end_line <= len(lines):
        return ModelOutcome(None, "the finding's lines are outside the file")
    start, end = statement_range(text, problem.line, problem.end_line)
    if end - start + 1 > MAX_REPLACED_LINES:
        return ModelOutcome(None, f"the statement around the finding is over {MAX_REPLACED_LINES} lines")
    first = lines[start - 1]
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    try:
        # Names bound inside the replaced lines are visible at their end, so uses of them stay allowed;
        # the names the lines themselves use are added too (comprehension and lambda variables, which a
        # grammar cannot let the code read after binding them itself).
        visible = [name.name for name in scope_at(text.encode(), "python", end).names]
        visible += names_used("".join(lines[start - 1 : end]))
        grammar = scoped(GRAMMAR, visible, indent=indent)
        prompt = repair_prompt(_inputs(problem, text, context, (start, end)), PROMPT_TOKENS)
    except (ValueError, PromptTooLarge) as error:
        return ModelOutcome(None, f"no request made: {error}")
    request = GenerationRequest(prompt.messages, GRAMMAR, grammar, max_tokens=max_tokens)
    try:
        generation = await provider.generate(request)
    except ProviderError as error:
        return ModelOutcome(None, f"{type(error).__name__}: {error}")
    replacement = generation.text if generation.text.endswith("\n") else generation.text + "\n"
    original = "".join(lines[start - 1 : end])
    if replacement == original:
        return ModelOutcome(None, "the model gave back the original lines", generation)
    candidate = Candidate(
        path=problem.path,
        start_line=start,
        end_line=end,
        replacement=replacement,
        source=SOURCE,
        rule=problem.rule,
        description=f"{generation.model} via {generation.provider}, under the {GRAMMAR} grammar",
    )
    symbol = enclosing_symbol(text, start)
    identity = fingerprint(problem.path, symbol, problem.rule, original, replacement)
    return ModelOutcome(Proposal(candidate, identity, original), "proposed", generation)


def names_used(code: str) -> list[str]:
    """The identifiers `code` uses, in order of first use, keywords and the insides of strings left out;
    none when it does not tokenize."""
    found: dict[str, None] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(textwrap.dedent(code)).readline):
            if token.type == tokenize.NAME and not keyword.iskeyword(token.string):
                found.setdefault(token.string)
    except (tokenize.TokenError, SyntaxError):
        return []
    return list(found)


def statement_range(text: str, line: int, end_line: int) -> tuple[int, int]:
    """The lines of the innermost statement spanning `line..end_line`; those lines when the file does not
    parse or no statement spans them."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return line, end_line
    best = (line, end_line)
    size = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or node.end_lineno is None:
            continue
        first = min([node.lineno, *(decorator.lineno for decorator in _decorators(node))])
        if first <= line and node.end_lineno >= end_line and (size is None or node.end_lineno - first < size):
            best, size = (first, node.end_lineno), node.end_lineno - first
    return best


def _decorators(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.decorator_list
    return []


def _inputs(problem: Problem, text: str, context: ModelContext, replace: tuple[int, int]) -> RepairInputs:
    diagnostic = Diagnostic(
        tool=problem.tool,
        path=problem.path,
        start_line=problem.line,
        start_column=1,
        end_line=problem.end_line,
        end_column=1,
        code=problem.rule,
        message=problem.message,
    )
    return RepairInputs(
        diagnostic=diagnostic,
        source=text,
        language="python",
        files=context.files,
        changed=context.changed,
        output=_OUTPUT,
        replace=replace,
    )
