"""Rank a repository's definitions by PageRank over its file reference graph, personalised to changed files.

A file that references a name gets an edge to the files that define it, narrowed by imports:
- a name imported from a module goes to the files the module resolves to, or nowhere when it resolves to
  none (the module is outside the repository);
- a language builtin (`list`, `len`, `Promise`) goes nowhere unless imported by name;
- any other name goes to the files its file imports or shares a directory with, and failing those only
  to methods, the one kind of definition reached through an object rather than an import (not for
  standard library method names like `read`, nor for names too many files define);
- a name the file defines itself is local and makes no edge.
An edge weighs sqrt(references) / (number of files the name was shared between): repeated use counts,
but not linearly, and a name defined in many files (`get`, `__init__`) counts little for each.

The converged rank of a file is shared among its definitions: what flows in over the edges goes to the
definitions of the names it came for, and the file's own teleport mass is spread evenly over all its
definitions, so unreferenced definitions of changed files still rank high.

Every iteration runs over paths, names and edges in sorted order, so the same input gives the same floats
whatever the order of the mappings and tuples it arrives in.
"""

from __future__ import annotations

import builtins
import io
import math
import posixpath
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from operator import mul, sub

from maze.indexing.model import Definition, FileIndex, Import

DAMPING = 0.85
TOLERANCE = 1e-9
MAX_ITERATIONS = 100
# Share of the teleport mass spread over every file when some are changed, so that the part of the
# repository the changed files do not reach is still ordered by importance rather than by path.
BACKGROUND = 0.05
# A call to a method that no imported or neighbouring file defines is guessed to mean the methods of that
# name elsewhere, unless more files than this define one: then the guess says too little to be an edge.
MAX_METHOD_GUESSES = 8

