"""Indexer benchmark: cold, warm and PR re-index against raw tree-sitter parsing and universal-ctags.

    python benches/bench_index.py [--corpus click|rxjs|stdlib|all] [--json out.json]

For each corpus, every figure is measured in this run on the same files: the files the indexer selects
(its own selection code decides), read once into memory for the raw parser, listed for ctags with `-L`.

- raw parse: `tree_sitter.Parser.parse` on every selected file, one process, then two forked processes
  (same largest-first chunks as the indexer); contents already in memory, so no I/O;
- cold index: `index_source(DirectorySource(tree), session, workers=N)` plus the commit, in a fresh
  process, with a new empty SQLite cache, and again with no cache (session None, `maze index --no-cache`);
- warm index: the same against the filled cache (nothing parsed), on the plain tree and on a git work
  tree of the same files (a copy with everything committed);
- PR re-index: 20 files get a function appended (a new blob each repetition), then a cached re-index of
  the whole tree must parse exactly those 20; median of the repetitions in one process that compiled
  the tag queries first, as a long-lived worker does (`warm_up()`). Measured on the git work tree
  (`maze index`: blob SHAs of unchanged files from git's index), through the worker's own GitHub path
  (`index_at_head`, tree and blobs served from memory) and, for context, on the plain directory (every
  file read and hashed);
- universal-ctags: `ctags --sort=no -L LIST` over the same files, single process (it has no threads).

Medians are reported; every sample is in the JSON output. Peak memory: `ru_maxrss` of the indexing
process and of its largest worker (the kernel's exact per-process peaks; the larger is reported as
"peak RSS"), plus the sum of PSS over the process and its workers sampled every 0.1 s (shared
copy-on-write pages counted once), which is the memory the run really occupies at its peak.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import corpora
from tree_sitter import Parser

from maze.indexing import repository
from maze.indexing.languages import get
from maze.indexing.repository import IndexReport, default_workers
from maze.indexing.selection import DEFAULT_MAX_BYTES
from maze.indexing.sources import DirectorySource
from maze.store import schema

HERE = Path(__file__).resolve().parent
CHILD = HERE / "index_child.py"
CTAGS = shutil.which("ctags") or "/usr/bin/ctags"
PR_FILES = 20
SAMPLE_SECONDS = 0.1
MIN_STDLIB_LINES = 100_000

GOAL_COLD_RATIO = 0.70
GOAL_PEAK_MB = 1024
GOAL_PR_MS = 100

CTAGS_LANGUAGES = {
    "python": "Python",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "tsx": "TypeScript",
    "go": "Go",
    "rust": "Rust",
}

Item = tuple[str, str, bytes]


# ---------------------------------------------------------------- selection


def select(root: Path) -> tuple[list[Item], IndexReport]:
    """The files `index_source` would index, decided by the indexer's own selection code."""
    source = DirectorySource(root)
    report = IndexReport()
    items: list[Item] = []
    for entry in source.entries():
        report.entries += 1
        found = repository.read_indexable(source, entry, report, max_bytes=DEFAULT_MAX_BYTES)
        if found is not None:
            items.append((entry.path, found[0], found[1]))
    return items, report


def git_copy(root: Path, destination: Path) -> Path:
    """A git work tree of the corpus with everything committed, its index fresh (no racily clean entry)."""
    shutil.copytree(root, destination, symlinks=True)
    time.sleep(1.1)  # files older than the index git writes next, so git trusts their stat data

    identity = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost"}
    identity.update(GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost")
    environment = {**os.environ, **identity}

    def git(*arguments: str) -> None:
        command = ["git", "-C", str(destination), *arguments]
        subprocess.run(command, check=True, capture_output=True, env=environment)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "--no-gpg-sign", "-m", "corpus")
    git("update-index", "-q", "--refresh")
    return destination


def count_lines(content: bytes) -> int:
    """Lines as the index report counts them."""
    return content.count(b"\n") + 1


# ---------------------------------------------------------------- raw tree-sitter

_RAW_ITEMS: list[Item] = []


def raw_parse_once(items: list[Item], cpu: list[float] | None = None) -> float:
    """Wall seconds to parse every item in this process; its CPU seconds are appended to `cpu`."""
    parsers: dict[str, Parser] = {}
    began, began_cpu = time.perf_counter(), time.process_time()
    for _path, language, content in items:
        parser = parsers.get(language)
        if parser is None:
            parser = parsers[language] = Parser(get(language).ts_language)
        parser.parse(content)
    if cpu is not None:
        cpu.append(time.process_time() - began_cpu)
    return time.perf_counter() - began


