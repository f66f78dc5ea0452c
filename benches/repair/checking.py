"""The repair set: click's tree laid out once, faults checked against Maze's validators, cases cached.

A fault becomes a case only when Maze's own validators (syntax, ruff with click's configuration and
ruff's S rules, mypy with click's strict configuration) report, on the faulty file, a finding on the
fault line that the unfaulted file does not have (the differential rule the engine's proof uses: compared
by tool, rule and message). Faults that break nothing the validators see are discarded and the next
fault of the seeded stream is taken, so the set depends on the seed and the validators alone. Tests are
not part of this check (`ValidationSettings(tests=False)`): a case is one the static checks flag.

Cases are written as JSON (`--out`, default `.maze/bench-cache/repair-cases-seed<S>-n<N>.json`) with the
generator's source digest; a later run with the same seed, count, kinds and generator reads them back.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(1, str(HERE.parent.parent))

import corpora  # noqa: E402
from faults import KINDS, Fault, Module, fault_stream  # noqa: E402

from maze.analysis import Problem  # noqa: E402
from maze.repair.findings import findings_from_report  # noqa: E402
from maze.validators.settings import ValidationSettings  # noqa: E402
from maze.validators.suite import validate_tree  # noqa: E402

SOURCES = "src/click"
KEPT = ("src", "tests", "pyproject.toml")
SETTINGS = ValidationSettings(type_checker="mypy", typescript=False, tests=False)
"""What the case check and the engine's proof run: click's own configuration of ruff and mypy."""

FindingKey = tuple[str, str, str]


@dataclass(frozen=True)
class Case:
    """One checked fault: the finding(s) it adds on its fault line, as the validators word them."""

    id: str
    fault: Fault
    findings: tuple[dict[str, Any], ...]

    @property
    def kind(self) -> str:
        return self.fault.kind

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "fault": self.fault.to_json(), "findings": list(self.findings)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Case:
        return cls(str(data["id"]), Fault.from_json(dict(data["fault"])), tuple(data["findings"]))


def layout_click(workdir: Path) -> Path:
    """click 8.5.1's sources, tests and pyproject.toml (fetched by pinned sha256) under `workdir/click`."""
    staging = workdir / "staging"
    corpus = corpora.prepare("click", staging)
    root = workdir / "click"
    root.mkdir(parents=True)
    for name in KEPT:
        source = corpus.root / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copyfile(source, root / name)
    shutil.rmtree(staging)
    return root


def modules(root: Path) -> dict[str, Module]:
    return {
        path.relative_to(root).as_posix(): Module(path.relative_to(root).as_posix(), path.read_text("utf-8"))
        for path in sorted((root / SOURCES).glob("*.py"))
    }


def key(problem: Problem) -> FindingKey:
    return (problem.tool, problem.rule, problem.message)


def findings(tree: Path, changed: Mapping[str, set[int] | None], state_dir: Path) -> list[Problem]:
    report = validate_tree(tree, changed, runner=None, settings=SETTINGS, state_dir=state_dir)
    return findings_from_report(report, changed)


def baseline_keys(root: Path, paths: Iterable[str], state_dir: Path) -> dict[str, list[FindingKey]]:
    """Per file, the findings of the unfaulted tree (also fills mypy's incremental cache in `state_dir`)."""
    wanted = sorted(paths)
    found = findings(root, dict.fromkeys(wanted), state_dir)
    return {path: sorted(key(p) for p in found if p.path == path) for path in wanted}


def added_on_line(found: list[Problem], baseline: list[FindingKey], line: int) -> list[Problem]:
    """The findings on `line` that the baseline of the file does not have (by tool, rule and message)."""
    remaining = list(baseline)
    added: list[Problem] = []
    for problem in found:
        if key(problem) in remaining:
            remaining.remove(key(problem))
        elif problem.line <= line <= problem.end_line:
            added.append(problem)
    return added


def as_json(problem: Problem) -> dict[str, Any]:
    return {
        "tool": problem.tool,
        "rule": problem.rule,
        "message": problem.message,
        "line": problem.line,
        "end_line": problem.end_line,
        "column": problem.column,
    }


# Worker state: a private copy of the tree, restored after each check.
_WORKER: dict[str, Any] = {}


def _init_worker(root: str, state_dir: str, baseline: dict[str, list[FindingKey]]) -> None:
    copy = Path(state_dir).parent / f"check-{multiprocessing.current_process().pid}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy)
    _WORKER.update(root=Path(root), copy=copy, state_dir=Path(state_dir), baseline=baseline)


