"""Type-checking benchmark: mypy on one changed file of a generated 20,000-line repository, in the sandbox.

    python benches/bench_typecheck.py [--modules 100] [--lines 200] [--repeat 3] [--sandbox bubblewrap|none]
                                      [--json out.json]

The repository is generated: `--modules` modules of about `--lines` lines each in ten packages, every
module a dataclass and annotated functions that import and call the two modules before it, so the last
module's imports reach every other one (mypy, following imports, analyses the whole repository for it).
Every figure is `validate_tree` with only mypy enabled and no diagnostic cache (mypy really runs), through
the runner of `--sandbox`: the tree is snapshotted and copied, the sandbox started, mypy run, its output
parsed. Medians of `--repeat` runs:

- cold, one file: the changed (last) module with an empty mypy cache (typeshed and all 100 modules analysed);
- cold, every file: all modules as targets, empty cache (what `maze validate PATH` does on a fresh tree);
- warm, one file: a baseline run fills the repository's mypy state; then the changed module gets a new
  function (new content each repetition) and is checked again starting from a copy of that state;
- warm, unchanged: the same tree again with the copied state (nothing to re-analyse);
- sandbox start: `true` through the same runner, for the fixed cost included in every figure.

Goal: warm, one file under 2 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maze.sandbox.api import Runner, RunRequest
from maze.sandbox.factory import make_runner
from maze.validators import mypy_check
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree

GOAL_SECONDS = 2.0
LABELS = ("sandbox start", "cold, one file", "cold, every file", "warm, one file", "warm, unchanged")
PACKAGES = 10
ONLY_MYPY = ValidationSettings(
    syntax=False, ruff=False, security=False, type_checker="mypy", typescript=False, tests=False
)


def _module_path(index: int) -> str:
    return f"pkg/layer{index % PACKAGES}/mod{index:03d}.py"


def _module_name(index: int) -> str:
    return _module_path(index).removesuffix(".py").replace("/", ".")


def _function(index: int, number: int, deps: list[int]) -> str:
    calls = " + ".join(
        f"combine_{dep}(Record{dep}(x, y, [1.0]), Record{dep}(x + 1, y, [2.0]))" for dep in deps
    )
    used = calls or "0.0"
    return (
        f"def f{index}_{number}(x: int, y: str, scale: float = 1.0) -> dict[str, float]:\n"
        f'    """Generated function {number} of module {index}."""\n'
        f"    record = Record{index}(x, y, [float(x), scale])\n"
        f"    base = record.total() * scale + ({used})\n"
        f"    items: dict[str, float] = {{y: base, str(x): record.scaled(scale).total()}}\n"
        f"    if x > {number}:\n"
        f"        items[y + '!'] = float(len(y))\n"
        f"    return items\n\n\n"
    )


def module_source(index: int, lines: int) -> str:
    deps = [dep for dep in (index - 1, index - 3) if dep >= 0]
    imports = "".join(f"from {_module_name(dep)} import Record{dep}, combine_{dep}\n" for dep in deps)
    head = (
        f'"""Generated module {index}."""\n\nfrom __future__ import annotations\n\n'
        f"from dataclasses import dataclass, field\n\n{imports}\n\n"
        f"@dataclass\nclass Record{index}:\n"
        f"    id: int\n    name: str\n    values: list[float] = field(default_factory=list)\n\n"
        f"    def total(self) -> float:\n        return sum(self.values)\n\n"
        f"    def scaled(self, factor: float) -> Record{index}:\n"
        f"        return Record{index}(self.id, self.name, [v * factor for v in self.values])\n\n\n"
        f"def combine_{index}(a: Record{index}, b: Record{index}) -> float:\n"
        f"    return a.total() + b.total()\n\n\n"
    )
    body = head
    number = 0
    while body.count("\n") < lines:
        body += _function(index, number, deps if number % 5 == 0 else [])
        number += 1
    return body


def generate(root: Path, modules: int, lines: int) -> int:
    """Write the repository; returns its number of lines."""
    total = 0
    for package in range(PACKAGES):
        (root / f"pkg/layer{package}").mkdir(parents=True, exist_ok=True)
        (root / f"pkg/layer{package}/__init__.py").write_text("")
    (root / "pkg/__init__.py").write_text("")
    for index in range(modules):
        source = module_source(index, lines)
        (root / _module_path(index)).write_text(source)
        total += source.count("\n")
    (root / "pyproject.toml").write_text('[tool.mypy]\nstrict = true\npython_version = "3.11"\n')
    return total


def _check(tree: Path, changed: list[str], runner: Runner, state: Path | None) -> tuple[float, float]:
    """Wall time of one `validate_tree` (mypy only) and of the mypy run inside it."""
    started = time.perf_counter()
    report = validate_tree(tree, dict.fromkeys(changed), runner=runner, settings=ONLY_MYPY, state_dir=state)
    wall = time.perf_counter() - started
    run = report.run_of("mypy")
    if run is None or not run.ran:
        raise SystemExit(f"mypy did not run: {run}")
    if run.diagnostics:
        raise SystemExit(f"the generated repository should type-check cleanly: {run.diagnostics[:3]}")
    return wall, run.seconds


def _sandbox_start(runner: Runner, workdir: Path) -> float:
    started = time.perf_counter()
    runner.run(RunRequest(["true"], workdir))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sandbox", choices=["bubblewrap", "none"], default="bubblewrap")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runner = make_runner(args.sandbox)
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "mypy": mypy_check.version(),
        "sandbox": runner.name,
        "samples": {},
    }
    with tempfile.TemporaryDirectory(prefix="maze-bench-typecheck-") as scratch:
        tree = Path(scratch) / "repo"
        results["lines"] = generate(tree, args.modules, args.lines)
        changed = _module_path(args.modules - 1)
        every = [_module_path(index) for index in range(args.modules)]
        samples: dict[str, list[float]] = {label: [] for label in LABELS}
        inside: dict[str, list[float]] = {label: [] for label in LABELS}

        def record(label: str, measured: tuple[float, float]) -> None:
            samples[label].append(measured[0])
            inside[label].append(measured[1])

        for repetition in range(args.repeat):
            samples["sandbox start"].append(_sandbox_start(runner, tree))
            record("cold, one file", _check(tree, [changed], runner, Path(scratch) / f"one-{repetition}"))
            record("cold, every file", _check(tree, every, runner, Path(scratch) / f"every-{repetition}"))
            state = Path(scratch) / f"state-{repetition}"
            _check(tree, [changed], runner, state)
            addition = f"\ndef added_{repetition}(value: int) -> str:\n    return str(value * {repetition})\n"
            with (tree / changed).open("a") as handle:
                handle.write(addition)
            record("warm, one file", _check(tree, [changed], runner, state))
            record("warm, unchanged", _check(tree, [changed], runner, state))
    results["samples"] = samples
    results["mypy run (inside validate_tree)"] = inside
    print(f"repository: {results['lines']} lines in {args.modules} modules; {results['mypy']}")
    print(f"runner: {runner.name}")
    print(f"{'':<20}{'median s':>10}{'mypy run s':>12}   samples")
    for label, values in samples.items():
        inner_median = f"{statistics.median(inside[label]):.2f}" if inside[label] else ""
        shown = ", ".join(f"{value:.2f}" for value in values)
        print(f"{label:<20}{statistics.median(values):>10.2f}{inner_median:>12}   {shown}")
    warm = statistics.median(samples["warm, one file"])
    verdict = "PASS" if warm < GOAL_SECONDS else "MISS"
    print(f"goal: warm, one file < {GOAL_SECONDS:.0f} s: {warm:.2f} s {verdict}")
    results["goal"] = {"seconds": GOAL_SECONDS, "warm_one_file": warm, "met": warm < GOAL_SECONDS}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
