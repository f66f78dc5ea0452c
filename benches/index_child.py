"""One indexer run in a fresh process, started by bench_index.py; prints a JSON result on stdout.

    python benches/index_child.py index ROOT --db URL|none --workers N
    python benches/index_child.py pr ROOT --db URL --workers N --plan PLAN.json --reps R [--known-sha]
    python benches/index_child.py run ROOT -- COMMAND...

`index` times `index_source` plus the commit of the cache rows. `pr` rewrites the planned files with a
new function appended (a new blob on every repetition, so every repetition parses exactly those files),
times a cached re-index of the whole tree each time, and restores the files at the end. With
`--known-sha` the tree is served from memory with blob SHAs given up front, as a GitHub tree listing
gives them, so reading and hashing every file is not part of the time. `run` times another program
(universal-ctags) with ROOT as its working directory.

Peak memory is taken here, not in the benchmark's own process: Linux carries the resident peak of a
process over `exec` into the program it runs, so a child of the big benchmark process would report the
benchmark's peak as its own. This process is small when it starts its workers or another program, so
`VmHWM` (this process since its exec) and `RUSAGE_CHILDREN` (its largest reaped child) are honest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from maze.indexing.sources import Entry


class MemorySource:
    """A snapshot held in memory whose entries carry their blob SHAs, like a GitHub tree listing."""

    def __init__(self, files: dict[str, bytes]) -> None:
        from maze.indexing.sources import git_blob_sha

        self.files = files
        self.shas = {path: git_blob_sha(content) for path, content in files.items()}

    def update(self, path: str, content: bytes) -> None:
        from maze.indexing.sources import git_blob_sha

        self.files[path] = content
        self.shas[path] = git_blob_sha(content)

    def entries(self) -> Iterator[Entry]:
        from maze.indexing.sources import Entry

        for path in sorted(self.files):
            yield Entry(path, len(self.files[path]), blob_sha=self.shas[path])

    def read(self, path: str) -> bytes:
        return self.files[path]

    def head(self, path: str, size: int) -> bytes:
        return self.files[path][:size]


def _usage() -> dict[str, int]:
    """Peak resident set sizes in KiB: this process since its exec, and the largest of its reaped children."""
    with open("/proc/self/status", encoding="ascii") as handle:
        hwm = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
    return {
        "maxrss_self_kb": hwm,
        "maxrss_children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its reaped children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run_program(root: Path, command: list[str]) -> dict[str, object]:
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} exited {process.returncode}: {stderr.decode('utf-8', 'replace')}")
    return {
        "seconds": seconds,
        "maxrss_program_kb": usage.ru_maxrss,
        "stderr": stderr.decode("utf-8", "replace"),
    }


def run_index(root: Path, db: str | None, workers: int) -> dict[str, object]:
    from maze.indexing.repository import index_source
    from maze.indexing.sources import DirectorySource
    from maze.store.db import session_scope

    cpu = _cpu()
    began = time.perf_counter()
    if db is None:
        index = index_source(DirectorySource(root), None, workers=workers)
    else:
        with session_scope(db) as session:
            index = index_source(DirectorySource(root), session, workers=workers)
    seconds = time.perf_counter() - began
    cpu_after = _cpu()
    return {
        "seconds": seconds,
        "cpu_main": cpu_after[0] - cpu[0],
        "cpu_workers": cpu_after[1] - cpu[1],
        "index_seconds": index.report.seconds,
        "report": index.report.to_json(list_limit=5),
    }


def _addition(language: str, rep: int, number: int) -> bytes:
    name = f"maze_bench_pr_{os.getpid()}_{rep}_{number}"
    if language == "python":
        return f"\n\ndef {name}(value):\n    return value + {number}\n".encode()
    return f"\nfunction {name}(value) {{\n  return value + {number};\n}}\n".encode()


def run_pr(
    root: Path, db: str, workers: int, plan: list[dict[str, str]], reps: int, known_sha: bool
) -> dict[str, object]:
    from maze.indexing.repository import index_source
    from maze.indexing.sources import DirectorySource
    from maze.store.db import session_scope

    originals = {item["path"]: (root / item["path"]).read_bytes() for item in plan}
    memory: MemorySource | None = None
    if known_sha:
        listing = DirectorySource(root)
        memory = MemorySource({e.path: listing.read(e.path) for e in listing.entries() if e.kind == "file"})
    runs: list[dict[str, object]] = []
    try:
        for rep in range(reps):
            for number, item in enumerate(plan):
                content = originals[item["path"]] + _addition(item["language"], rep, number)
                if memory is not None:
                    memory.update(item["path"], content)
                else:
                    (root / item["path"]).write_bytes(content)
            began = time.perf_counter()
            with session_scope(db) as session:
                source = memory if memory is not None else DirectorySource(root)
                index = index_source(source, session, workers=workers)
            seconds = time.perf_counter() - began
            runs.append({"seconds": seconds, "parsed": index.report.parsed, "indexed": index.report.indexed})
    finally:
        for path, content in originals.items():
            (root / path).write_bytes(content)
    return {"runs": runs}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["index", "pr", "run"])
    parser.add_argument("root", type=Path)
    parser.add_argument("--db", default="none")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--plan", type=Path)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--known-sha", action="store_true")
    parser.add_argument("command", nargs="*")
    args = parser.parse_args(argv)
    db = None if args.db == "none" else args.db
    result: dict[str, object]
    if args.mode == "run":
        result = run_program(args.root, args.command)
    elif args.mode == "index":
        result = run_index(args.root, db, args.workers)
    else:
        if db is None or args.plan is None:
            parser.error("pr needs --db URL and --plan")
        plan = json.loads(args.plan.read_text(encoding="utf-8"))
        result = run_pr(args.root, db, args.workers, plan, args.reps, args.known_sha)
    result.update(_usage())
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