def check(fault: Fault) -> tuple[list[dict[str, Any]], float]:
    """The findings `fault` adds on its fault line (none: it breaks nothing the validators see), seconds."""
    started = time.perf_counter()
    root, copy = _WORKER["root"], _WORKER["copy"]
    original = (root / fault.path).read_text("utf-8")
    target = copy / fault.path
    target.write_text(fault.apply(original), "utf-8")
    try:
        found = findings(copy, {fault.path: None}, _WORKER["state_dir"])
    finally:
        target.write_text(original, "utf-8")
    keys: list[FindingKey] = [(k[0], k[1], k[2]) for k in _WORKER["baseline"].get(fault.path, [])]
    added = added_on_line(found, keys, fault.fault_line)
    return [as_json(p) for p in added], time.perf_counter() - started


def generator_digest() -> str:
    """Cases depend on the generator's code: its digest is stored with them."""
    digest = hashlib.sha256()
    for name in ("faults.py", "checking.py"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class GenerationStats:
    """How many faults of each kind were tried and discarded, and the check's time."""

    tried: dict[str, int]
    discarded: dict[str, int]
    check_seconds: list[float]
    wall_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _chunks(stream: Iterator[Fault], size: int) -> Iterator[list[Fault]]:
    while True:
        chunk = [fault for _, fault in zip(range(size), stream, strict=False)]
        if not chunk:
            return
        yield chunk


def generate(
    root: Path, state_dir: Path, *, seed: int, per_kind: Mapping[str, int], workers: int, log: Any = print
) -> tuple[list[Case], GenerationStats]:
    """Checked cases, `per_kind[kind]` of each kind, in the seeded order of each kind's fault stream."""
    started = time.perf_counter()
    parsed = modules(root)
    baseline = baseline_keys(root, parsed, state_dir)
    noise = sum(len(keys) for keys in baseline.values())
    log(f"baseline: {noise} findings in the unfaulted {SOURCES}/*.py (the differential reference)")
    stats = GenerationStats({k: 0 for k in per_kind}, {k: 0 for k in per_kind}, [])
    cases: list[Case] = []
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, _init_worker, (str(root), str(state_dir), baseline)) as pool:
        for kind, wanted in per_kind.items():
            accepted: list[Case] = []
            stream = fault_stream(parsed, kind, seed)
            for chunk in _chunks(stream, max(2 * workers, 4)):
                if len(accepted) >= wanted:
                    break
                results = pool.map(check, chunk)
                for fault, (added, seconds) in zip(chunk, results, strict=True):
                    if len(accepted) >= wanted:
                        break
                    stats.tried[kind] += 1
                    stats.check_seconds.append(seconds)
                    if not added:
                        stats.discarded[kind] += 1
                        continue
                    accepted.append(Case(f"{kind}-{len(accepted):03d}", fault, tuple(added)))
            log(
                f"  {kind}: {len(accepted)} cases ({stats.tried[kind]} faults tried, "
                f"{stats.discarded[kind]} broke nothing the validators see)"
            )
            cases.extend(accepted)
    stats.wall_seconds = time.perf_counter() - started
    return cases, stats


def per_kind_counts(total: int, kinds: Iterable[str]) -> dict[str, int]:
    """`total` cases spread over `kinds` as evenly as possible (the first kinds take the remainder)."""
    chosen = [k for k in KINDS if k in set(kinds)]
    base, extra = divmod(total, len(chosen))
    return {kind: base + (1 if index < extra else 0) for index, kind in enumerate(chosen)}


def save(
    path: Path, seed: int, per_kind: Mapping[str, int], cases: list[Case], stats: GenerationStats
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generator": generator_digest(),
        "seed": seed,
        "per_kind": dict(per_kind),
        "corpus": corpora.CLICK.filename,
        "sha256": corpora.CLICK.sha256,
        "stats": stats.to_json(),
        "cases": [case.to_json() for case in cases],
    }
    path.write_text(json.dumps(document, indent=1) + "\n", "utf-8")


def load(path: Path, seed: int, per_kind: Mapping[str, int]) -> tuple[list[Case], dict[str, Any]] | None:
    """The cached cases when they were made by this generator for this seed and these counts."""
    if not path.is_file():
        return None
    document = json.loads(path.read_text("utf-8"))
    if (
        document.get("generator") != generator_digest()
        or document.get("seed") != seed
        or document.get("per_kind") != dict(per_kind)
    ):
        return None
    return [Case.from_json(item) for item in document["cases"]], dict(document.get("stats", {}))