def _raw_parse_indices(indices: list[int]) -> int:
    parsers: dict[str, Parser] = {}
    for number in indices:
        _path, language, content = _RAW_ITEMS[number]
        parser = parsers.get(language)
        if parser is None:
            parser = parsers[language] = Parser(get(language).ts_language)
        parser.parse(content)
    return len(indices)


def _raw_chunks(items: list[Item], chunk_bytes: int) -> list[list[int]]:
    """Largest first, cut every `chunk_bytes`, as the indexer's pool does."""
    order = sorted(range(len(items)), key=lambda i: (-len(items[i][2]), items[i][0]))
    chunks: list[list[int]] = []
    chunk: list[int] = []
    size = 0
    for number in order:
        chunk.append(number)
        size += len(items[number][2])
        if size >= chunk_bytes:
            chunks.append(chunk)
            chunk, size = [], 0
    if chunk:
        chunks.append(chunk)
    return chunks


def raw_parse_pool(items: list[Item], workers: int) -> float:
    """Wall time of a forked pool parsing every item, pool start and shutdown included."""
    global _RAW_ITEMS
    _RAW_ITEMS = items
    chunks = _raw_chunks(items, repository._CHUNK_BYTES)
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        done = sum(pool.imap_unordered(_raw_parse_indices, chunks))
        pool.close()
        pool.join()
    seconds = time.perf_counter() - began
    _RAW_ITEMS = []
    if done != len(items):
        raise RuntimeError(f"raw pool parsed {done} of {len(items)} files")
    return seconds


# ---------------------------------------------------------------- processes and memory


@dataclass
class ProcessRun:
    wall: float
    peak_pss_kb: int = 0
    peak_rss_sum_kb: int = 0
    stdout: str = ""
    stderr: str = ""


def _descendants(pid: int) -> list[int]:
    found = [pid]
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            threads = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for thread in threads:
            try:
                with open(f"/proc/{current}/task/{thread}/children", encoding="ascii") as handle:
                    children = [int(word) for word in handle.read().split()]
            except OSError:
                continue
            found.extend(children)
            stack.extend(children)
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(sum of PSS, sum of RSS) in KiB over `pid` and its descendants."""
    pss = rss = 0
    for process in _descendants(pid):
        try:
            with open(f"/proc/{process}/smaps_rollup", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return pss, rss


def run_process(command: list[str], *, sample: bool = False) -> ProcessRun:
    """Run `command` to its end; with `sample`, poll its memory (and that of its children) meanwhile.

    No `ru_maxrss` is taken here: Linux carries a process's resident peak over `exec`, so any child of
    this (large) process would report this process's peak; the children measure their own.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(corpora.REPOSITORY), env.get("PYTHONPATH", "")]))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        peak_pss = peak_rss = 0
        while sample and process.poll() is None:
            pss, rss = _memory_kb(process.pid)
            peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
            time.sleep(SAMPLE_SECONDS)
        process.wait()
        wall = time.perf_counter() - began
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{stderr[-4000:]}")
    return ProcessRun(wall, peak_pss, peak_rss, stdout, stderr)


def run_child(arguments: list[str], *, sample: bool = True) -> tuple[dict[str, Any], ProcessRun]:
    run = run_process([sys.executable, str(CHILD), *arguments], sample=sample)
    return json.loads(run.stdout), run


# ---------------------------------------------------------------- ctags


def ctags_command(items: list[Item], list_file: Path, tags_file: Path) -> list[str]:
    languages = sorted({CTAGS_LANGUAGES[language] for _path, language, _content in items})
    maps = sorted(
        {
            (CTAGS_LANGUAGES[language], os.path.splitext(path)[1])
            for path, language, _content in items
            if os.path.splitext(path)[1]
        }
    )
    list_file.write_text("".join(f"{path}\n" for path, _language, _content in items), encoding="utf-8")
    return [
        CTAGS,
        "--options=NONE",
        "--totals=yes",
        "--sort=no",
        f"--languages={','.join(languages)}",
        *[f"--map-{language}=+{extension}" for language, extension in maps],
        "-f",
        str(tags_file),
        "-L",
        str(list_file),
    ]


