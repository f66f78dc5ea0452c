"""Model rounds: each output proven on a real tree (ruff and mypy, differentially), what went wrong fed
back into the next prompt, provider failures ending the rounds, repeated outputs not proven twice."""

from __future__ import annotations

import asyncio

import pytest

from maze.analysis import Problem
from maze.generation.candidates import UNCHANGED
from maze.generation.providers.base import (
    Generation,
    GenerationRequest,
    ProviderError,
    ProviderTimeout,
    RequestRejected,
)
from maze.generation.providers.checking import check_generation
from maze.repair.findings import findings_from_report
from maze.repair.model_rounds import PROVEN, Round, model_rounds
from maze.repair.prover import TreeProver
from maze.suggestions import Candidate
from maze.validation import Verdict
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree
from tests.unit.generation.support_model import model_context

PATH = "pkg/shop.py"
SHOP = '''"""Prices."""


def total(prices: list[int]) -> int:
    """The doubled sum."""
    subtotal = sum(prices)
    return subtotl * 2
'''
RIGHT = "    return subtotal * 2\n"
WRONG_TYPE = "    return str(subtotal)\n"  # the name is fixed, but mypy now reports the return type
WRONG_FLOAT = "    return subtotal * 2.0\n"
OUT_OF_SCOPE = "    return subtotals * 2\n"  # a name the scope does not have: the grammar rejects it
STR_RETURNED = 'Incompatible return value type (got "str", expected "int")'


class Scripted:
    """A provider answering with preset outputs in order (or raising a preset error), the output check
    applied as the guard applies it; it keeps the requests it got."""

    def __init__(self, *outputs: str | ProviderError) -> None:
        self.outputs = list(outputs)
        self.requests: list[GenerationRequest] = []

    @property
    def name(self) -> str:
        return "scripted"

    async def generate(self, request: GenerationRequest) -> Generation:
        self.requests.append(request)
        output = self.outputs.pop(0)
        if isinstance(output, ProviderError):
            raise output
        generation = Generation(output, 100, 10, 0.01, "scripted", "script")
        check_generation(request, generation)
        return generation

    def prompt(self, number: int) -> str:
        """The user message of request `number` (from 1)."""
        return self.requests[number - 1].messages[-1].content


class Proofs:
    """The engine's proof of a candidate for one finding (`TreeProver.prove` on the tree), counted."""

    def __init__(self, prover: TreeProver, problem: Problem) -> None:
        self.prover, self.problem = prover, problem
        self.proved: list[str] = []

    async def __call__(self, candidate: Candidate) -> Verdict:
        self.proved.append(candidate.replacement)
        return await asyncio.to_thread(self.prover.prove, candidate, self.problem, SHOP)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[TreeProver, Problem]:
    """The tree with its mypy finding, and the prover the engine would use on it."""
    root = tmp_path_factory.mktemp("tree")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text('"""Shop."""\n')
    (root / PATH).write_text(SHOP)
    changed: dict[str, set[int] | None] = {PATH: None}
    settings = ValidationSettings(tests=False)
    baseline = validate_tree(root, changed, runner=None, settings=settings)
    [problem] = [p for p in findings_from_report(baseline, changed, {PATH: SHOP}) if p.tool == "mypy"]
    assert problem.rule == "name-defined"
    scratch, state = tmp_path_factory.mktemp("scratch"), tmp_path_factory.mktemp("state")
    prover = TreeProver(
        root, changed, runner=None, settings=settings, baseline=baseline, scratch=scratch, state_dir=state
    )
    return prover, problem


async def _rounds(
    tree: tuple[TreeProver, Problem], provider: Scripted, rounds: int = 3
) -> tuple[list[Round], Proofs]:
    prover, problem = tree
    proofs = Proofs(prover, problem)
    found = await model_rounds(
        problem, SHOP, provider, model_context({PATH: SHOP}), proofs, rounds=rounds, max_tokens=64
    )
    return found, proofs


