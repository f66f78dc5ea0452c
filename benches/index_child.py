"""One indexer run in a fresh process, started by bench_index.py; prints a JSON result on stdout.

    python benches/index_child.py index ROOT --db URL|none --workers N
    python benches/index_child.py pr ROOT --git-root GIT_ROOT --db URL --workers N --plan PLAN.json --reps R
    python benches/index_child.py run ROOT -- COMMAND...

`index` times `index_source` plus the commit of the cache rows. `pr` stands for a long-lived worker: it
compiles the tag queries first (`warm_up()`, untimed), then on every repetition rewrites the planned files
with a new function appended (a new blob each time, so every repetition parses exactly those files) and
times a cached re-index of the whole tree, in three ways taken in turn (so a slow spell of the machine
weighs on all three alike); the files are restored at the end:

- `git`: GIT_ROOT is a git work tree with the corpus committed; `index_source(DirectorySource(GIT_ROOT))`,
  which takes the blob SHAs of unchanged files from git's index and reads only the changed ones (what
  `maze index` does in a checkout);
- `bot`: the worker's own path, `tasks.repo_index.index_at_head`, with GitHub served from memory: the
  tree listing gives every blob's SHA, and only blobs the cache lacks are fetched and parsed (in one
  process, as the worker calls `parse_many`); database work goes through a thread, as `in_db` does;
- `directory`: ROOT, a plain directory of the same files; every file is listed, read and hashed.

`run` times another program (universal-ctags) with ROOT as its working directory.

Peak memory is taken here, not in the benchmark's own process: Linux carries the resident peak of a
process over `exec` into the program it runs, so a child of the big benchmark process would report the
benchmark's peak as its own. This process is small when it starts its workers or another program, so
`VmHWM` (this process since its exec) and `RUSAGE_CHILDREN` (its largest reaped child) are honest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class MemoryGitHub:
    """The two GitHub calls `index_at_head` makes for a PR re-index, answered from files in memory."""

    def __init__(self, files: dict[str, bytes]) -> None:
        from maze.indexing.sources import git_blob_sha

        self.files = dict(files)
        self.shas = {path: git_blob_sha(content) for path, content in files.items()}
        self.blobs = {self.shas[path]: content for path, content in files.items()}
        self.blob_requests = 0

    def update(self, path: str, content: bytes) -> None:
        from maze.indexing.sources import git_blob_sha

        self.files[path] = content
        self.shas[path] = git_blob_sha(content)
        self.blobs[self.shas[path]] = content

    async def git_tree(self, full_name: str, tree_sha: str) -> dict[str, Any]:
        tree = [
            {"path": path, "type": "blob", "mode": "100644", "size": len(content), "sha": self.shas[path]}
            for path, content in sorted(self.files.items())
        ]
        return {"sha": tree_sha, "tree": tree, "truncated": False}

    async def git_blob(self, full_name: str, blob_sha: str) -> bytes:
        self.blob_requests += 1
        return self.blobs[blob_sha]

    async def tarball(self, full_name: str, ref: str) -> bytes:
        raise AssertionError("a PR re-index of 20 files fetches blobs one by one, never the tarball")


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


def _addition(language: str, rep: str, number: int) -> bytes:
    """A function unique to this process, repetition (and mode) and file: a blob never seen before."""
    name = f"maze_bench_pr_{os.getpid()}_{rep}_{number}"
    if language == "python":
        return f"\n\ndef {name}(value):\n    return value + {number}\n".encode()
    return f"\nfunction {name}(value) {{\n  return value + {number};\n}}\n".encode()


def _database(url: str) -> Callable[[Callable[[Any], Any]], Any]:
    """What the worker's `in_db` does: each unit of work in its own session, on a thread."""
    from maze.store.db import session_scope

    async def in_db(work: Callable[[Any], Any]) -> Any:
        def unit() -> Any:
            with session_scope(url) as session:
                return work(session)

        return await asyncio.to_thread(unit)

    return in_db


MODES = ("git", "bot", "directory")


def run_pr(
    plain_root: Path, git_root: Path, db: str, workers: int, plan: list[dict[str, str]], reps: int
) -> dict[str, object]:
    from maze.indexing.repository import index_source, warm_up
    from maze.indexing.sources import DirectorySource
    from maze.store.db import session_scope
    from tasks.repo_index import index_at_head

    began = time.perf_counter()
    warm_up()
    warm_up_seconds = time.perf_counter() - began
    roots = {"git": git_root, "directory": plain_root}
    originals = {item["path"]: (plain_root / item["path"]).read_bytes() for item in plan}
    listing = DirectorySource(plain_root)
    github = MemoryGitHub({e.path: listing.read(e.path) for e in listing.entries() if e.kind == "file"})
    loop = asyncio.new_event_loop()
    in_db = _database(db)
    runs: dict[str, list[dict[str, object]]] = {mode: [] for mode in MODES}
    try:
        for rep in range(reps):
            for mode in MODES:
                for number, item in enumerate(plan):
                    content = originals[item["path"]] + _addition(item["language"], f"{mode}{rep}", number)
                    if mode == "bot":
                        github.update(item["path"], content)
                    else:
                        (roots[mode] / item["path"]).write_bytes(content)
                began = time.perf_counter()
                if mode == "bot":
                    client: Any = github
                    report = loop.run_until_complete(index_at_head(client, "bench/corpus", f"h{rep}", in_db))
                else:
                    with session_scope(db) as session:
                        report = index_source(DirectorySource(roots[mode]), session, workers=workers).report
                seconds = time.perf_counter() - began
                runs[mode].append(
                    {
                        "seconds": seconds,
                        "parsed": report.parsed,
                        "indexed": report.indexed,
                        "read": report.bytes,
                    }
                )
    finally:
        loop.close()
        for root in roots.values():
            for path, content in originals.items():
                (root / path).write_bytes(content)
        subprocess.run(["git", "-C", str(git_root), "update-index", "-q", "--refresh"], check=False)
    return {"runs": runs, "warm_up_seconds": warm_up_seconds}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["index", "pr", "run"])
    parser.add_argument("root", type=Path)
    parser.add_argument("--db", default="none")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--plan", type=Path)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--git-root", type=Path, help="pr: a git work tree of the same files")
    parser.add_argument("command", nargs="*")
    args = parser.parse_args(argv)
    db = None if args.db == "none" else args.db
    result: dict[str, object]
    if args.mode == "run":
        result = run_program(args.root, args.command)
    elif args.mode == "index":
        result = run_index(args.root, db, args.workers)
    else:
        if db is None or args.plan is None or args.git_root is None:
            parser.error("pr needs --db URL, --plan and --git-root")
        plan = json.loads(args.plan.read_text(encoding="utf-8"))
        result = run_pr(args.root, args.git_root, db, args.workers, plan, args.reps)
    result.update(_usage())
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