def parse_ctags_totals(stderr: str) -> dict[str, int]:
    """`N files, M lines (K kB) scanned ...` and `T tags added to tag file` from --totals."""
    totals: dict[str, int] = {}
    for line in stderr.splitlines():
        words = line.replace(",", "").split()
        if "scanned" in words and len(words) >= 4 and words[1].startswith("file"):
            totals["files"] = int(words[0])
            totals["lines"] = int(words[2])
        elif line.strip().endswith("added to tag file") and words:
            totals["tags"] = int(words[0])
    return totals


# ---------------------------------------------------------------- one corpus


@dataclass
class CorpusResult:
    name: str
    description: str
    files: int = 0
    lines: int = 0
    bytes: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def median(self, key: str) -> float:
        return statistics.median(self.samples[key])

    def klocs(self, key: str) -> float:
        return self.lines / self.median(key) / 1000


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(f"benchmark check failed: {message}")


def pr_plan(items: list[Item]) -> list[dict[str, str]]:
    """PR_FILES files spread evenly over the sorted selection."""
    _check(len(items) >= PR_FILES, f"only {len(items)} files, a PR of {PR_FILES} is not possible")
    ordered = sorted(items)
    step = len(ordered) / PR_FILES
    chosen = [ordered[int(number * step)] for number in range(PR_FILES)]
    return [{"path": path, "language": language} for path, language, _content in chosen]


