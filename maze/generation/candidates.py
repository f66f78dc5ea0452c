"""Model candidates: for a finding no tool could fix, one generation under a grammar narrowed to the scope.

The smallest whole statement around the finding's lines is replaced (a finding on `except:` rewrites
its `try`), so the model writes complete statements: the grammar is the Python statement block at that
statement's indentation, with every name the code reads narrowed to what is visible there (from the
index) and new names allowed only where the code binds them. A provider error, a timeout or an output
that does not parse costs this finding its model candidate and nothing else: the outcome says why, and
the run goes on with the other candidate sources. Every candidate is proven in the sandbox before it is
posted.

`plan_repair` makes what every request about one finding shares (the lines, the grammar, the prompt's
inputs); `maze.repair.model_rounds` asks again from the same plan, with the earlier attempts and what
went wrong with them in the prompt.
"""

from __future__ import annotations

import ast
import io
import keyword
import textwrap
import tokenize
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from maze.analysis import Problem, is_python
from maze.constraints.scoped import scoped
from maze.generation.prompting import EarlierAttempt, Prompt, PromptTooLarge, RepairInputs, repair_prompt
from maze.generation.providers.base import Generation, GenerationRequest, ProviderError
from maze.indexing.model import FileIndex
from maze.indexing.scope import scope_at
from maze.repair.findings import target_of
from maze.suggestions import Candidate

GRAMMAR = "python-block"
SOURCE = "model"
PROMPT_TOKENS = 2000
MAX_REPLACED_LINES = 30
UNCHANGED = "the model gave back the original lines"
_OUTPUT = (
    "the replacement for the marked lines only: whole lines of Python at the same indentation, no prose,"
    " no code fence"
)


@dataclass(frozen=True)
class ModelContext:
    """The repository around the findings: its index (path -> FileIndex) and the changed paths."""

    files: Mapping[str, FileIndex]
    changed: Collection[str]


@dataclass(frozen=True)
class RepairPlan:
    """What every model request for one finding shares: the lines `start..end` it replaces (their text
    is `original`), the grammar narrowed to their scope, the prompt's inputs and the first prompt."""

    problem: Problem
    start: int
    end: int
    original: str
    grammar: str
    inputs: RepairInputs
    first: Prompt

    def request(self, max_tokens: int, attempts: Sequence[EarlierAttempt] = ()) -> GenerationRequest:
        """The request, with the earlier attempts (oldest first) and what went wrong with them."""
        prompt = (
            repair_prompt(replace(self.inputs, attempts=tuple(attempts)), PROMPT_TOKENS)
            if attempts
            else self.first
        )
        return GenerationRequest(prompt.messages, GRAMMAR, self.grammar, max_tokens=max_tokens)

    def candidate(self, generation: Generation) -> Candidate | None:
        """The model's output as a candidate for the lines; None when it gave back the original."""
        replacement = as_lines(generation.text)
        if replacement == self.original:
            return None
        return Candidate(
            path=self.problem.path,
            start_line=self.start,
            end_line=self.end,
            replacement=replacement,
            source=SOURCE,
            rule=self.problem.rule,
            description=f"{generation.model} via {generation.provider}, under the {GRAMMAR} grammar",
        )


def plan_repair(problem: Problem, text: str, context: ModelContext) -> RepairPlan | str:
    """The plan for asking the model about `problem` in `text`, or why no request can be made."""
    if not is_python(problem.path):
        return "no model grammar for this language yet"
    lines = text.splitlines(keepends=True)
    if not 1 <= problem.line <= problem.end_line <= len(lines):
        return "the finding's lines are outside the file"
    start, end = statement_range(text, problem.line, problem.end_line)
    if end - start + 1 > MAX_REPLACED_LINES:
        return f"the statement around the finding is over {MAX_REPLACED_LINES} lines"
    first = lines[start - 1]
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    original = "".join(lines[start - 1 : end])
    inputs = _inputs(problem, text, context, (start, end))
    try:
        # Names bound inside the replaced lines are visible at their end, so uses of them stay allowed;
        # the names the lines themselves use are added too (comprehension and lambda variables, which a
        # grammar cannot let the code read after binding them itself).
        visible = [name.name for name in scope_at(text.encode(), "python", end).names]
        visible += names_used(original)
        grammar = scoped(GRAMMAR, visible, indent=indent)
        prompt = repair_prompt(inputs, PROMPT_TOKENS)
    except (ValueError, PromptTooLarge) as error:
        return f"no request made: {error}"
    return RepairPlan(problem, start, end, original, grammar, inputs, prompt)


def as_lines(text: str) -> str:
    """A model's output as whole lines: ending in a line break."""
    return text if text.endswith("\n") else text + "\n"


def failure_note(error: ProviderError) -> str:
    """How a failed generation reads in an outcome's note."""
    return f"{type(error).__name__}: {error}"


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


def _inputs(problem: Problem, text: str, context: ModelContext, lines: tuple[int, int]) -> RepairInputs:
    return RepairInputs(
        diagnostic=target_of(problem),
        source=text,
        language="python",
        files=context.files,
        changed=context.changed,
        output=_OUTPUT,
        replace=lines,
    )
