"""Both engines keep a tiny random model inside a grammar; the same model unconstrained mostly leaves it.

Grammars: two small bounded ones written here (a statement, an expression) and the project's
`python-simple-statement` and `python-expression` (`maze.constraints.library`). Over 30 seeds, every
constrained output is accepted token by token by the *other* engine's matcher, and every output that ended
(end-of-sequence) is a complete sentence of the grammar and parses with `ast.parse`. The bounded grammars
always end within the token budget; in the project's grammars a random walk can open a string or a long
identifier and not close it within 64 tokens, so there the completion rate is printed and held to a floor.
The random model gets an end-of-sequence bonus after 6 tokens (`EndAfter`), constrained or not, so it
stops as soon as the grammar allows. Rates are printed (`pytest -s`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import pytest

from maze.generation.engines.base import CompiledGrammar, Engine, GrammarCompileError, TokenRejected, new_mask
from maze.generation.engines.llguidance_engine import LlguidanceEngine
from maze.generation.engines.transformers_cfg_engine import TransformersCfgEngine
from tests.models.conftest import LanguageModel

pytestmark = pytest.mark.models

SEEDS = range(30)
MAX_NEW_TOKENS = 64
UNCONSTRAINED_ACCEPTANCE_CEILING = 0.2
UNBOUNDED_COMPLETION_FLOOR = 0.6
END_AFTER_TOKENS = 6
END_BONUS = 10.0

STATEMENT_GRAMMAR = r"""
root ::= name " = " expr "\n" | call "\n" | "assert " comparison "\n" | "pass\n"
expr ::= term | term " " op " " term
comparison ::= term " " compare " " term
term ::= name | number | call | "(" name " " op " " number ")" | name "[" number "]"
call ::= name "(" args? ")"
args ::= term | term ", " term
op ::= "+" | "-" | "*" | "//" | "%"
compare ::= "<" | ">" | "==" | "!=" | "<="
name ::= [a-z] [0-9]?
number ::= [0-9] | [1-9] [0-9]
"""

EXPRESSION_GRAMMAR = r"""
root ::= expr
expr ::= unary | unary " " op " " atom | "[" unary ", " unary "]"
unary ::= atom | "-" atom | "not " atom
atom ::= name | number | name "(" number ")" | "(" name " " op " " number ")" | name "." name
op ::= "+" | "-" | "*" | "and" | "or" | "<"
name ::= [a-z] [0-9]?
number ::= [0-9] | [1-9] [0-9] | [0-9] "." [0-9]
"""


@dataclass(frozen=True)
class PythonGrammar:
    name: str
    text: str
    parse_mode: str
    bounded: bool

    def parses(self, text: str) -> bool:
        try:
            ast.parse(text, mode=self.parse_mode)
        except SyntaxError:
            return False
        return True


class EndAfter:
    """A logits processor: from the `tokens`-th new token on, end-of-sequence gets `bonus` added."""

    def __init__(self, eos_token_id: int, tokens: int = END_AFTER_TOKENS, bonus: float = END_BONUS) -> None:
        self.eos_token_id = eos_token_id
        self.tokens = tokens
        self.bonus = bonus
        self._prompt_length: int | None = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self._prompt_length is None:
            self._prompt_length = int(input_ids.shape[1])
        if input_ids.shape[1] - self._prompt_length < self.tokens:
            return scores
        bonus = scores.new_zeros(scores.shape)
        bonus[:, self.eos_token_id] = self.bonus
        return scores + bonus


BOUNDED = {
    "statement": PythonGrammar("statement", STATEMENT_GRAMMAR, "exec", bounded=True),
    "expression": PythonGrammar("expression", EXPRESSION_GRAMMAR, "eval", bounded=True),
}
PROJECT = {"python-simple-statement": "exec", "python-expression": "eval"}
ENGINES: dict[str, type[Any]] = {"transformers-cfg": TransformersCfgEngine, "llguidance": LlguidanceEngine}


@pytest.fixture(scope="module", params=[*BOUNDED, *PROJECT])
def grammar(request: pytest.FixtureRequest) -> PythonGrammar:
    if request.param in BOUNDED:
        return BOUNDED[request.param]
    from maze.constraints import library

    return PythonGrammar(request.param, library.text(request.param), PROJECT[request.param], bounded=False)


@pytest.fixture(scope="module")
def compiled(grammar: PythonGrammar, tiny_lm: LanguageModel) -> dict[str, CompiledGrammar]:
    return {name: engine().compile(grammar.text, tiny_lm.tokenizer) for name, engine in ENGINES.items()}


def accepted(compiled: CompiledGrammar, token_ids: list[int], *, prefix: bool = False) -> bool:
    """Whether `token_ids` (to end-of-sequence) is a sentence of the grammar, or with `prefix` starts one."""
    matcher = compiled.matcher()
    try:
        for token_id in token_ids:
            matcher.advance(token_id)
            if token_id == compiled.eos_token_id:
                return True
    except TokenRejected:
        return False
    return prefix or matcher.can_end()


def generate(lm: LanguageModel, seed: int, compiled: CompiledGrammar | None = None) -> list[int]:
    from maze.generation.engines.processor import ConstrainedLogitsProcessor

    processors: list[Any] = [EndAfter(lm.eos_token_ids[0])]
    if compiled is not None:
        processors.append(ConstrainedLogitsProcessor(compiled.matcher(), lm.eos_token_ids))
    return lm.generate(
        lm.eos_token_ids[:1], max_new_tokens=MAX_NEW_TOKENS, seed=seed, logits_processors=processors
    )


def rate(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / max(total, 1):.0f}%)"


@pytest.mark.parametrize("engine_name", sorted(ENGINES))
def test_constrained_outputs_stay_in_the_grammar_and_parse_when_complete(
    engine_name: str, grammar: PythonGrammar, compiled: dict[str, CompiledGrammar], tiny_lm: LanguageModel
) -> None:
    other = next(name for name in ENGINES if name != engine_name)
    outputs = [generate(tiny_lm, seed, compiled[engine_name]) for seed in SEEDS]
    ended = [ids for ids in outputs if ids[-1] in tiny_lm.eos_token_ids]
    prefixes = sum(accepted(compiled[other], ids, prefix=True) for ids in outputs)
    complete = sum(accepted(compiled[other], ids) for ids in ended)
    unparsed = [text for text in map(tiny_lm.text, ended) if not grammar.parses(text)]
    parsed = len(ended) - len(unparsed)
    print(
        f"\n{engine_name}, {grammar.name}, tiny random GPT-2, {len(SEEDS)} seeds, {MAX_NEW_TOKENS} tokens: "
        f"ended {rate(len(ended), len(SEEDS))}; by {other}: as a prefix {rate(prefixes, len(SEEDS))},"
        f" complete {rate(complete, len(ended))} of ended; ast.parse {rate(parsed, len(ended))} of ended; "
        f"e.g. {[tiny_lm.text(ids) for ids in ended[:3]]!r}"
    )
    assert prefixes == len(SEEDS)
    assert complete == len(ended)
    assert not unparsed
    assert len(ended) >= (1.0 if grammar.bounded else UNBOUNDED_COMPLETION_FLOOR) * len(SEEDS)


def test_unconstrained_outputs_mostly_do_not_parse(
    grammar: PythonGrammar, compiled: dict[str, CompiledGrammar], tiny_lm: LanguageModel
) -> None:
    outputs = [generate(tiny_lm, seed) for seed in SEEDS]
    texts = [tiny_lm.text(ids) for ids in outputs]
    in_grammar = sum(accepted(compiled["llguidance"], ids) for ids in outputs)
    parsed = sum(grammar.parses(text) for text in texts)
    print(
        f"\nunconstrained, {grammar.name}, tiny random GPT-2, {len(SEEDS)} seeds: accepted by the grammar "
        f"{rate(in_grammar, len(SEEDS))}, ast.parse {rate(parsed, len(SEEDS))}; e.g. {texts[:2]!r}"
    )
    assert in_grammar <= UNCONSTRAINED_ACCEPTANCE_CEILING * len(SEEDS)
    assert parsed <= UNCONSTRAINED_ACCEPTANCE_CEILING * len(SEEDS)


@pytest.mark.parametrize("engine_name", sorted(ENGINES))
def test_masks_allow_end_of_sequence_exactly_when_the_output_can_end(
    engine_name: str, compiled: dict[str, CompiledGrammar], tiny_lm: LanguageModel
) -> None:
    grammar = compiled[engine_name]
    ids = generate(tiny_lm, 7, grammar)
    matcher = grammar.matcher()
    mask = new_mask(matcher.vocab_size)
    for token_id in ids:
        matcher.allowed(mask)
        assert mask[token_id], token_id
        assert mask[grammar.eos_token_id] == matcher.can_end()
        matcher.advance(token_id)
    assert matcher.is_finished() == (ids[-1] == grammar.eos_token_id)


def test_llguidance_allows_no_token_that_transformers_cfg_rejects(
    compiled: dict[str, CompiledGrammar], tiny_lm: LanguageModel
) -> None:
    """The engines agree, up to llguidance leaving out some prefix tokens (a lone space before ` = `)."""
    fast, reference = compiled["llguidance"], compiled["transformers-cfg"]
    for seed in range(3):
        ids = generate(tiny_lm, seed, fast)[:24]
        fast_matcher, reference_matcher = fast.matcher(), reference.matcher()
        fast_mask, reference_mask = new_mask(fast.vocab_size), new_mask(reference.vocab_size)
        for token_id in ids:
            fast_matcher.allowed(fast_mask)
            reference_matcher.allowed(reference_mask)
            assert not (fast_mask & ~reference_mask).any()
            fast_matcher.advance(token_id)
            reference_matcher.advance(token_id)


@pytest.mark.parametrize(
    "engine", [TransformersCfgEngine(), LlguidanceEngine()], ids=lambda engine: engine.name
)
@pytest.mark.parametrize(
    ("grammar_text", "expected"),
    [
        ('root ::= "a" missing\n', "missing"),
        ('root ::= "unterminated\n', "line"),
    ],
    ids=["undefined rule", "syntax error"],
)
def test_a_grammar_that_does_not_compile_raises_grammar_compile_error(
    engine: Engine, grammar_text: str, expected: str, tiny_lm: LanguageModel
) -> None:
    with pytest.raises(GrammarCompileError) as raised:
        engine.compile(grammar_text, tiny_lm.tokenizer)
    print(f"\n{engine.name}: {raised.value}")
    assert raised.value.engine == engine.name
    assert raised.value.message
    assert expected in str(raised.value)
    assert str(raised.value).startswith(f"{engine.name} could not compile the grammar: ")


@pytest.mark.parametrize(
    "engine", [TransformersCfgEngine(), LlguidanceEngine()], ids=lambda engine: engine.name
)
def test_a_token_outside_the_grammar_raises_token_rejected_and_leaves_the_state(
    engine: Engine, tiny_lm: LanguageModel
) -> None:
    tokenizer = tiny_lm.tokenizer
    grammar = engine.compile('root ::= "x = " [0-9]\n', tokenizer)
    matcher = grammar.matcher()
    (x,) = tokenizer.convert_tokens_to_ids(["x"])
    (y,) = tokenizer.convert_tokens_to_ids(["y"])
    with pytest.raises(TokenRejected) as raised:
        matcher.advance(y)
    assert raised.value.token_id == y
    with pytest.raises(TokenRejected):
        matcher.advance(grammar.eos_token_id)
    matcher.advance(x)
    for token_id in tokenizer.encode(" = 7"):
        matcher.advance(token_id)
    assert matcher.can_end()
    matcher.advance(grammar.eos_token_id)
    assert matcher.is_finished()
    with pytest.raises(TokenRejected):
        matcher.advance(x)


def test_the_processor_refuses_a_batch_of_two(tiny_lm: LanguageModel) -> None:
    import torch

    from maze.generation.engines.processor import ConstrainedLogitsProcessor

    grammar = LlguidanceEngine().compile('root ::= "x"\n', tiny_lm.tokenizer)
    processor = ConstrainedLogitsProcessor(grammar.matcher(), tiny_lm.eos_token_ids)
    with pytest.raises(ValueError, match="batch size 1"):
        processor(torch.zeros((2, 1), dtype=torch.long), torch.zeros((2, grammar.vocab_size)))


def test_transformers_cfg_masks_cache_stays_within_its_bound(tiny_lm: LanguageModel) -> None:
    grammar = TransformersCfgEngine(mask_cache_entries=4).compile(STATEMENT_GRAMMAR, tiny_lm.tokenizer)
    for seed in range(3):
        generate(tiny_lm, seed, grammar)
        assert grammar.cached_masks() <= 4


def test_transformers_cfg_never_loads_a_tokenizer(
    monkeypatch: pytest.MonkeyPatch, tiny_lm: LanguageModel
) -> None:
    """Upstream fetches `gpt2` for its byte table; ours is built locally, even for a fresh tokenizer."""
    import transformers

    from tests.models.conftest import train_python_tokenizer

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"from_pretrained{args} was called")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", refuse)
    grammar = TransformersCfgEngine().compile(STATEMENT_GRAMMAR, train_python_tokenizer())
    assert generate(tiny_lm, 0, grammar)[-1] == tiny_lm.eos_token_ids[0]