def bench_corpus(name: str, workdir: Path, *, workers: int, repeat: int, pr_reps: int) -> CorpusResult:
    began = cpu_snapshot()
    log(f"[{name}] preparing")
    corpus = corpora.prepare(name, workdir)
    items, selection = select(corpus.root)
    result = CorpusResult(name, corpus.description)
    result.files = len(items)
    result.lines = sum(count_lines(content) for _p, _l, content in items)
    result.bytes = sum(len(content) for _p, _l, content in items)
    result.languages = dict(sorted(Counter(language for _p, language, _c in items).items()))
    result.skipped = {str(reason): count for reason, count in sorted(selection.skipped.items())}
    result.extra["entries"] = selection.entries
    if name == "stdlib":
        _check(
            result.lines >= MIN_STDLIB_LINES,
            f"stdlib has {result.lines} lines, fewer than {MIN_STDLIB_LINES}",
        )
    log(f"[{name}] {result.files} files, {result.lines} lines, {result.bytes} bytes")
    samples = result.samples

    # Warm the page cache and the grammars once, untimed, so every measurement starts alike.
    raw_parse_once(items)
    list_file, tags_file = workdir / f"{name}.files", workdir / f"{name}.tags"
    command = ctags_command(items, list_file, tags_file)
    result.extra["ctags_command"] = " ".join(command)
    for key in ("raw_1", "raw_1_cpu", "raw_n", "ctags", "cold_nocache", "cold", "cold_cpu", "warm"):
        samples[key] = []
    ctags_rss: list[int] = []
    memory: list[dict[str, Any]] = []
    db_url = ""
    # Rounds interleave the engines, so a slow spell of the machine hits the reference and the indexer
    # alike; the ratios are the medians of the per-round ratios.
    for number in range(repeat):
        log(f"[{name}] round {number + 1}/{repeat}: raw parse, ctags, cold (no cache), cold, warm")
        samples["raw_1"].append(raw_parse_once(items, samples["raw_1_cpu"]))
        samples["raw_n"].append(raw_parse_pool(items, workers))

        child, _run = run_child(["run", str(corpus.root), "--", *command], sample=False)
        samples["ctags"].append(child["seconds"])
        ctags_rss.append(child["maxrss_program_kb"])
        totals = parse_ctags_totals(child["stderr"])
        _check(
            totals.get("files") == len(items), f"ctags scanned {totals.get('files')} of {len(items)} files"
        )

        child, _run = run_child(["index", str(corpus.root), "--db", "none", "--workers", str(workers)])
        _check(child["report"]["parsed"] == len(items), f"no-cache run parsed {child['report']['parsed']}")
        samples["cold_nocache"].append(child["seconds"])

        db_url = f"sqlite:///{workdir / f'{name}-cold-{number}.db'}"
        schema.upgrade(db_url)
        child, run = run_child(["index", str(corpus.root), "--db", db_url, "--workers", str(workers)])
        report = child["report"]
        _check(report["parsed"] == len(items), f"cold run parsed {report['parsed']} of {len(items)} files")
        _check(
            report["lines"] == result.lines, f"cold run counted {report['lines']} lines, not {result.lines}"
        )
        samples["cold"].append(child["seconds"])
        samples["cold_cpu"].append(child["cpu_main"] + child["cpu_workers"])
        memory.append(
            {
                "main_kb": child["maxrss_self_kb"],
                "worker_kb": child["maxrss_children_kb"],
                "peak_pss_kb": run.peak_pss_kb,
                "peak_rss_sum_kb": run.peak_rss_sum_kb,
                "process_wall": run.wall,
            }
        )

        child, _run = run_child(["index", str(corpus.root), "--db", db_url, "--workers", str(workers)])
        _check(child["report"]["parsed"] == 0, f"warm run parsed {child['report']['parsed']} files")
        samples["warm"].append(child["seconds"])

    for key in ("raw_1", "raw_n", "ctags"):
        # Throughput ratio cold/reference = reference seconds / cold seconds, per round.
        pairs = zip(samples[key], samples["cold"], strict=True)
        samples[f"ratio_cold_{key}"] = [reference / cold for reference, cold in pairs]
    result.extra["ctags_totals"] = totals
    result.extra["ctags_maxrss_kb"] = max(ctags_rss)
    result.extra["cold_memory"] = memory
    result.extra["syntax_errors"] = report["with_syntax_errors_count"]
    result.extra["db_bytes"] = Path(db_url.removeprefix("sqlite:///")).stat().st_size

    log(f"[{name}] git work tree of the corpus")
    git_root = git_copy(corpus.root, workdir / f"{name}-git")
    samples["warm_git"] = []
    for _number in range(repeat):
        child, _run = run_child(["index", str(git_root), "--db", db_url, "--workers", str(workers)])
        git_report = child["report"]
        _check(git_report["parsed"] == 0, f"warm git run parsed {git_report['parsed']} files")
        _check(git_report["indexed"] == len(items), f"git work tree indexed {git_report['indexed']} files")
        samples["warm_git"].append(child["seconds"])
    result.extra["warm_git_bytes_read"] = git_report["bytes"]

    plan = pr_plan(items)
    plan_file = workdir / f"{name}-pr.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    result.extra["pr_files"] = [item["path"] for item in plan]
    chosen = {item["path"] for item in plan}
    result.extra["pr_lines"] = sum(count_lines(content) for path, _l, content in items if path in chosen)
    result.extra["pr_bytes"] = sum(len(content) for path, _l, content in items if path in chosen)
    log(f"[{name}] PR re-index: git work tree, bot path and plain directory in turn")
    pr_began = cpu_snapshot()
    child, _run = run_child(
        [
            "pr",
            str(corpus.root),
            "--git-root",
            str(git_root),
            "--db",
            db_url,
            "--workers",
            str(workers),
            "--plan",
            str(plan_file),
            "--reps",
            str(pr_reps),
        ],
        sample=False,  # no polling of /proc beside a measurement of milliseconds
    )
    result.extra["pr_foreign_load"] = foreign_load(pr_began, cpu_snapshot())
    result.extra["pr_warm_up_seconds"] = child["warm_up_seconds"]
    for mode, runs in child["runs"].items():
        for run_result in runs:
            _check(
                run_result["parsed"] == PR_FILES,
                f"PR re-index ({mode}) parsed {run_result['parsed']}, not {PR_FILES}",
            )
            _check(run_result["indexed"] == len(items), f"PR re-index indexed {run_result['indexed']}")
        samples[f"pr_{mode}"] = [run_result["seconds"] for run_result in runs]
        result.extra[f"pr_{mode}_bytes_read"] = [run_result["read"] for run_result in runs]
    result.extra["foreign_load"] = foreign_load(began, cpu_snapshot())
    return result


# ---------------------------------------------------------------- report


def peak_mb(result: CorpusResult) -> tuple[float, float, float, float]:
    """(max over processes, main, largest worker, sampled total PSS) in MB, the worst cold run each."""
    memory = result.extra["cold_memory"]
    main = max(item["main_kb"] for item in memory) / 1024
    worker = max(item["worker_kb"] for item in memory) / 1024
    overall = max(main, worker)
    pss = max(item["peak_pss_kb"] for item in memory) / 1024
    return overall, main, worker, pss


