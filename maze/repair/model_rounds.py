"""Model repairs in rounds: ask, prove, and when the proof fails ask again with what went wrong.

Round 1 is the request `maze.generation.candidates` makes for a finding: the smallest whole statement
around it, under the Python block grammar narrowed to its scope, with the diagnostic in the prompt.
Each later round's prompt also carries the earlier attempts at those lines and what went wrong with
each: the proof's reason and the diagnostics the attempt introduced, the output check's rejection, or
that the model gave back the original lines. The rounds stop at the first proven candidate or after
`rounds`. Any other provider failure ends them with a note: nothing here raises for the provider's
sake. An output already written in an earlier round is not proved again; the round counts, and its note
says which round it repeats.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from maze.analysis import Problem
from maze.generation.candidates import (
    UNCHANGED,
    ModelContext,
    RepairPlan,
    as_lines,
    failure_note,
    plan_repair,
)
from maze.generation.prompting import EarlierAttempt
from maze.generation.providers.base import Generation, OutputRejected, Provider, ProviderError
from maze.suggestions import Candidate
from maze.validation import Verdict

Prove = Callable[[Candidate], Awaitable[Verdict]]
PROVEN = "proven"
_UNCHANGED_FAILURE = "it is the original code unchanged, so the problem is still there"


@dataclass(frozen=True)
class Round:
    """One round: the candidate the model wrote and its verdict, or why there is none (`note`), and
    the generation (its tokens) when the provider answered."""

    candidate: Candidate | None
    verdict: Verdict | None
    note: str
    generation: Generation | None


@dataclass
class _History:
    """The rounds so far and what the next prompt shows of them: each distinct output once."""

    rounds: list[Round] = field(default_factory=list)
    attempts: list[EarlierAttempt] = field(default_factory=list)
    first_seen: dict[str, tuple[int, int]] = field(default_factory=dict)  # output -> (round, attempt)

    def repeat_of(self, output: str, generation: Generation) -> bool:
        """Record a round repeating an earlier output, when it does; the attempt says how often."""
        seen = self.first_seen.get(output)
        if seen is None:
            return False
        number, index = seen
        self.rounds.append(Round(None, None, f"same as round {number}", generation))
        earlier = self.attempts[index]
        again = f" It was written again in round {len(self.rounds)}."
        self.attempts[index] = replace(earlier, failure=earlier.failure + again)
        return True

    def add(self, result: Round, output: str, failure: str | None) -> None:
        """Record a new round; a failed one becomes an attempt the next prompt shows."""
        self.rounds.append(result)
        if failure is not None:
            self.first_seen[output] = (len(self.rounds), len(self.attempts))
            self.attempts.append(EarlierAttempt(output, failure))


async def model_rounds(
    problem: Problem,
    text: str,
    provider: Provider,
    context: ModelContext,
    prove: Prove,
    *,
    rounds: int = 3,
    max_tokens: int = 256,
) -> list[Round]:
    """Up to `rounds` model repairs of `problem` in `text`, each proven by `prove`, each round told
    what went wrong before; the last round is the proven one when there is one."""
    plan = plan_repair(problem, text, context)
    if isinstance(plan, str):
        return [Round(None, None, plan, None)]
    history = _History()
    for _ in range(rounds):
        if not await _round(plan, provider, prove, history, max_tokens):
            break
    return history.rounds


async def _round(
    plan: RepairPlan, provider: Provider, prove: Prove, history: _History, max_tokens: int
) -> bool:
    """Play one round into `history`; whether another round may follow."""
    try:
        generation = await provider.generate(plan.request(max_tokens, history.attempts))
    except OutputRejected as error:
        output = as_lines(error.generation.text)
        if not history.repeat_of(output, error.generation):
            rejected = Round(None, None, failure_note(error), error.generation)
            history.add(rejected, output, f"the output was rejected: {error}")
        return True
    except ProviderError as error:
        history.rounds.append(Round(None, None, failure_note(error), None))
        return False
    output = as_lines(generation.text)
    if history.repeat_of(output, generation):
        return True
    candidate = plan.candidate(generation)
    if candidate is None:
        history.add(Round(None, None, UNCHANGED, generation), output, _UNCHANGED_FAILURE)
        return True
    verdict = await prove(candidate)
    if verdict.valid:
        history.add(Round(candidate, verdict, PROVEN, generation), output, None)
        return False
    failure = failure_of(verdict)
    history.add(Round(candidate, verdict, f"not proven: {verdict.reason}", generation), output, failure)
    return True


def failure_of(verdict: Verdict) -> str:
    """What went wrong, as the next prompt tells it: the reason, then new findings it does not name."""
    parts = [verdict.reason or "the checks failed"]
    parts += [finding for finding in verdict.new_findings if finding not in verdict.reason]
    return "; ".join(parts)
