"""Sandbox start overhead: the same command through BubblewrapSandbox and as a plain subprocess.

    python benches/bench_sandbox.py [--n 50] [--json out.json]

Commands: `/bin/true` and `python -c pass` (this interpreter, `-I`), each run N times as a plain
`subprocess.run` and N times through `BubblewrapSandbox.run` on an empty workdir, interleaved so both
see the same machine load; `/bin/true` also on a small tree (200 files, copied into the sandbox's /work
and checked for changes afterwards). Wall time per run, median and p95; the overhead is the difference
of the medians, against the goal of staying under 50 ms. The load average before and after is printed:
rerun when other processes kept the CPUs busy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maze.sandbox.api import RunRequest
from maze.sandbox.bubblewrap import BubblewrapSandbox
from maze.sandbox.factory import bubblewrap_status

GOAL_MS = 50.0


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def make_tree(root: Path, files: int = 200) -> Path:
    for index in range(files):
        path = root / f"pkg{index % 10}" / f"module_{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE_{index} = {index}\n" * 20)
    return root


def measure(sandbox: BubblewrapSandbox, argv: list[str], workdir: Path, n: int) -> dict[str, list[float]]:
    plain: list[float] = []
    boxed: list[float] = []
    request = RunRequest(argv=argv, workdir=workdir)
    for _ in range(3):
        subprocess.run(argv, check=True)
        assert sandbox.run(request).ok
    for _ in range(n):
        plain.append(timed(lambda: subprocess.run(argv, check=True)))
        boxed.append(timed(lambda: sandbox.run(request)))
    return {"plain": plain, "bubblewrap": boxed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="runs of each command each way")
    parser.add_argument("--json", type=Path, help="write every sample here")
    args = parser.parse_args()
    status = bubblewrap_status()
    if not status.available:
        print(f"bubblewrap is unusable: {status.problem}", file=sys.stderr)
        return 2
    sandbox = BubblewrapSandbox(status.path or "bwrap")
    load_before = os.getloadavg()
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="maze-bench-sandbox-") as scratch:
        empty = Path(scratch, "empty")
        empty.mkdir()
        tree = make_tree(Path(scratch, "tree"))
        cases = {
            "/bin/true": (["/bin/true"], empty),
            "python -c pass": ([sys.executable, "-I", "-c", "pass"], empty),
            "/bin/true, 200-file tree": (["/bin/true"], tree),
        }
        for label, (argv, workdir) in cases.items():
            results[label] = measure(sandbox, argv, workdir, args.n)
    load_after = os.getloadavg()

    print(f"bubblewrap {status.version} at {status.path}; N={args.n} each; worker uid {os.geteuid()}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({os.cpu_count()} CPUs)")
    print()
    columns = ("plain med", "plain p95", "bwrap med", "bwrap p95")
    header = f"{'command':<26} " + " ".join(f"{name:>10}" for name in columns) + f" {'overhead':>9}  goal"
    print(header)
    print("-" * len(header))
    missed = False
    for label, samples in results.items():
        plain_med = statistics.median(samples["plain"])
        boxed_med = statistics.median(samples["bubblewrap"])
        overhead = boxed_med - plain_med
        verdict = "PASS" if overhead < GOAL_MS else "MISS"
        missed |= verdict == "MISS"
        print(
            f"{label:<26} {plain_med:>8.1f}ms {p95(samples['plain']):>8.1f}ms {boxed_med:>8.1f}ms "
            f"{p95(samples['bubblewrap']):>8.1f}ms {overhead:>7.1f}ms  {verdict} (< {GOAL_MS:.0f} ms)"
        )
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "load": [load_before, load_after], "samples": results}))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