def goals(result: CorpusResult) -> dict[str, tuple[str, bool]]:
    peak = peak_mb(result)[0]
    return {
        "cold_vs_raw": (
            f">= {GOAL_COLD_RATIO:.0%} of raw (1 process)",
            result.median("ratio_cold_raw_1") >= GOAL_COLD_RATIO,
        ),
        "cold_vs_ctags": ("faster than ctags", result.median("ratio_cold_ctags") > 1),
        "peak_rss": (f"< {GOAL_PEAK_MB} MB", peak < GOAL_PEAK_MB),
        "pr_reindex": (f"< {GOAL_PR_MS} ms", result.median("pr_git") * 1000 < GOAL_PR_MS),
        "pr_reindex_bot": (f"< {GOAL_PR_MS} ms", result.median("pr_bot") * 1000 < GOAL_PR_MS),
    }


def rows(result: CorpusResult, workers: int) -> list[tuple[str, str, str]]:
    """(metric, value, goal and verdict) for one corpus."""
    met = goals(result)

    def verdict(key: str) -> str:
        text, ok = met[key]
        return f"{text}: {'PASS' if ok else 'MISS'}"

    raw_1, raw_n, cold = result.klocs("raw_1"), result.klocs("raw_n"), result.klocs("cold")
    ctags = result.klocs("ctags")
    overall, main, worker, pss = peak_mb(result)

    def pr(key: str) -> str:
        times = [seconds * 1000 for seconds in result.samples[key]]
        return f"{statistics.median(times):.0f} ms (min {min(times):.0f}, first {times[0]:.0f})"

    return [
        ("files / lines", f"{result.files:,} / {result.lines:,}", ""),
        ("raw parse, 1 process", f"{raw_1:,.0f} kLOC/s ({result.median('raw_1'):.2f} s)", ""),
        (f"raw parse, {workers} processes", f"{raw_n:,.0f} kLOC/s ({result.median('raw_n'):.2f} s)", ""),
        (
            f"cold index, empty SQLite cache, {workers} workers",
            f"{cold:,.0f} kLOC/s ({result.median('cold'):.2f} s)",
            "",
        ),
        (
            f"cold index, no cache, {workers} workers",
            f"{result.klocs('cold_nocache'):,.0f} kLOC/s ({result.median('cold_nocache'):.2f} s)",
            "",
        ),
        ("cold / raw (1 process)", f"{result.median('ratio_cold_raw_1'):.2f}", verdict("cold_vs_raw")),
        (
            f"  cold / raw if {workers} cores were fully used",
            f"{workers * result.median('raw_1_cpu') / result.median('cold_cpu'):.2f}"
            f" (CPU {result.median('cold_cpu'):.2f} s vs {result.median('raw_1_cpu'):.2f} s)",
            "",
        ),
        (f"cold / raw ({workers} processes)", f"{result.median('ratio_cold_raw_n'):.2f}", "context"),
        ("universal-ctags, 1 process", f"{ctags:,.0f} kLOC/s ({result.median('ctags'):.2f} s)", ""),
        ("cold / ctags", f"{result.median('ratio_cold_ctags'):.2f}", verdict("cold_vs_ctags")),
        ("warm index (0 parsed), plain directory", f"{result.median('warm'):.3f} s", ""),
        ("warm index (0 parsed), git work tree", f"{result.median('warm_git'):.3f} s", ""),
        (
            f"PR: lines / KB in the {PR_FILES} changed files",
            f"{result.extra['pr_lines']:,} / {result.extra['pr_bytes'] / 1000:,.0f} KB",
            "",
        ),
        (f"PR re-index, {PR_FILES} files, git work tree", pr("pr_git"), verdict("pr_reindex")),
        ("PR re-index, bot path (index_at_head)", pr("pr_bot"), verdict("pr_reindex_bot")),
        ("PR re-index, plain directory (all read and hashed)", pr("pr_directory"), "context"),
        (
            "  read per PR re-index: git work tree / plain directory",
            f"{statistics.median(result.extra['pr_git_bytes_read']) / 1000:,.0f} KB"
            f" / {statistics.median(result.extra['pr_directory_bytes_read']) / 1000:,.0f} KB",
            "",
        ),
        ("peak RSS, max over processes", f"{overall:,.0f} MB", verdict("peak_rss")),
        ("  main process / largest worker", f"{main:,.0f} / {worker:,.0f} MB", ""),
        ("  total PSS, sampled", f"{pss:,.0f} MB", ""),
        ("ctags peak RSS", f"{result.extra['ctags_maxrss_kb'] / 1024:,.0f} MB", ""),
        ("other processes' CPU load during the run", f"{result.extra['foreign_load']:.0%}", "noise"),
        ("  during the PR re-indexes", f"{result.extra['pr_foreign_load']:.0%}", "noise"),
    ]


