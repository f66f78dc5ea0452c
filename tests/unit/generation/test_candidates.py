"""Model candidates for findings: which lines are replaced, what the request carries, and failures that
cost only the finding's model candidate."""

from __future__ import annotations

import pytest

from maze.analysis import Problem
from maze.constraints.library import text as grammar_text
from maze.generation.candidates import GRAMMAR, ModelContext, statement_range
from maze.generation.providers.base import Generation, GenerationRequest, Provider, ProviderTimeout
from maze.generation.providers.checking import grammar_problem
from maze.repair.model_rounds import PROVEN, Round, model_rounds
from maze.suggestions import Candidate
from maze.validation import Verdict
from tests.unit.generation.support_model import model_context

SOURCE = """import sys


@staticmethod
def save(path):
    try:
        handle = open(path)
    except:
        sys.exit(1)
    total = 1 + 2
    return handle, total
"""


def test_the_innermost_whole_statement_around_the_lines_is_replaced() -> None:
    assert statement_range(SOURCE, 8, 8) == (6, 9)  # `except:` rewrites its `try`
    assert statement_range(SOURCE, 10, 10) == (10, 10)
    assert statement_range(SOURCE, 5, 5) == (4, 11)  # a def header takes its decorator along
    assert statement_range("def f(:\n    pass\n", 1, 1) == (1, 1)  # no parse: the lines themselves


class _Recording:
    """Answers every request with `answer`, or raises `error`; keeps the requests it got."""

    def __init__(self, answer: str = "", error: Exception | None = None) -> None:
        self.answer, self.error = answer, error
        self.requests: list[GenerationRequest] = []

    @property
    def name(self) -> str:
        return "recording"

    async def generate(self, request: GenerationRequest) -> Generation:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return Generation(self.answer, 10, 5, 0.01, "recording", "test-model")


async def _accept(candidate: Candidate) -> Verdict:
    return Verdict(True, ("accepted by the test",))


async def _ask(
    work: list[tuple[Problem, str]], provider: Provider, context: ModelContext, *, max_tokens: int
) -> list[Round]:
    """One round per finding: what the model proposed at the first request, or why nothing."""
    return [
        (await model_rounds(problem, text, provider, context, _accept, rounds=1, max_tokens=max_tokens))[0]
        for problem, text in work
    ]


def _problem(line: int, rule: str = "E722", path: str = "pkg/save.py") -> Problem:
    return Problem("ruff", rule, "Do not use bare `except`", path, line, line)


async def test_a_request_carries_a_scoped_block_grammar_and_the_prompt() -> None:
    fixed = "    try:\n        handle = open(path)\n    except OSError:\n        sys.exit(1)\n"
    provider = _Recording(fixed)
    [outcome] = await _ask(
        [(_problem(8), SOURCE)], provider, model_context({"pkg/save.py": SOURCE}), max_tokens=64
    )
    assert outcome.candidate is not None and outcome.note == PROVEN
    candidate = outcome.candidate
    assert (candidate.start_line, candidate.end_line, candidate.source) == (6, 9, "model")
    replaced = "".join(SOURCE.splitlines(keepends=True)[candidate.start_line - 1 : candidate.end_line])
    assert replaced == "".join(SOURCE.splitlines(keepends=True)[5:9])
    [request] = provider.requests
    assert request.grammar_name == GRAMMAR and request.max_tokens == 64
    assert "E722" in request.messages[-1].content
    # The fix parses under the request's grammar; a name the scope does not know does not, though the
    # unscoped grammar takes it.
    assert grammar_problem(request.grammar_text, fixed) is None
    unknown = fixed.replace("sys.exit", "system.exit")
    assert grammar_problem(request.grammar_text, unknown) is not None
    assert grammar_problem(grammar_text(GRAMMAR, indent="    "), unknown) is None


@pytest.mark.parametrize(
    ("provider", "problem", "note"),
    [
        (_Recording(error=ProviderTimeout("no answer in 60 s")), _problem(8), "ProviderTimeout: no answer"),
        (_Recording(SOURCE.splitlines(keepends=True)[9]), _problem(10), "gave back the original"),
        (_Recording("x = 1\n"), _problem(3, path="web/app.ts"), "no model grammar for this language"),
        (_Recording("x = 1\n"), _problem(40), "outside the file"),
    ],
)
async def test_failures_cost_only_that_findings_model_candidate(
    provider: _Recording, problem: Problem, note: str
) -> None:
    good = _Recording("    total = 3\n")
    texts = {"pkg/save.py": SOURCE, "web/app.ts": "let x = 1;\n"}
    outcomes = await _ask(
        [(problem, texts[problem.path])], provider, model_context(texts), max_tokens=32
    )
    assert outcomes[0].candidate is None and note in outcomes[0].note
    [other] = await _ask([(_problem(10), SOURCE)], good, model_context(texts), max_tokens=32)
    assert other.candidate is not None


async def test_names_the_replaced_lines_use_stay_usable_in_the_rewrite() -> None:
    source = "def cheap(prices):\n    found = [p for p in prices if p < 3]\n    return found\n"
    provider = _Recording("    found = [p for p in prices if p <= 3]\n")
    [outcome] = await _ask(
        [(_problem(2, rule="PLR2004"), source)], provider, model_context({"m.py": source}), max_tokens=32
    )
    assert outcome.candidate is not None
    grammar = provider.requests[0].grammar_text
    assert grammar_problem(grammar, "    found = [p for p in prices if p <= 3]\n") is None
    assert grammar_problem(grammar, "    found = [q for q in prices if q <= 3]\n") is not None


async def test_any_validators_finding_is_in_the_prompt_with_its_tool_and_column() -> None:
    source = "def double(total: int) -> int:\n    return totl * 2\n"
    problem = Problem(
        "mypy", "name-defined", 'Name "totl" is not defined', "m.py", 2, 2, column=12, end_column=16
    )
    provider = _Recording("    return total * 2\n")
    [outcome] = await _ask(
        [(problem, source)], provider, model_context({"m.py": source}), max_tokens=32
    )
    assert outcome.candidate is not None
    prompt = provider.requests[0].messages[-1].content
    assert 'mypy reports name-defined at m.py line 2, column 12:\nName "totl" is not defined' in prompt
