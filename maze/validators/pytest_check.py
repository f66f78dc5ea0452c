"""pytest on the tests related to the change, in the sandbox only, read back from its JUnit XML report.

The tests are chosen by `related_tests`; a candidate's run reuses the baseline's choice, so both runs
execute the same tests and a test that passed before and fails (or vanishes) after is a regression.
The report is written into a host directory of the run's own (mounted at /maze/out in the sandbox).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import PurePosixPath

from maze.validators.context import NO_SANDBOX, ToolContext
from maze.validators.model import TEST_TOOL, Diagnostic, Severity, ToolOutput, ToolRun
from maze.validators.process import ToolFailed, host_version, run_tool, share
from maze.validators.related_tests import select_tests, still_present
from maze.validators.tree import PYTHON_SUFFIXES

TOOL = TEST_TOOL
REPORT_TARGET = "/maze/out"
CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
MAX_REPORT_BYTES = 32 * 1024 * 1024
_FLAGS = ("-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1")
_MESSAGE_CHARS = 200


def version() -> str:
    return host_version((sys.executable, "-I", "-m", "pytest", "--version"))


def _node_id(case: ElementTree.Element) -> tuple[str, str | None, int]:
    """The pytest node id of a testcase, its file and 1-based line (collection errors have no file)."""
    name = case.get("name", "")
    file = case.get("file")
    if not file:
        return name, None, 1
    module = str(PurePosixPath(file).with_suffix("")).replace("/", ".")
    classname = case.get("classname", "")
    inner = classname[len(module) + 1 :].split(".") if classname.startswith(module + ".") else []
    line = int(case.get("line") or 0) + 1
    return "::".join([file, *inner, name]), file, line


def parse_junit(data: bytes) -> ToolOutput:
    """Passed and failed test ids, and a diagnostic for each failure."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ToolFailed(f"pytest's JUnit report is not XML: {error}") from error
    passed: dict[str, None] = {}
    failed: dict[str, None] = {}
    diagnostics: list[Diagnostic] = []
    for case in root.iter("testcase"):
        test_id, file, line = _node_id(case)
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            if case.find("skipped") is None:
                passed[test_id] = None
            continue
        failed[test_id] = None
        if file is None:
            file = test_id.replace(".", "/") + ".py"
        detail = (problem.get("message") or "").strip().splitlines()
        summary = detail[0][:_MESSAGE_CHARS] if detail else problem.tag
        diagnostics.append(
            Diagnostic(
                TOOL, file, line, 1, line, 1, problem.tag, f"{test_id} failed: {summary}", Severity.ERROR
            )
        )
    return ToolOutput(
        diagnostics=tuple(sorted(set(diagnostics))),
        tests_passed=tuple(sorted(set(passed) - set(failed))),
        tests_failed=tuple(sorted(failed)),
    )


def _selection(context: ToolContext) -> list[str]:
    earlier = context.baseline.run_of(TOOL) if context.baseline is not None else None
    if earlier is not None and earlier.targets:
        paths = {test_id.split("::", 1)[0] for test_id in earlier.targets}
    else:
        paths = {path for path in context.snapshot.paths(PYTHON_SUFFIXES) if path.endswith(".py")}
    sources = {
        path: (context.snapshot.root / path).read_bytes() for path in paths if context.snapshot.has(path)
    }
    if earlier is not None and earlier.targets:
        return still_present(earlier.targets, sources)
    return select_tests(sources, context.changed, context.settings.max_tests)


# Plugins installed next to Maze are not the repository's; loading them all costs a second per run.
_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def check(context: ToolContext) -> ToolRun | None:
    """The related tests' outcomes; skipped without a sandbox or when no test relates to the change."""
    if not context.changed_files(PYTHON_SUFFIXES):
        return None
    current = version()
    if context.sandbox is None:
        return ToolRun.skipped(TOOL, NO_SANDBOX, current)
    selected = _selection(context)
    if not selected:
        return ToolRun.skipped(TOOL, "no tests relate to the changed files", current)
    sandbox = context.sandbox

    def produce() -> ToolOutput:
        out = share(sandbox, context.fresh_dir("pytest"), REPORT_TARGET, writable=True)
        report = out.host / "junit.xml"
        argv = (sys.executable, "-m", "pytest", *_FLAGS, f"--junitxml={out.seen_as}/junit.xml")
        result = run_tool(
            sandbox,
            context.workdir,
            (*argv, "--", *selected),
            tool=TOOL,
            limits=context.settings.limits_for(TOOL),
            ok_codes=(0, 1, 2, 5),
            mounts=out.mounts,
            env=_ENV,
        )
        if not report.is_file() or report.is_symlink():
            tail = result.stdout.decode("utf-8", "replace")[-400:]
            raise ToolFailed(f"pytest wrote no report (exit {result.exit_code}): {tail}")
        with report.open("rb") as handle:
            data = handle.read(MAX_REPORT_BYTES + 1)
        if len(data) > MAX_REPORT_BYTES:
            raise ToolFailed("pytest's JUnit report is larger than 32 MiB")
        return parse_junit(data)

    return context.run_cached(
        TOOL,
        current,
        config_hash=context.snapshot.config_hash(CONFIG_FILES, extra=_FLAGS),
        content_hash=context.snapshot.content_hash(context.snapshot.files, extra=selected),
        produce=produce,
        targets=tuple(selected),
    )