_INDEX_STEMS = frozenset({"__init__", "index", "mod"})
_SOURCE_EXTENSIONS = frozenset({".py", ".pyi", ".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"})
_RELATIVE_RUST = frozenset({"crate", "self", "super"})
_NOT_A_DIRECTORY = frozenset({"", ".", "..", "@", "~"}) | _RELATIVE_RUST
_UNNAMED_IMPORTS = frozenset({"*", "default"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_JS_GLOBALS = _words(
    """Array ArrayBuffer BigInt Boolean DataView Date Error Function JSON Map Math Number Object Promise
    Proxy RangeError Reflect RegExp Set String Symbol TypeError URL URLSearchParams Uint8Array WeakMap
    WeakSet clearInterval clearTimeout console decodeURIComponent document encodeURIComponent fetch
    globalThis isFinite isNaN parseFloat parseInt require setInterval setTimeout structuredClone window"""
)
_TS_GLOBALS = _JS_GLOBALS | _words(
    """AsyncIterable Awaited Exclude Extract InstanceType Iterable Iterator NonNullable Omit Parameters
    Partial Pick PromiseLike Readonly ReadonlyArray Record Required ReturnType"""
)
_JS_METHODS = _words(
    """add catch concat delete endsWith entries every filter finally find findIndex flatMap forEach get
    has includes indexOf join keys log map padStart pop push reduce replace reverse set slice some sort
    splice split startsWith substring then toFixed toLowerCase toString toUpperCase trim values"""
)
# Names that mean the language's builtin unless the file imports them by name.
_BUILTINS: dict[str, frozenset[str]] = {
    "python": frozenset(dir(builtins)),
    "javascript": _JS_GLOBALS,
    "typescript": _TS_GLOBALS,
    "tsx": _TS_GLOBALS,
    "go": _words(
        """any append bool byte cap clear close comparable complex complex128 complex64 copy delete error
        float32 float64 imag int int16 int32 int64 int8 len make max min new panic print println real
        recover rune string uint uint16 uint32 uint64 uint8 uintptr"""
    ),
    "rust": _words(
        """AsMut AsRef Box Clone Copy Debug Default Drop Eq Err Extend Fn FnMut FnOnce From Hash Into
        IntoIterator Iterator None Ok Option Ord PartialEq PartialOrd Result Send Sized Some String Sync
        ToOwned ToString TryFrom TryInto Vec"""
    ),
}
# Methods of the standard library's types: a call to one is taken for a method of a repository class
# only when that class's file is imported or in the same directory.
_STANDARD_METHODS: dict[str, frozenset[str]] = {
    "python": frozenset().union(
        *map(dir, (object, str, bytes, list, dict, set, re.Match, re.Pattern, io.TextIOWrapper))
    ),
    "javascript": _JS_METHODS,
    "typescript": _JS_METHODS,
    "tsx": _JS_METHODS,
    "rust": _words(
        """as_ref as_str clone collect expect get insert into into_iter is_empty is_none is_some iter len
        map push to_owned to_string unwrap unwrap_or"""
    ),
}

Flow = tuple[str, str, str, float]
"""(referencing path, defining path, name, weight): one edge of the graph, for one name."""


@dataclass(frozen=True)
class RankedSymbol:
    """A definition and its share of the PageRank; the scores of all definitions add up to at most 1."""

    path: str
    definition: Definition
    score: float


def rank_symbols(files: Mapping[str, FileIndex], changed: Collection[str]) -> list[RankedSymbol]:
    """Every definition in `files` (keyed by path), best first; ties go by path, line, qualified name."""
    paths = sorted(files)
    if not paths:
        return []
    flows = reference_flows(files)
    edges: dict[tuple[str, str], float] = defaultdict(float)
    out_weight: dict[str, float] = defaultdict(float)
    for source, target, _, weight in flows:
        edges[source, target] += weight
        out_weight[source] += weight
    sizes = {path: len(files[path].definitions) for path in paths}
    own = _teleport_per_definition(sizes, changed)
    rank = pagerank(paths, edges, personalization(sizes, changed))
    inflow: dict[tuple[str, str], float] = defaultdict(float)
    for source, target, name, weight in flows:
        inflow[target, name] += rank[source] * weight / out_weight[source]
    dangling = sum(rank[path] for path in paths if path not in out_weight)
    restart = 1.0 - DAMPING + DAMPING * dangling
    ranked: list[RankedSymbol] = []
    for path in paths:
        definitions = files[path].definitions
        same_name = Counter(definition.name for definition in definitions)
        own_share = restart * own[path]
        for definition in definitions:
            flow = inflow.get((path, definition.name), 0.0) / same_name[definition.name]
            ranked.append(RankedSymbol(path, definition, DAMPING * flow + own_share))
    ranked.sort(key=_order)
    return ranked


def _order(symbol: RankedSymbol) -> tuple[float, str, int, str, int, str, str]:
    d = symbol.definition
    return (-symbol.score, symbol.path, d.start_line, d.qualified_name, d.end_line, d.kind, d.signature)


def personalization(definitions: Mapping[str, int], changed: Collection[str]) -> dict[str, float]:
    """Teleport distribution over the paths of `definitions` (path -> number of definitions).

    The changed files present share 1 - BACKGROUND of it equally. The rest, or all of it when no changed
    file is present, goes to every file in proportion to its definitions (one for a file with none, which
    still refers to others): spread over files alone, a small file's definitions would each get a bigger
    share than a large file's, whatever refers to them.
    """
    each = _teleport_per_definition(definitions, changed)
    return {path: each[path] * max(count, 1) for path, count in definitions.items()}


def _teleport_per_definition(definitions: Mapping[str, int], changed: Collection[str]) -> dict[str, float]:
    """The teleport mass of each definition of a path, the same float for every unchanged path."""
    if not definitions:
        return {}
    present = set(changed).intersection(definitions)
    base = (BACKGROUND if present else 1.0) / sum(max(count, 1) for count in definitions.values())
    focus = (1.0 - BACKGROUND) / max(len(present), 1)
    return {
        path: base + focus / max(count, 1) if path in present else base for path, count in definitions.items()
    }


def pagerank(
    nodes: Iterable[str],
    edges: Mapping[tuple[str, str], float],
    personalization: Mapping[str, float] | None = None,
    *,
    damping: float = DAMPING,
    tolerance: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> dict[str, float]:
    """PageRank by sparse power iteration, summing to 1 over `nodes` and every edge's ends.

    `edges` maps (source, target) to a weight; weights that are not positive are ignored. Teleport and
    dangling mass both follow `personalization` (uniform when it is None or all zero), as
    `networkx.pagerank(..., personalization=p, dangling=p)` does. Iteration stops when the L1 change
    drops below `tolerance`, or after `max_iterations`.
    """
    names = sorted(set(nodes).union(*edges))
    if not names:
        return {}
    index = {name: position for position, name in enumerate(names)}
    weighted = sorted((index[s], index[t], w) for (s, t), w in edges.items() if w > 0)
    out = [0.0] * len(names)
    for source, _, weight in weighted:
        out[source] += weight
    sources: list[list[int]] = [[] for _ in names]
    shares: list[list[float]] = [[] for _ in names]
    for source, target, weight in weighted:
        sources[target].append(source)
        shares[target].append(weight / out[source])
    teleport = _distribution(names, personalization)
    dangling = [position for position, weight in enumerate(out) if weight == 0.0]
    rank = [1.0 / len(names)] * len(names)
    for _ in range(max_iterations):
        get = rank.__getitem__
        restart = 1.0 - damping + damping * sum(map(get, dangling))
        updated = [
            damping * sum(map(mul, map(get, incoming), share)) + restart * jump
            for incoming, share, jump in zip(sources, shares, teleport, strict=True)
        ]
        change = sum(map(abs, map(sub, updated, rank)))
        rank = updated
        if change < tolerance:
            break
    total = sum(rank)
    return {name: value / total for name, value in zip(names, rank, strict=True)}


def _distribution(names: list[str], weights: Mapping[str, float] | None) -> list[float]:
    values = [weights.get(name, 0.0) for name in names] if weights is not None else []
    if any(value < 0 for value in values):
        raise ValueError("personalization weights must not be negative")
    total = sum(values)
    if total <= 0:
        return [1.0 / len(names)] * len(names)
    return [value / total for value in values]


def reference_flows(files: Mapping[str, FileIndex]) -> list[Flow]:
    """The graph's edges, one per (referencing file, defining file, name), in sorted order."""
    paths = sorted(files)
    defined_in: dict[str, set[str]] = defaultdict(set)
    methods_in: dict[str, set[str]] = defaultdict(set)
    directories: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        directories[posixpath.dirname(path)].add(path)
        for definition in files[path].definitions:
            defined_in[definition.name].add(path)
            if definition.kind == "method":
                methods_in[definition.name].add(path)
    modules = _Modules(paths)
    flows: list[Flow] = []
    for path in paths:
        index = files[path]
        own = {definition.name for definition in index.definitions}
        bound, visible = _imports(path, index, modules)
        visible |= directories[posixpath.dirname(path)]
        counts = Counter(reference.name for reference in index.references)
        unbound_builtins = _BUILTINS.get(index.language, frozenset()) - bound.keys()
        standard = _STANDARD_METHODS.get(index.language, frozenset())
        for local in sorted(counts.keys() - own - unbound_builtins):
            name, targets = bound.get(local, (local, None))
            defining = defined_in.get(name, set())
            if targets is not None:
                chosen = _imported(defining, targets)
            else:
                chosen = defining & visible
                if not chosen and name not in standard:
                    chosen = methods_in.get(name, set())
                    chosen = chosen if len(chosen) <= MAX_METHOD_GUESSES else set()
            chosen = chosen - {path}
            weight = math.sqrt(counts[local]) / max(len(chosen), 1)
            flows.extend((path, target, name, weight) for target in sorted(chosen))
    return flows


def _imported(defining: set[str], targets: frozenset[str]) -> set[str]:
    """The files defining an imported name: those its module resolves to, else files under their
    directories (a re-export from a package); none when the module is outside the repository."""
    direct = defining & targets
    if direct or not targets:
        return direct
    packages = tuple(posixpath.dirname(target) + "/" for target in sorted(targets))
    return {candidate for candidate in defining if candidate.startswith(packages)}


def _imports(
    path: str, index: FileIndex, modules: _Modules
) -> tuple[dict[str, tuple[str, frozenset[str] | None]], set[str]]:
    """Local name -> (imported name, files its module resolves to), and every file the imports reach."""
    bound: dict[str, tuple[str, frozenset[str] | None]] = {}
    visible: set[str] = set()
    for item in sorted(index.imports, key=lambda i: (i.line, i.module, i.name, i.alias or "")):
        targets = modules.imported(item, path, index.language)
        if _names_something(item):
            # A relative module that resolves to nothing is in the repository but not indexed, or
            # beyond this resolver: its names are left to the rules for names not imported.
            relative = item.module.startswith(".") or item.module.split("::")[0] in _RELATIVE_RUST
            bound[item.alias or item.name] = (item.name, targets if targets or not relative else None)
        visible |= targets
    return bound, visible


def _names_something(item: Import) -> bool:
    """True for `from m import n`, false for `import m`, `import * as m` and default imports."""
    return item.name not in _UNNAMED_IMPORTS and item.name != item.module


def _module_parts(module: str, importer: str, language: str) -> list[str]:
    """Path components a module string names: `..a.b` from `p/q/x.py` -> [p, a, b]; `./u` -> [dir, u]."""
    if language == "python":
        stripped = module.lstrip(".")
        dots = len(module) - len(stripped)
        base = importer.split("/")[:-1][: max(importer.count("/") - dots + 1, 0)] if dots else []
        parts = base + stripped.split(".")
    elif "::" in module or language == "rust":
        parts = module.split("::")
    elif module.startswith("."):
        parts = posixpath.normpath(posixpath.join(posixpath.dirname(importer), module)).split("/")
    else:
        parts = module.split("/")
    parts = [part for part in parts if part not in _NOT_A_DIRECTORY]
    if parts:
        stem, extension = posixpath.splitext(parts[-1])
        if extension in _SOURCE_EXTENSIONS:
            parts[-1] = stem
    return parts


class _Modules:
    """Finds the files a module's path components name.

    A file is known by its path without extension, and also by its directory when it is a package index
    (`__init__.py`, `index.ts`, `mod.rs`); a Go file only by its directory, its package. A file matches
    when its key ends with the components (`@/lib/x` -> `src/lib/x.ts`) or they end with its key (a Go
    module path); the longest such match wins.
    """

    def __init__(self, paths: Iterable[str]) -> None:
        self._by_last: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        self._packages: set[str] = set()
        self._resolved: dict[tuple[tuple[str, ...], bool], frozenset[str]] = {}
        for path in paths:
            stem, extension = posixpath.splitext(path)
            key = tuple(stem.split("/"))
            if extension != ".go":
                self._by_last[key[-1]].append((key, path))
            if (key[-1] in _INDEX_STEMS or extension == ".go") and len(key) > 1:
                self._by_last[key[-2]].append((key[:-1], path))
            if key[-1] == "__init__":
                self._packages.add(posixpath.dirname(path))

    def imported(self, item: Import, importer: str, language: str) -> frozenset[str]:
        """Files an import reaches: its module's, and the submodule's too for `from pkg import mod`."""
        parts = _module_parts(item.module, importer, language)
        rooted = language == "python" and not item.module.startswith(".")
        found = self.resolve(parts, rooted=rooted)
        if _names_something(item):
            found |= self.resolve([*parts, item.name], rooted=rooted)
        return found

    def resolve(self, parts: list[str], *, rooted: bool = False) -> frozenset[str]:
        """Files `parts` names. `rooted` (a Python absolute import): all of `parts` must match, and what
        is left of the file's path above them must not be a package, so `collections` is not found as
        `pkg/collections.py` when `pkg/__init__.py` exists."""
        wanted = tuple(parts)
        known = self._resolved.get((wanted, rooted))
        if known is not None:
            return known
        best = 0
        found: list[str] = []
        for key, path in self._by_last.get(wanted[-1], ()) if wanted else ():
            common = min(len(key), len(wanted))
            if key[-common:] != wanted[-common:]:
                continue
            if rooted and (common < len(wanted) or "/".join(key[: len(key) - common]) in self._packages):
                continue
            if common > best:
                best, found = common, []
            if common == best:
                found.append(path)
        known = self._resolved[wanted, rooted] = frozenset(found)
        return known