async def test_a_wrong_first_round_is_corrected_from_its_new_diagnostic(
    tree: tuple[TreeProver, Problem],
) -> None:
    provider = Scripted(WRONG_TYPE, RIGHT)
    found, proofs = await _rounds(tree, provider)
    assert [r.verdict.valid if r.verdict else None for r in found] == [False, True]
    assert found[-1].note == PROVEN and found[-1].candidate is not None
    assert found[-1].candidate.replacement == RIGHT and found[-1].candidate.start_line == 7
    assert found[0].verdict is not None and STR_RETURNED in found[0].verdict.reason
    assert proofs.proved == [WRONG_TYPE, RIGHT]
    assert "Earlier replacements" not in provider.prompt(1)
    second = provider.prompt(2)
    assert "Attempt 1:\n|     return str(subtotal)\nWhat went wrong: new diagnostics:" in second
    assert STR_RETURNED in second and "[mypy return-value]" in second
    # The finding itself is still what the prompt is about, with its real column.
    assert 'mypy reports name-defined at pkg/shop.py line 7, column 12:\nName "subtotl"' in second


async def test_when_every_round_fails_there_are_that_many_rounds_and_none_proven(
    tree: tuple[TreeProver, Problem],
) -> None:
    provider = Scripted(WRONG_TYPE, SHOP.splitlines(keepends=True)[6], WRONG_FLOAT)
    found, proofs = await _rounds(tree, provider)
    assert len(found) == 3 and not any(r.verdict and r.verdict.valid for r in found)
    assert found[1].note == UNCHANGED and found[1].candidate is None and found[1].generation is not None
    assert proofs.proved == [WRONG_TYPE, WRONG_FLOAT]
    third = provider.prompt(3)
    assert "Attempt 1:\n|     return str(subtotal)" in third
    assert "Attempt 2:\n|     return subtotl * 2\nWhat went wrong: it is the original code" in third


async def test_an_output_the_grammar_rejects_is_fed_back_and_not_proved(
    tree: tuple[TreeProver, Problem],
) -> None:
    provider = Scripted(OUT_OF_SCOPE, RIGHT)
    found, proofs = await _rounds(tree, provider)
    assert found[0].candidate is None and found[0].note.startswith("OutputRejected:")
    assert found[0].generation is not None  # its tokens still count
    assert found[1].note == PROVEN and proofs.proved == [RIGHT]
    assert "|     return subtotals * 2\nWhat went wrong: the output was rejected:" in provider.prompt(2)


async def test_a_provider_failure_ends_the_rounds_with_a_note(tree: tuple[TreeProver, Problem]) -> None:
    provider = Scripted(ProviderTimeout("no answer in 60 s"), RIGHT)
    found, proofs = await _rounds(tree, provider)
    assert found == [Round(None, None, "ProviderTimeout: no answer in 60 s", None)]
    assert proofs.proved == [] and len(provider.requests) == 1

    provider = Scripted(WRONG_TYPE, RequestRejected("400: context too long"), RIGHT)
    found, proofs = await _rounds(tree, provider)
    assert [r.note for r in found[1:]] == ["RequestRejected: 400: context too long"]
    assert len(provider.requests) == 2 and proofs.proved == [WRONG_TYPE]


async def test_a_repeated_output_counts_as_a_round_but_is_not_proved_again(
    tree: tuple[TreeProver, Problem],
) -> None:
    provider = Scripted(WRONG_TYPE, WRONG_TYPE, RIGHT)
    found, proofs = await _rounds(tree, provider)
    assert [r.note for r in found[1:]] == ["same as round 1", PROVEN]
    assert found[1].candidate is None and found[1].verdict is None
    assert proofs.proved == [WRONG_TYPE, RIGHT]
    # The attempt is shown once, saying it came back.
    third = provider.prompt(3)
    assert third.count("return str(subtotal)") == 1 and "written again in round 2" in third


async def test_one_round_is_one_request(tree: tuple[TreeProver, Problem]) -> None:
    provider = Scripted(WRONG_TYPE, RIGHT)
    found, _ = await _rounds(tree, provider, rounds=1)
    assert len(found) == 1 and len(provider.requests) == 1
    assert found[0].verdict is not None and not found[0].verdict.valid


async def test_a_finding_no_request_can_be_made_for_is_one_round_with_why() -> None:
    problem = Problem("tsc", "TS2304", "Cannot find name 'totl'.", "web/app.ts", 1, 1)

    async def never(candidate: Candidate) -> Verdict:
        raise AssertionError("nothing to prove")

    provider = Scripted(RIGHT)
    found = await model_rounds(problem, "totl;\n", provider, model_context({}), never)
    assert found == [Round(None, None, "no model grammar for this language yet", None)]
    assert provider.requests == []
