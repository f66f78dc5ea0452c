"""The npm-installed checkers (TypeScript's tsc, pyright): where they are and how a run reaches them.

They are installed with `npm ci --prefix tools` from the pinned `tools/package-lock.json`; another
directory can be named with the `MAZE_NODE_TOOLS` environment variable or `ValidationSettings.node_tools`.
A sandboxed run sees the directory read-only at `/opt/maze-node-tools`.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from maze.sandbox.api import Mount, Runner
from maze.validators.process import share

ENV_VARIABLE = "MAZE_NODE_TOOLS"
SANDBOX_TARGET = "/opt/maze-node-tools"
NOT_INSTALLED = "not installed: run `npm ci --prefix tools`"

_PROJECT_TOOLS = Path(__file__).resolve().parents[2] / "tools"
_ENTRY_POINTS = {"tsc": ("typescript", "bin/tsc"), "pyright": ("pyright", "index.js")}


@dataclass(frozen=True)
class NodeTool:
    """One installed checker: the argv prefix that starts it in a run, its version and the mounts it needs."""

    argv: tuple[str, ...]
    version: str
    mounts: tuple[Mount, ...]


def tools_dir(configured: Path | None) -> Path:
    if configured is not None:
        return configured
    from_env = os.environ.get(ENV_VARIABLE)
    return Path(from_env) if from_env else _PROJECT_TOOLS


def find(name: str, runner: Runner, configured: Path | None = None) -> NodeTool | None:
    """The checker `name` ("tsc" or "pyright"), or None when it or node is not installed."""
    package, entry = _ENTRY_POINTS[name]
    root = tools_dir(configured).resolve()
    package_dir = root / "node_modules" / package
    node = shutil.which("node")
    if node is None or not (package_dir / entry).is_file():
        return None
    try:
        version = str(json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None
    shared = share(runner, root, SANDBOX_TARGET, writable=False)
    script = f"{shared.seen_as}/node_modules/{package}/{entry}"
    return NodeTool((node, script), f"{package} {version}", shared.mounts)
