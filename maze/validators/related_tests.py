"""Which tests a change should run, decided from the index without running anything.

A test file is related to a changed file when it is the changed file, is named after it (`test_<stem>.py`,
`<stem>_test.py`), or imports it, directly or through other modules of the tree (the imports the indexer
extracted, resolved to paths at the root and in a `src/` layout). Files nearer the change come first;
their test functions and methods, in source order, are taken up to the cap.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from maze.indexing.extract import extract
from maze.indexing.model import FileIndex, Import

SOURCE_ROOTS = ("", "src/")


def is_test_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def module_names(path: str) -> list[str]:
    """Dotted names the file can be imported as, from the root and from `src/`."""
    if not path.endswith((".py", ".pyi")):
        return []
    names: list[str] = []
    for root in SOURCE_ROOTS:
        if not path.startswith(root):
            continue
        parts = list(PurePosixPath(path[len(root) :]).with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(part.isidentifier() for part in parts):
            names.append(".".join(parts))
    return names


def _imported_modules(importer: str, record: Import) -> list[str]:
    module = record.module
    if module.startswith("."):
        level = len(module) - len(module.lstrip("."))
        own = module_names(importer)
        if not own:
            return []
        package = own[-1].split(".")
        if not importer.endswith("__init__.py"):
            package = package[:-1]
        base = package[: len(package) - (level - 1)] if level > 1 else package
        rest = module.lstrip(".")
        module = ".".join([*base, *([rest] if rest else [])])
        if not module:
            return [record.name]
    candidates = [module] if record.name == record.module else [f"{module}.{record.name}", module]
    expanded: list[str] = []
    for candidate in candidates:
        parts = candidate.split(".")
        expanded.extend(".".join(parts[:end]) for end in range(len(parts), 0, -1))
    return expanded


def import_graph(indexes: Mapping[str, FileIndex]) -> dict[str, set[str]]:
    """For each file, the files of the tree it imports."""
    by_module: dict[str, str] = {}
    for path in sorted(indexes):
        for name in module_names(path):
            by_module.setdefault(name, path)
    graph: dict[str, set[str]] = {}
    for path, index in indexes.items():
        graph[path] = {
            by_module[name]
            for record in index.imports
            for name in _imported_modules(path, record)
            if name in by_module and by_module[name] != path
        }
    return graph


def node_ids(index: FileIndex) -> list[str]:
    """pytest node ids of the file's test functions and test methods, in source order."""
    classes = {
        d.name
        for d in index.definitions
        if d.kind == "class"
        and "." not in d.qualified_name
        and (d.name.startswith("Test") or "TestCase" in d.signature)
    }
    ids: list[str] = []
    for definition in sorted(index.definitions, key=lambda d: d.start_line):
        parts = definition.qualified_name.split(".")
        if not definition.name.startswith("test"):
            continue
        if len(parts) == 1 and definition.kind == "function":
            ids.append(f"{index.path}::{definition.name}")
        elif len(parts) == 2 and parts[0] in classes and definition.kind == "method":
            ids.append(f"{index.path}::{parts[0]}::{definition.name}")
    return list(dict.fromkeys(ids))


def select_tests(sources: Mapping[str, bytes], changed: Iterable[str], max_tests: int) -> list[str]:
    """Up to `max_tests` test ids related to the `changed` paths; `sources` holds the tree's Python files."""
    indexes = {path: extract(path, content, "python") for path, content in sorted(sources.items())}
    importers: dict[str, set[str]] = defaultdict(set)
    for path, imported in import_graph(indexes).items():
        for target in imported:
            importers[target].add(path)
    changed_set = set(changed)
    distance: dict[str, int] = {}
    queue: deque[str] = deque()
    for path in sorted(changed_set):
        distance[path] = 0
        queue.append(path)
    while queue:
        path = queue.popleft()
        for importer in sorted(importers[path]):
            if importer not in distance:
                distance[importer] = distance[path] + 1
                queue.append(importer)
    stems = {PurePosixPath(path).stem for path in changed_set if path.endswith(".py")}
    for path in filter(is_test_file, indexes):
        stem = PurePosixPath(path).stem
        if stem.removeprefix("test_") in stems or stem.removesuffix("_test") in stems:
            distance[path] = 0
    chosen = sorted((d, p) for p, d in distance.items() if is_test_file(p) and p in indexes)
    selected: list[str] = []
    for _, path in chosen:
        ids = node_ids(indexes[path]) or [path]
        selected.extend(ids[: max_tests - len(selected)])
        if len(selected) >= max_tests:
            break
    return selected


def still_present(ids: Iterable[str], sources: Mapping[str, bytes]) -> list[str]:
    """The ids (chosen on another version of the tree) whose file and test exist in `sources`."""
    present: dict[str, set[str]] = {}
    kept: list[str] = []
    for test_id in ids:
        path = test_id.split("::", 1)[0]
        if path not in sources:
            continue
        if path not in present:
            present[path] = set(node_ids(extract(path, sources[path], "python")))
        if "::" not in test_id or test_id in present[path]:
            kept.append(test_id)
    return kept
