"""Generations from a transformers model on this machine, decoded under the grammar by an engine.

The model is a directory holding a transformers model, or a `.gguf` file (transformers dequantizes it
with `from_pretrained(directory, gguf_file=...)`); it is loaded on first use, never from the network
(`local_files_only=True`). Decoding runs in a worker thread, one generation at a time (the model is
not shared between concurrent `generate` calls); a generation given up by its caller (a timeout) stops
at the next token. Grammars are compiled once per text for the model's tokenizer.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maze.generation.providers.base import Generation, GenerationRequest, GrammarUnusable, ProviderError

_COMPILED_GRAMMARS = 16


class ModelUnavailable(ProviderError):
    """The configured model cannot be loaded (missing path, not a model, missing libraries)."""


@dataclass(frozen=True)
class LocalSettings:
    """The model (a directory or a .gguf file) and the engine name (`auto` = the fastest installed)."""

    model_path: Path
    engine: str = "auto"


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    eos_token_ids: tuple[int, ...]


class LocalProvider:
    """One local model behind the Provider interface."""

    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()
        self._grammars: OrderedDict[str, Any] = OrderedDict()

    @property
    def name(self) -> str:
        return f"local:{self.settings.engine}:{self.settings.model_path.name}"

    async def generate(self, request: GenerationRequest) -> Generation:
        stop = threading.Event()
        try:
            return await asyncio.to_thread(self.generate_blocking, request, stop)
        except asyncio.CancelledError:
            stop.set()
            raise

    def load(self) -> None:
        """Load the model now, rather than on the first generation."""
        self._model()

    def generate_blocking(
        self, request: GenerationRequest, stop: threading.Event | None = None
    ) -> Generation:
        """The generation, in the calling thread; `stop` set by another thread ends it at the next token."""
        started = time.monotonic()
        loaded = self._model()
        with self._generate_lock:
            if stop is not None and stop.is_set():
                raise ProviderError(f"{self.name}: the generation was given up before it started")
            tokens, prompt_length = self._decode(loaded, request, stop or threading.Event())
        new_tokens = tokens[prompt_length:]
        ended = bool(new_tokens) and new_tokens[-1] in loaded.eos_token_ids
        text = loaded.tokenizer.decode(
            [token for token in new_tokens if token not in loaded.eos_token_ids], skip_special_tokens=False
        )
        return Generation(
            text=text,
            prompt_tokens=prompt_length,
            completion_tokens=len(new_tokens),
            seconds=time.monotonic() - started,
            provider=self.name,
            model=self.settings.model_path.name,
            truncated=not ended and len(new_tokens) >= request.max_tokens,
        )

    def _decode(
        self, loaded: _Loaded, request: GenerationRequest, stop: threading.Event
    ) -> tuple[list[int], int]:
        import torch
        from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

        from maze.generation.engines.processor import ConstrainedLogitsProcessor

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> bool:
                return stop.is_set()

        compiled = self._compiled(loaded, request.grammar_text)
        processor = ConstrainedLogitsProcessor(compiled.matcher(), loaded.eos_token_ids)
        inputs = _prompt(loaded.tokenizer, request)
        prompt_length = int(inputs["input_ids"].shape[1])
        sampling: dict[str, Any] = {"do_sample": False}
        if request.temperature > 0:
            sampling = {"do_sample": True, "temperature": request.temperature, "top_k": 0, "top_p": 1.0}
        if request.seed is not None:
            torch.manual_seed(request.seed)
        with torch.inference_mode():
            output = loaded.model.generate(
                **inputs,
                max_new_tokens=request.max_tokens,
                logits_processor=LogitsProcessorList([processor]),
                stopping_criteria=StoppingCriteriaList([_Stop()]),
                eos_token_id=list(loaded.eos_token_ids),
                pad_token_id=loaded.eos_token_ids[0],
                **sampling,
            )
        if stop.is_set():
            raise ProviderError(f"{self.name}: the generation was given up")
        return [int(token) for token in output[0].tolist()], prompt_length

    def _compiled(self, loaded: _Loaded, grammar_text: str) -> Any:
        from maze.generation.engines import registry
        from maze.generation.engines.base import GrammarCompileError

        compiled = self._grammars.get(grammar_text)
        if compiled is None:
            try:
                compiled = registry.get(self.settings.engine).compile(grammar_text, loaded.tokenizer)
            except GrammarCompileError as error:
                raise GrammarUnusable(f"{self.name}: {error}") from error
            except registry.EngineUnavailable as error:
                raise ModelUnavailable(f"{self.name}: {error}") from error
            self._grammars[grammar_text] = compiled
            while len(self._grammars) > _COMPILED_GRAMMARS:
                self._grammars.popitem(last=False)
        self._grammars.move_to_end(grammar_text)
        return compiled

    def _model(self) -> _Loaded:
        with self._load_lock:
            if self._loaded is None:
                self._loaded = _load(self.settings.model_path, self.name)
            return self._loaded


def _load(path: Path, name: str) -> _Loaded:
    if path.is_file() and path.suffix == ".gguf":
        directory, extra = path.parent, {"gguf_file": path.name}
    elif path.is_dir():
        directory, extra = path, {}
    else:
        raise ModelUnavailable(
            f"{name}: model_path {path} is neither a directory holding a transformers model nor a .gguf file"
        )
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as error:
        raise ModelUnavailable(
            f"{name}: the local provider needs the models extra (torch, transformers)"
        ) from error
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True, **extra)
        model: Any = AutoModelForCausalLM.from_pretrained(directory, local_files_only=True, **extra)
    except (OSError, ValueError) as error:
        raise ModelUnavailable(f"{name}: cannot load the model from {path}: {error}") from error
    model.eval()
    return _Loaded(model, tokenizer, _eos_token_ids(model, tokenizer))


def _eos_token_ids(model: Any, tokenizer: Any) -> tuple[int, ...]:
    configured = model.generation_config.eos_token_id
    ids = configured if isinstance(configured, list) else [configured]
    ids = [*ids, tokenizer.eos_token_id]
    found = tuple(sorted({int(token) for token in ids if token is not None}))
    if not found:
        raise ModelUnavailable("the model names no end-of-sequence token")
    return found


def _prompt(tokenizer: Any, request: GenerationRequest) -> Any:
    """The chat as model input: the tokenizer's chat template, or the messages one after another."""
    messages = [{"role": message.role, "content": message.content} for message in request.messages]
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
    text = "".join(f"{message['role']}: {message['content']}\n" for message in messages) + "assistant: "
    return tokenizer(text, return_tensors="pt")
