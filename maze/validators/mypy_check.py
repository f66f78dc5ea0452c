"""mypy on the changed Python files, following their imports, with an incremental cache kept per tree.

The first run on a repository stores mypy's cache in `state_dir`; later runs (candidates on the same
head) start from a copy of it, so only the modules a candidate touched are analysed again. The cache
directory is a host directory the run writes into (mounted at /maze/mypy-cache in the sandbox). Without a
sandbox mypy still runs (it imports no analysed code) unless the configuration loads plugins.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

from maze.validators.context import NO_SANDBOX, ToolContext
from maze.validators.model import Diagnostic, Severity, ToolOutput, ToolRun
from maze.validators.process import ToolFailed, host_version, repo_path, run_tool, share
from maze.validators.tree import PYTHON_SUFFIXES, Snapshot

TOOL = "mypy"
CONFIG_FILES = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")
CACHE_TARGET = "/maze/mypy-cache"
_FLAGS = (
    "--output",
    "json",
    "--show-column-numbers",
    "--show-error-end",
    "--show-error-codes",
    "--no-error-summary",
    "--no-pretty",
    "--no-color-output",
    "--follow-imports=normal",
    f"--python-executable={sys.executable}",
)
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "note": Severity.NOTE}


def version() -> str:
    return host_version((sys.executable, "-I", "-m", "mypy", "--version"))


def plugins(snapshot: Snapshot) -> list[str]:
    """The plugins the tree's mypy configuration loads (they run code, so they need the sandbox)."""
    found: list[str] = []
    for name in ("mypy.ini", ".mypy.ini", "setup.cfg"):
        if snapshot.has(name):
            parser = configparser.ConfigParser(interpolation=None)
            with contextlib.suppress(configparser.Error):
                parser.read_string(snapshot.read_text(name))
            if parser.has_option("mypy", "plugins"):
                found.extend(p.strip() for p in parser.get("mypy", "plugins").split(",") if p.strip())
    if snapshot.has("pyproject.toml"):
        with contextlib.suppress(tomllib.TOMLDecodeError):
            section = tomllib.loads(snapshot.read_text("pyproject.toml")).get("tool", {}).get("mypy", {})
            declared = section.get("plugins", []) if isinstance(section, dict) else []
            found.extend([declared] if isinstance(declared, str) else [str(p) for p in declared])
    return found


def parse(stdout: bytes, context: ToolContext) -> tuple[Diagnostic, ...]:
    found: list[Diagnostic] = []
    for line in stdout.decode("utf-8", "replace").splitlines():
        if not line.startswith("{"):
            continue
        item = json.loads(line)
        path = repo_path(str(item.get("file", "")), context.workdir)
        if path is None:
            continue
        start_line = int(item.get("line") or 1)
        start_column = max(int(item.get("column") or 0), 0) + 1
        end_line = int(item.get("end_line") or start_line)
        end_column = int(item.get("end_column") or 0) + 1
        if (end_line, end_column) < (start_line, start_column):
            end_line, end_column = start_line, start_column
        message = str(item.get("message", ""))
        if item.get("hint"):
            message += f" ({item['hint']})"
        found.append(
            Diagnostic(
                tool=TOOL,
                path=path,
                start_line=start_line,
                start_column=start_column,
                end_line=end_line,
                end_column=end_column,
                code=str(item.get("code") or item.get("severity") or "error"),
                message=message,
                severity=_SEVERITIES.get(str(item.get("severity")), Severity.ERROR),
            )
        )
    return tuple(sorted(found))


def _blocking_error(output: bytes) -> str:
    """What stopped mypy (a duplicate module, a bad option): its messages, without the JSON around them."""
    messages: list[str] = []
    for line in output.decode("utf-8", "replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                line = str(json.loads(line).get("message", line))
        if line.strip():
            messages.append(line.strip())
    return "; ".join(messages)[:400]


def _prepared_cache(context: ToolContext) -> Path:
    """A fresh cache directory for this run, filled from the repository's stored one if there is one."""
    cache_dir = context.fresh_dir("mypy-cache")
    stored = context.state_dir / TOOL if context.state_dir is not None else None
    if stored is not None and stored.is_dir():
        shutil.copytree(stored, cache_dir, symlinks=True, dirs_exist_ok=True)
    return cache_dir


def _keep_cache(context: ToolContext, cache_dir: Path) -> None:
    """Store this run's cache as the repository's incremental base unless one is stored already."""
    if context.state_dir is None:
        return
    stored = context.state_dir / TOOL
    if stored.exists():
        return
    context.state_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mypy-", dir=context.state_dir))
    shutil.copytree(cache_dir, staging / "cache", symlinks=True)
    with contextlib.suppress(OSError):
        (staging / "cache").rename(stored)
    shutil.rmtree(staging, ignore_errors=True)


def check(context: ToolContext) -> ToolRun | None:
    """mypy's diagnostics for the changed Python files and the modules they import."""
    files = context.changed_files(PYTHON_SUFFIXES)
    if not files:
        return None
    current = version()
    loaded = plugins(context.snapshot)
    if loaded and context.sandbox is None:
        return ToolRun.skipped(TOOL, f"{NO_SANDBOX} (mypy plugins: {', '.join(loaded)})", current)
    runner = context.sandbox if loaded and context.sandbox is not None else context.tools
    # Plugins may live in the repository, so only then is the tree's root importable (-I keeps it out).
    isolation = () if loaded else ("-I",)

    def produce() -> ToolOutput:
        cache_dir = share(runner, _prepared_cache(context), CACHE_TARGET, writable=True)
        argv = (sys.executable, *isolation, "-m", "mypy", *_FLAGS, f"--cache-dir={cache_dir.seen_as}")
        result = run_tool(
            runner,
            context.workdir,
            (*argv, "--", *files),
            tool=TOOL,
            limits=context.settings.limits_for(TOOL),
            mounts=cache_dir.mounts,
            ok_codes=(0, 1, 2),
        )
        if result.exit_code == 2:
            raise ToolFailed(f"mypy exited with 2: {_blocking_error(result.stdout + result.stderr)}")
        if result.exit_code == 1 and not any(line.startswith(b"{") for line in result.stdout.splitlines()):
            raise ToolFailed(f"mypy reported errors without diagnostics: {result.stdout[-400:]!r}")
        _keep_cache(context, cache_dir.host)
        return ToolOutput(parse(result.stdout, context))

    return context.run_cached(
        TOOL,
        current,
        config_hash=context.snapshot.config_hash(CONFIG_FILES, extra=_FLAGS),
        content_hash=context.snapshot.content_hash(context.snapshot.paths(PYTHON_SUFFIXES), extra=files),
        produce=produce,
        targets=tuple(files),
    )
