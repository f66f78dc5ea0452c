"""The repair engine on a tree: find, try candidate sources cheapest first, prove, choose.

    repair_tree(tree, changed, runner=..., settings=..., options=...) -> RepairReport

The head is validated once; its diagnostics on the changed lines are the findings. For each finding the
sources are tried in order, and a later (dearer) one only when no earlier one gave a proven fix:

1. `autofix`: ruff's own safe fix;
2. `symbolic`: repairs computed from the finding and the repository's index (`maze.repair.symbolic`);
3. `model`: the configured model under grammar and scope constraints, up to `rounds` rounds, each fed the
   diagnostics its previous attempt caused (`maze.repair.model_rounds`).

Every candidate is proven (`maze.repair.prover`); among the proven fixes of a finding the smallest change
wins (`maze.repair.select`). For a finding at the same place as an earlier one (one undefined name,
reported by ruff and by mypy), the earlier finding's fix is tried first.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from maze.analysis import Problem, is_python, propose
from maze.generation.candidates import ModelContext
from maze.generation.providers.base import Provider
from maze.repair.context import RepairContext
from maze.repair.findings import findings_from_report
from maze.repair.project import Project
from maze.repair.prover import CANDIDATES_IN_PARALLEL, TreeProver
from maze.repair.select import Score, choose
from maze.repair.symbolic import symbolic_candidates
from maze.sandbox.api import Runner
from maze.suggestions import Candidate
from maze.validation import Verdict
from maze.validators.cache import DiagnosticCache
from maze.validators.model import TEST_TOOL, Report
from maze.validators.settings import ValidationSettings

TIERS = ("autofix", "symbolic", "model")


@dataclass(frozen=True)
class Focus:
    """Only the findings touching lines `start_line..end_line` of `path` (a `/maze fix` on a thread)."""

    path: str
    start_line: int
    end_line: int

    def holds(self, problem: Problem) -> bool:
        overlaps = problem.line <= self.end_line and problem.end_line >= self.start_line
        return problem.path == self.path and overlaps


@dataclass(frozen=True)
class EngineOptions:
    provider: Provider | None = None
    rounds: int = 3
    max_tokens: int = 256
    tiers: tuple[str, ...] = TIERS
    focus: Focus | None = None
    score: Score | None = None
    """The learned acceptance score, when there is one: breaks ties between equally small fixes."""


@dataclass(frozen=True)
class Attempted:
    """One candidate, where it came from, and what proving it showed."""

    candidate: Candidate
    tier: str
    verdict: Verdict


@dataclass(frozen=True)
class Outcome:
    """A finding, the fix chosen for it (None: no proven fix), every candidate tried, and a note."""

    problem: Problem
    chosen: Attempted | None
    attempts: tuple[Attempted, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class RepairReport:
    baseline: Report
    outcomes: tuple[Outcome, ...]
    notes: tuple[str, ...] = field(default=())

    def proven(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.chosen is not None]


SOURCE_TIERS = {"ruff-fix": "autofix", "model": "model"}


def tier_of(source: str) -> str:
    """The tier a candidate's `source` label belongs to ("symbolic:import" -> "symbolic")."""
    return SOURCE_TIERS.get(source) or source.split(":", 1)[0]


CandidateSource = Callable[[Problem, str], list[Candidate]]
"""The candidates of one finding from one tier (autofix or symbolic)."""


def generate(problem: Problem, tier: str, text: str, project: Project) -> list[Candidate]:
    """The candidates `tier` offers for `problem` in the file `text` (the model tier is not here)."""
    if tier == "autofix":
        proposal = propose(problem, text)
        return [proposal.candidate] if proposal else []
    if tier == "symbolic":
        return symbolic_candidates(RepairContext(problem, text, project))
    return []