def print_corpus(result: CorpusResult, workers: int) -> None:
    print(f"\n== {result.name}: {result.description}")
    print(f"   languages {result.languages}; skipped {result.skipped}")
    table = rows(result, workers)
    width = max(len(metric) for metric, _v, _g in table)
    value_width = max(len(value) for _m, value, _g in table)
    for metric, value, goal in table:
        print(f"   {metric:<{width}}  {value:<{value_width}}  {goal}".rstrip())


def markdown(results: list[CorpusResult], workers: int) -> str:
    """Metrics down, corpora across, as pasted into docs/benchmarks.md."""
    tables = [rows(result, workers) for result in results]
    header = "| metric | " + " | ".join(result.name for result in results) + " |"
    lines = [header, "|---" * (len(results) + 1) + "|"]
    for index, (metric, _value, _goal) in enumerate(tables[0]):
        cells = []
        for table in tables:
            _m, value, goal = table[index]
            verdict = goal.rsplit(": ", 1)[-1] if goal.endswith(("PASS", "MISS")) else ""
            cells.append(f"{value} **{verdict}**" if verdict else value)
        lines.append(f"| {metric.strip()} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {
        name: importlib.metadata.version(name)
        for name in (
            "tree-sitter",
            "tree-sitter-python",
            "tree-sitter-javascript",
            "tree-sitter-typescript",
            "tree-sitter-go",
            "tree-sitter-rust",
            "SQLAlchemy",
        )
    }
    ctags = subprocess.run([CTAGS, "--version"], capture_output=True, text=True, check=True).stdout
    memory = ""
    with open("/proc/meminfo", encoding="utf-8") as handle:
        memory = handle.readline().split(":", 1)[1].strip()
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "cpu": model,
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": versions,
        "ctags": ctags.splitlines()[0],
        "loadavg_start": os.getloadavg(),
    }


def cpu_snapshot() -> tuple[float, float, float]:
    """(wall, busy CPU seconds of the whole machine, CPU seconds of this process and its children)."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...: busy is everything but idle and iowait.
    busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    own = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        own += usage.ru_utime + usage.ru_stime
    return time.perf_counter(), busy, own


def foreign_load(start: tuple[float, float, float], end: tuple[float, float, float]) -> float:
    """Share of the machine's CPU capacity used by other processes between two snapshots."""
    wall = end[0] - start[0]
    foreign = (end[1] - start[1]) - (end[2] - start[2])
    return max(0.0, foreign) / (wall * (os.cpu_count() or 1))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=[*corpora.CORPORA, "all"], default="all")
    parser.add_argument("--json", type=Path, help="write every sample and the machine description here")
    parser.add_argument("--workers", type=int, default=default_workers(), help="indexer workers (all cores)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the throughput figures (median)")
    parser.add_argument("--pr-reps", type=int, default=15, help="PR re-index repetitions (median)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary trees and databases")
    args = parser.parse_args(argv)
    names = list(corpora.CORPORA) if args.corpus == "all" else [args.corpus]

    info = machine()
    print(
        f"machine: {info['nproc']} cores ({info['cpu']}), {info['memory']}, Python {info['python']}, "
        f"{', '.join(f'{k} {v}' for k, v in info['packages'].items())}; {info['ctags']}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="maze-bench-"))
    results: list[CorpusResult] = []
    try:
        for name in names:
            result = bench_corpus(
                name, workdir, workers=args.workers, repeat=args.repeat, pr_reps=args.pr_reps
            )
            results.append(result)
            print_corpus(result, args.workers)
    except corpora.FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    info["loadavg_end"] = os.getloadavg()
    print(f"\nload average at start {info['loadavg_start']}, at end {info['loadavg_end']}")
    print("\n" + markdown(results, args.workers))
    if args.json is not None:
        document = {
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": info,
            "workers": args.workers,
            "corpora": {
                result.name: {
                    "description": result.description,
                    "files": result.files,
                    "lines": result.lines,
                    "bytes": result.bytes,
                    "languages": result.languages,
                    "skipped": result.skipped,
                    "klocs": {
                        key: round(result.klocs(key), 1)
                        for key in ("raw_1", "raw_n", "cold", "cold_nocache", "ctags")
                    },
                    "medians": {key: result.median(key) for key in result.samples},
                    "samples": result.samples,
                    "goals": {key: {"goal": text, "met": ok} for key, (text, ok) in goals(result).items()},
                    **result.extra,
                }
                for result in results
            },
        }
        args.json.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