class Repairer:
    """Repairs findings one by one on a tree, sharing the prover, the thread pool and earlier choices.

    `source`, when given, supplies the autofix and symbolic candidates instead of generating them (the
    review pipeline stores them in its generating stage and proves them in the next).
    """

    def __init__(
        self,
        prover: TreeProver,
        project: Project,
        texts: Mapping[str, str],
        options: EngineOptions,
        source: CandidateSource | None = None,
    ) -> None:
        self.prover = prover
        self.project = project
        self.texts = texts
        self.options = options
        self.source = source
        self.pool = ThreadPoolExecutor(max_workers=CANDIDATES_IN_PARALLEL)
        self.chosen: list[tuple[Problem, Attempted]] = []
        self.model_counts: Counter[str] = Counter()
        self.model_notes: Counter[str] = Counter()

    def model_summary(self) -> dict[str, object]:
        """What asking the model cost and gave, for the run's summary."""
        provider = self.options.provider
        return {
            "provider": provider.name if provider else "none",
            **dict(self.model_counts),
            "not_proposed": dict(self.model_notes),
        }

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    async def prove_all(self, candidates: list[Candidate], problem: Problem, tier: str) -> list[Attempted]:
        text = self.texts[problem.path]
        loop = asyncio.get_running_loop()
        verdicts = await asyncio.gather(
            *(
                loop.run_in_executor(self.pool, self.prover.prove, candidate, problem, text)
                for candidate in candidates
            )
        )
        return [Attempted(c, tier, v) for c, v in zip(candidates, verdicts, strict=True)]

    def candidates(self, problem: Problem, tier: str) -> list[Candidate]:
        if self.source is not None:
            return self.source(problem, tier)
        return generate(problem, tier, self.texts[problem.path], self.project)

    async def model(self, problem: Problem) -> list[Attempted]:
        provider = self.options.provider
        if provider is None:
            return []
        from maze.repair.model_rounds import model_rounds

        text = self.texts[problem.path]
        loop = asyncio.get_running_loop()

        async def prove(candidate: Candidate) -> Verdict:
            return await loop.run_in_executor(self.pool, self.prover.prove, candidate, problem, text)

        context = ModelContext(self.project.files, tuple(self.texts))
        rounds = await model_rounds(
            problem,
            text,
            provider,
            context,
            prove,
            rounds=self.options.rounds,
            max_tokens=self.options.max_tokens,
        )
        self.model_counts["asked"] += 1
        self.model_counts["rounds"] += len(rounds)
        for item in rounds:
            if item.generation is not None:
                usage = item.generation.prompt_tokens + item.generation.completion_tokens
                self.model_counts["tokens"] += usage
            if item.candidate is None:
                self.model_notes[item.note] += 1
        attempts = [
            Attempted(item.candidate, "model", item.verdict)
            for item in rounds
            if item.candidate is not None and item.verdict is not None
        ]
        self.model_counts["proposed"] += len(attempts)
        self.model_counts["proven"] += sum(1 for attempt in attempts if attempt.verdict.valid)
        return attempts

    async def already_fixed(self, problem: Problem) -> Attempted | None:
        """The fix chosen for an earlier finding at the same place (ruff and mypy report one undefined
        name twice), when it fixes this finding too."""
        for earlier, attempt in self.chosen:
            same_place = (earlier.path, earlier.line, earlier.column) == (
                problem.path,
                problem.line,
                problem.column,
            )
            if not same_place:
                continue
            proven = await self.prove_all([attempt.candidate], problem, attempt.tier)
            if proven[0].verdict.valid:
                return proven[0]
        return None

    async def repair(self, problem: Problem) -> Outcome:
        if problem.path not in self.texts:
            why = "a failing test is listed, not repaired" if problem.tool == TEST_TOOL else "not repaired"
            return Outcome(problem, None, (), why)
        shared = await self.already_fixed(problem)
        if shared is not None:
            return Outcome(problem, shared, (shared,), "the fix of an earlier finding fixes this one too")
        tried: list[Attempted] = []
        for tier in self.options.tiers:
            if tier == "model":
                attempts = await self.model(problem)
            else:
                attempts = await self.prove_all(self.candidates(problem, tier), problem, tier)
            tried.extend(attempts)
            proven = [attempt for attempt in attempts if attempt.verdict.valid]
            best = choose(proven, self.texts[problem.path], self.options.score)
            if best is not None:
                self.chosen.append((problem, best))
                return Outcome(problem, best, tuple(tried), f"proven {tier} fix")
        return Outcome(problem, None, tuple(tried), _why_unfixed(tried))


def _why_unfixed(tried: Iterable[Attempted]) -> str:
    reasons = [attempt.verdict.reason for attempt in tried if attempt.verdict.reason]
    if not reasons:
        return "no candidate fix was found"
    return f"no candidate was proven; the last failed: {reasons[-1]}"


def _texts(tree: Path, changed: Mapping[str, set[int] | None]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in changed:
        target = tree / path
        if is_python(path) and target.is_file():
            texts[path] = target.read_text(encoding="utf-8", errors="replace")
    return texts


async def repair_tree_async(
    tree: Path,
    changed: Mapping[str, set[int] | None],
    *,
    runner: Runner | None,
    settings: ValidationSettings,
    options: EngineOptions | None = None,
    cache: DiagnosticCache | None = None,
    state_dir: Path | None = None,
    scratch: Path | None = None,
    project: Project | None = None,
    baseline: Report | None = None,
) -> RepairReport:
    """Find, repair and prove on `tree`, where `changed` maps paths to changed lines (None: all)."""
    options = options or EngineOptions()
    prover = TreeProver(
        tree,
        changed,
        runner=runner,
        settings=settings,
        cache=cache,
        state_dir=state_dir,
        scratch=scratch,
        baseline=baseline,
    )
    report = await asyncio.to_thread(lambda: prover.baseline)
    texts = _texts(tree, changed)
    problems = findings_from_report(report, changed, texts)
    if options.focus is not None:
        problems = [problem for problem in problems if options.focus.holds(problem)]
    if project is None:
        project = await asyncio.to_thread(Project.load, tree)
    repairer = Repairer(prover, project, texts, options)
    try:
        outcomes = [await repairer.repair(problem) for problem in problems]
    finally:
        repairer.close()
    return RepairReport(report, tuple(outcomes))


def repair_tree(
    tree: Path,
    changed: Mapping[str, set[int] | None],
    *,
    runner: Runner | None,
    settings: ValidationSettings,
    options: EngineOptions | None = None,
    cache: DiagnosticCache | None = None,
    state_dir: Path | None = None,
    scratch: Path | None = None,
    project: Project | None = None,
) -> RepairReport:
    """`repair_tree_async`, for callers without an event loop (the command line, benchmarks)."""
    return asyncio.run(
        repair_tree_async(
            tree,
            changed,
            runner=runner,
            settings=settings,
            options=options,
            cache=cache,
            state_dir=state_dir,
            scratch=scratch,
            project=project,
        )
    )
