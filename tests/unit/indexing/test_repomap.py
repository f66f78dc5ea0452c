"""The repo map: PageRank against networkx, symbol ranking on extracted snippets, budget and determinism."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

import networkx as nx
import pytest

from maze.indexing.extract import extract
from maze.indexing.model import Definition, FileIndex
from maze.indexing.ranking import pagerank, personalization, reference_flows
from maze.indexing.repomap import (
    MAX_SIGNATURE,
    RankedSymbol,
    RepoMap,
    build_repo_map,
    estimate_tokens,
    rank_symbols,
)

PYTHON = {
    "shop/models.py": '''"""Orders and customers."""
from typing import Protocol


class Order:
    """An order."""

    def total(self) -> int:
        return sum(self.items)

    def add_item(self, price: int) -> None:
        self.items.append(price)


class Customer:
    def orders(self) -> list[Order]:
        return []


def money(amount: int) -> str:
    return f"{amount / 100:.2f}"


class Repository(Protocol):
    def get(self, order_id: str) -> Order: ...
''',
    "shop/pricing.py": """from shop.models import Order, money


def discount(order: Order) -> float:
    return 0.0


def price(order: Order) -> str:
    return money(order.total())
""",
    "shop/views.py": """from shop.models import Order
from shop.pricing import price
from shop.storage import load as load_order


def checkout(order_id: str) -> str:
    order: Order = load_order(order_id)
    return price(order)
""",
    "shop/report.py": """from shop.models import Order, money


def summary(orders: list[Order]) -> str:
    with open("report.txt") as out:
        out.write(money(len(orders)))
""",
    "shop/storage.py": """from shop.models import Order


def load(order_id: str) -> Order:
    return Order()


def open(order_id: str) -> Order:
    return load(order_id)
""",
    "tools/fixtures.py": """from typing import Protocol


class Protocol:
    pass


def load(path: str) -> str:
    return path


def old_export() -> None:
    pass
""",
}

TYPESCRIPT = {
    "src/api/client.ts": """export class ApiClient {
  get(path: string): Promise<Response> {
    return fetch(path);
  }
}

export function createClient(): ApiClient {
  return new ApiClient();
}
""",
    "src/api/users.ts": """import { ApiClient } from "./client";

export interface User {
  id: string;
}

export async function fetchUser(client: ApiClient, id: string): Promise<User> {
  return client.get(`/users/${id}`);
}
""",
    "src/ui/profile.tsx": """import { fetchUser, User } from "../api/users";
import { createClient } from "../api/client";

export function Profile(props: { id: string }): User {
  return fetchUser(createClient(), props.id);
}
""",
    "src/mock/client.ts": """export class ApiClient {
  get(path: string): string {
    return path;
  }
}

export function formatDate(d: Date): string {
  return d.toISOString();
}
""",
}

T = TypeVar("T")

_LANGUAGES = {".py": "python", ".ts": "typescript", ".tsx": "tsx"}


def _index(sources: Mapping[str, str]) -> dict[str, FileIndex]:
    return {
        path: extract(path, source.encode(), _LANGUAGES[os.path.splitext(path)[1]])
        for path, source in sources.items()
    }


@pytest.fixture(scope="module")
def python_files() -> dict[str, FileIndex]:
    return _index(PYTHON)


@pytest.fixture(scope="module")
def typescript_files() -> dict[str, FileIndex]:
    return _index(TYPESCRIPT)


def _names(ranking: list[RankedSymbol]) -> list[str]:
    return [f"{symbol.path}:{symbol.definition.qualified_name}" for symbol in ranking]


def _position(ranking: list[RankedSymbol], path: str, qualified_name: str) -> int:
    return _names(ranking).index(f"{path}:{qualified_name}")


# PageRank, against networkx


def _networkx(
    nodes: list[str], edges: dict[tuple[str, str], float], teleport: dict[str, float] | None
) -> dict[str, float]:
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_weighted_edges_from((s, t, w) for (s, t), w in edges.items())
    result: dict[str, float] = nx.pagerank(
        graph,
        alpha=0.85,
        personalization=teleport,
        weight="weight",
        dangling=teleport,
        tol=1e-13,
        max_iter=1000,
    )
    return result


def _random_graph(seed: int, size: int, edge_count: int) -> tuple[list[str], dict[tuple[str, str], float]]:
    rng = random.Random(seed)
    nodes = [f"n{i:03d}" for i in range(size)]
    edges: dict[tuple[str, str], float] = {}
    for _ in range(edge_count):
        source, target = rng.choice(nodes[: size - 3]), rng.choice(nodes)  # the last 3 are dangling
        edges[source, target] = rng.uniform(0.1, 5.0)
    return nodes, edges


GRAPHS = {
    "chain with a dangling end": (["a", "b", "c"], {("a", "b"): 1.0, ("b", "c"): 2.0}),
    "weighted cycle and an isolated node": (
        ["a", "b", "c", "d", "e"],
        {("a", "b"): 3.0, ("b", "c"): 1.0, ("c", "a"): 1.0, ("a", "c"): 1.0, ("c", "c"): 0.5},
    ),
    "star into a hub": (["hub", "x", "y", "z"], {("x", "hub"): 1.0, ("y", "hub"): 2.0, ("z", "hub"): 1.0}),
    "random 60 nodes": _random_graph(1, 60, 300),
    "random 200 nodes": _random_graph(2, 200, 1500),
}


@pytest.mark.parametrize("graph", sorted(GRAPHS))
@pytest.mark.parametrize("focus", ["uniform", "one node", "several weighted"])
def test_pagerank_matches_networkx(graph: str, focus: str) -> None:
    nodes, edges = GRAPHS[graph]
    teleport = {
        "uniform": None,
        "one node": {nodes[-1]: 1.0},
        "several weighted": {nodes[0]: 3.0, nodes[1]: 1.0, nodes[-1]: 0.5},
    }[focus]
    ours = pagerank(nodes, edges, teleport, tolerance=1e-14, max_iterations=1000)
    theirs = _networkx(nodes, edges, teleport)
    assert ours.keys() == theirs.keys()
    for node in nodes:
        assert ours[node] == pytest.approx(theirs[node], abs=1e-10), node
    assert sum(ours.values()) == pytest.approx(1.0)


def test_pagerank_edge_cases() -> None:
    assert pagerank([], {}) == {}
    assert pagerank(["only"], {}) == {"only": 1.0}
    assert pagerank(["a", "b"], {}, {"a": 0.0, "b": 0.0}) == {"a": 0.5, "b": 0.5}
    assert pagerank(["a"], {("a", "b"): 0.0, ("b", "a"): -1.0}) == {"a": 0.5, "b": 0.5}
    with pytest.raises(ValueError, match="negative"):
        pagerank(["a", "b"], {}, {"a": -1.0, "b": 2.0})


def test_file_scores_are_networkx_pagerank_of_the_reference_graph(python_files: dict[str, FileIndex]) -> None:
    changed = ["shop/views.py"]
    edges: dict[tuple[str, str], float] = defaultdict(float)
    for source, target, _, weight in reference_flows(python_files):
        edges[source, target] += weight
    paths = sorted(python_files)
    teleport = personalization({path: len(python_files[path].definitions) for path in paths}, changed)
    expected = _networkx(paths, dict(edges), teleport)
    per_file: dict[str, float] = defaultdict(float)
    for symbol in rank_symbols(python_files, changed):
        per_file[symbol.path] += symbol.score
    for path in paths:
        assert per_file[path] == pytest.approx(expected[path], abs=1e-8), path


# The reference graph


def test_imports_pick_the_definition_a_reference_means(python_files: dict[str, FileIndex]) -> None:
    flows = {(source, target, name) for source, target, name, _ in reference_flows(python_files)}
    # `load_order` is `shop.storage.load`, not the other `load`.
    assert ("shop/views.py", "shop/storage.py", "load") in flows
    assert not any(target == "tools/fixtures.py" for _, target, _ in flows)
    assert ("shop/pricing.py", "shop/models.py", "money") in flows
    assert ("shop/pricing.py", "shop/models.py", "total") in flows
    # Names from modules outside the repository (`typing.Protocol`), builtins (`len`, `sum`, `list`) and
    # names a file defines itself make no edge.
    assert not any(name in {"len", "sum", "list", "append", "open"} for _, _, name in flows)
    assert not any(source == target for source, target, _ in flows)


def test_relative_typescript_imports_pick_the_right_file(typescript_files: dict[str, FileIndex]) -> None:
    flows = {(source, target, name) for source, target, name, _ in reference_flows(typescript_files)}
    assert ("src/api/users.ts", "src/api/client.ts", "ApiClient") in flows
    assert ("src/ui/profile.tsx", "src/api/users.ts", "fetchUser") in flows
    assert ("src/ui/profile.tsx", "src/api/client.ts", "createClient") in flows
    assert not any(target == "src/mock/client.ts" for _, target, _ in flows)


GO = {
    "geo/point.go": "package geo\n\ntype Point struct {\n\tX float64\n}\n\n"
    "func NewPoint(x float64) *Point {\n\treturn &Point{X: x}\n}\n",
    "geo/area.go": "package geo\n\nfunc Area(p *Point) float64 {\n\treturn NewPoint(p.X).X\n}\n",
    "cmd/app/main.go": 'package main\n\nimport "example.com/app/geo"\n\n'
    "func main() {\n\tgeo.NewPoint(1)\n\tgeo.Area(nil)\n}\n",
    "other/point.go": "package other\n\ntype Point struct{}\n\nfunc NewPoint() *Point {\n\treturn nil\n}\n",
}
RUST = {
    "src/model.rs": "pub struct Point {\n    pub x: f64,\n}\n\n"
    "pub fn origin() -> Point {\n    Point { x: 0.0 }\n}\n",
    "src/main.rs": "use crate::model::{origin, Point};\n\nfn norm(p: &Point) -> f64 {\n    p.x\n}\n\n"
    "fn main() {\n    norm(&origin());\n}\n",
    "src/other.rs": "pub struct Point;\npub fn origin() {}\n",
}


def test_go_packages_and_rust_modules_resolve() -> None:
    files = {path: extract(path, source.encode(), "go") for path, source in GO.items()}
    files |= {path: extract(path, source.encode(), "rust") for path, source in RUST.items()}
    flows = {(source, target, name) for source, target, name, _ in reference_flows(files)}
    assert flows == {
        ("cmd/app/main.go", "geo/point.go", "NewPoint"),
        ("cmd/app/main.go", "geo/area.go", "Area"),
        ("geo/area.go", "geo/point.go", "NewPoint"),  # same package: no import needed
        ("geo/area.go", "geo/point.go", "Point"),
        ("src/main.rs", "src/model.rs", "Point"),
        ("src/main.rs", "src/model.rs", "origin"),
    }


# Ranking


def test_symbol_referenced_from_many_places_outranks_an_unreferenced_one(
    python_files: dict[str, FileIndex],
) -> None:
    ranking = rank_symbols(python_files, [])
    order = _position(ranking, "shop/models.py", "Order")
    assert order < _position(ranking, "tools/fixtures.py", "old_export")
    assert order < _position(ranking, "shop/pricing.py", "discount")
    assert _position(ranking, "shop/models.py", "money") < _position(ranking, "shop/models.py", "Customer")


def test_changed_files_pull_their_symbols_and_callees_up(python_files: dict[str, FileIndex]) -> None:
    views = rank_symbols(python_files, ["shop/views.py"])
    report = rank_symbols(python_files, ["shop/report.py"])
    assert views[0].path == "shop/views.py"
    assert report[0].path == "shop/report.py"
    # What views.py calls rises when it changes; what report.py calls rises when that changes.
    assert _position(views, "shop/pricing.py", "price") < _position(report, "shop/pricing.py", "price")
    assert _position(views, "shop/storage.py", "load") < _position(report, "shop/storage.py", "load")
    assert _position(report, "shop/report.py", "summary") < _position(views, "shop/report.py", "summary")
    callees = {_position(views, "shop/pricing.py", "price"), _position(views, "shop/storage.py", "load")}
    assert max(callees) < _position(views, "shop/pricing.py", "discount")


def test_changed_typescript_file_ranks_its_imports_first(typescript_files: dict[str, FileIndex]) -> None:
    ranking = rank_symbols(typescript_files, ["src/ui/profile.tsx"])
    top = set(_names(ranking)[:4])
    assert top == {
        "src/ui/profile.tsx:Profile",
        "src/api/users.ts:fetchUser",
        "src/api/users.ts:User",
        "src/api/client.ts:createClient",
    }
    assert _position(ranking, "src/api/client.ts", "ApiClient") < _position(
        ranking, "src/mock/client.ts", "ApiClient"
    )


def test_changed_paths_outside_the_files_mean_uniform(python_files: dict[str, FileIndex]) -> None:
    assert rank_symbols(python_files, ["gone.py", "README.md"]) == rank_symbols(python_files, [])
    assert rank_symbols(python_files, []) == rank_symbols(python_files, ())


def test_scores_share_out_the_whole_rank(python_files: dict[str, FileIndex]) -> None:
    for changed in ([], ["shop/models.py"]):
        ranking = rank_symbols(python_files, changed)
        assert len(ranking) == sum(len(index.definitions) for index in python_files.values())
        assert sum(symbol.score for symbol in ranking) == pytest.approx(1.0)
        assert all(symbol.score > 0 for symbol in ranking)
        assert [symbol.score for symbol in ranking] == sorted(
            (symbol.score for symbol in ranking), reverse=True
        )


def test_unreferenced_definitions_tie_whatever_their_file_size(python_files: dict[str, FileIndex]) -> None:
    ranking = rank_symbols(python_files, ["shop/views.py"])
    flows = reference_flows(python_files)
    referenced = {(target, name) for _, target, name, _ in flows}
    idle = [
        symbol
        for symbol in ranking
        if symbol.path != "shop/views.py" and (symbol.path, symbol.definition.name) not in referenced
    ]
    # old_export (one of three in its file) and summary (alone in its file) start from the same share.
    assert {"tools/fixtures.py:old_export", "shop/report.py:summary"} <= set(_names(idle))
    assert len({symbol.score for symbol in idle}) == 1
    assert idle == ranking[-len(idle) :]
    assert [(s.path, s.definition.start_line) for s in idle] == sorted(
        (s.path, s.definition.start_line) for s in idle
    )


def test_ties_break_by_path_line_and_name() -> None:
    files = {
        path: extract(path, b"def b():\n    pass\n\ndef a():\n    pass\n", "python")
        for path in ("y.py", "x.py")
    }
    assert _names(rank_symbols(files, [])) == ["x.py:b", "x.py:a", "y.py:b", "y.py:a"]


# The map


def test_map_format(python_files: dict[str, FileIndex]) -> None:
    repo_map = build_repo_map(python_files, ["shop/pricing.py"], 10_000)
    lines = repo_map.text.splitlines()
    assert lines[:3] == [
        "shop/pricing.py:",
        "  4: def discount(order: Order) -> float",
        "  8: def price(order: Order) -> str",
    ]
    models = lines[lines.index("shop/models.py:") :][:7]
    assert models == [
        "shop/models.py:",
        "  5: class Order",
        "    8: def total(self) -> int",
        "    11: def add_item(self, price: int) -> None",
        "  15: class Customer",
        "    16: def orders(self) -> list[Order]",
        "  20: def money(amount: int) -> str",
    ]
    assert len(repo_map.symbols) == sum(len(index.definitions) for index in python_files.values())
    assert {line for line in lines if not line.startswith(" ")} == {f"{path}:" for path in python_files}


def test_member_brings_its_class_and_long_signatures_are_cut() -> None:
    signature = "def run(self, " + ", ".join(f"argument_{i}: int" for i in range(40)) + ") -> None"
    index = FileIndex(
        path="big.py",
        language="python",
        definitions=(
            Definition("Job", "class", "Job", "class Job", 1, 30),
            Definition("run", "method", "Job.run", signature, 2, 30),
        ),
        imports=(),
        references=(),
        syntax_errors=(),
        query_hash="",
        grammar_version="",
    )
    caller = b"import big\n\n\ndef main():\n    job = big.make()\n    job.run()\n    job.run()\n"
    files = {"big.py": index, "main.py": extract("main.py", caller, "python")}
    ranking = rank_symbols(files, ["main.py"])
    assert _names(ranking) == ["main.py:main", "big.py:Job.run", "big.py:Job"]
    cut = signature[: MAX_SIGNATURE - 3] + "..."
    expected = f"main.py:\n  4: def main()\nbig.py:\n  1: class Job\n    2: {cut}"
    repo_map = build_repo_map(files, ["main.py"], estimate_tokens(expected))
    assert repo_map.text == expected
    assert repo_map.symbols == tuple(ranking)
    assert (
        build_repo_map(files, ["main.py"], estimate_tokens(expected) - 1).text == "main.py:\n  4: def main()"
    )


def test_methods_outside_their_type_name_it() -> None:
    rust = (
        b"pub struct Point {\n    x: f64,\n}\n\nimpl Point {\n    pub fn area(&self) -> f64 {"
        b"\n        self.x\n    }\n}\n"
    )
    go = (
        b"package geo\n\ntype Point struct {\n\tX float64\n}\n\n"
        b"func (p *Point) Area() float64 {\n\treturn p.X\n}\n"
    )
    files = {
        "src/geo.rs": extract("src/geo.rs", rust, "rust"),
        "geo/point.go": extract("geo/point.go", go, "go"),
    }
    lines = build_repo_map(files, [], 1000).text.splitlines()
    assert "  6: (Point) pub fn area(&self) -> f64" in lines
    assert "  7: func (p *Point) Area() float64" in lines


@pytest.mark.parametrize("budget", [-5, 0, 1, 3])
def test_no_or_tiny_budget_gives_an_empty_map(python_files: dict[str, FileIndex], budget: int) -> None:
    assert build_repo_map(python_files, ["shop/views.py"], budget) == RepoMap("", (), 0, budget)


def test_empty_inputs() -> None:
    assert rank_symbols({}, []) == []
    assert rank_symbols({}, ["a.py"]) == []
    assert build_repo_map({}, ["a.py"], 1000) == RepoMap("", (), 0, 1000)
    empty = {
        "a.py": extract("a.py", b"", "python"),
        "b.py": extract("b.py", b"import os\nos.getcwd()\n", "python"),
    }
    assert rank_symbols(empty, ["a.py"]) == []
    assert build_repo_map(empty, ["a.py"], 1000) == RepoMap("", (), 0, 1000)


def test_budget_is_respected_and_each_map_is_the_largest_that_fits(
    python_files: dict[str, FileIndex],
) -> None:
    previous = build_repo_map(python_files, ["shop/views.py"], 0)
    for budget in range(1, 260):
        repo_map = build_repo_map(python_files, ["shop/views.py"], budget)
        assert repo_map.budget == budget
        assert repo_map.tokens == estimate_tokens(repo_map.text) <= budget
        assert set(previous.symbols) <= set(repo_map.symbols)
        kept = set(previous.text.splitlines())
        assert previous.text.splitlines() == [line for line in repo_map.text.splitlines() if line in kept]
        if repo_map.symbols != previous.symbols:
            # One token less did not fit it, so the map is exactly as big as the budget.
            assert repo_map.tokens == budget
        previous = repo_map
    assert len(previous.symbols) == sum(len(index.definitions) for index in python_files.values())


@pytest.mark.parametrize("changed", [[], ["shop/pricing.py"], ["shop/views.py", "shop/report.py"]])
def test_map_shows_a_prefix_of_the_ranking(python_files: dict[str, FileIndex], changed: list[str]) -> None:
    # Classes outrank their members here, so no class is pulled in out of rank order.
    ranking = rank_symbols(python_files, changed)
    for budget in range(0, 300, 7):
        shown = build_repo_map(python_files, changed, budget).symbols
        assert list(shown) == ranking[: len(shown)]


# Determinism


def _scrambled(rng: random.Random, items: tuple[T, ...]) -> tuple[T, ...]:
    return tuple(rng.sample(items, len(items)))


def _shuffled(files: Mapping[str, FileIndex], seed: int) -> dict[str, FileIndex]:
    """The same files in another order, each with its definitions, imports and references reordered."""
    rng = random.Random(seed)
    paths = list(files)
    rng.shuffle(paths)
    return {
        path: dataclasses.replace(
            files[path],
            definitions=_scrambled(rng, files[path].definitions),
            imports=_scrambled(rng, files[path].imports),
            references=_scrambled(rng, files[path].references),
        )
        for path in paths
    }


@pytest.mark.parametrize("changed", [[], ["shop/views.py"], ["src/ui/profile.tsx", "shop/report.py"]])
def test_same_input_in_any_order_gives_the_same_map(
    python_files: dict[str, FileIndex], typescript_files: dict[str, FileIndex], changed: list[str]
) -> None:
    files = {**python_files, **typescript_files}
    expected = build_repo_map(files, changed, 120)
    assert expected.symbols
    for seed in range(8):
        shuffled = _shuffled(files, seed)
        assert build_repo_map(shuffled, list(reversed(changed)), 120) == expected
        assert rank_symbols(shuffled, set(changed)) == rank_symbols(files, changed)


_HASH_SEED_SCRIPT = """
import json, sys
from maze.indexing.extract import extract
from maze.indexing.repomap import build_repo_map
sources = json.load(sys.stdin)
languages = {"py": "python", "ts": "typescript", "tsx": "tsx"}
files = {p: extract(p, s.encode(), languages[p.rsplit(".", 1)[1]]) for p, s in sources.items()}
repo_map = build_repo_map(files, ["shop/views.py"], 150)
print(json.dumps([repo_map.text, [s.score for s in repo_map.symbols]]))
"""


def test_same_map_under_any_hash_seed() -> None:
    sources = json.dumps({**PYTHON, **TYPESCRIPT})
    outputs = {
        subprocess.run(
            [sys.executable, "-c", _HASH_SEED_SCRIPT],
            input=sources,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[3],
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
    assert "shop/views.py:" in json.loads(outputs.pop())[0]


# Token estimate


def test_estimate_tokens_rules() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("   ") == 0
    # def f ( x : int ) - > int
    assert estimate_tokens("def f(x: int) -> int") == 10
    assert estimate_tokens("snake_case_name") == 3
    assert estimate_tokens("createOperatorFunction") == 3
    assert estimate_tokens("HTTPResponse") == 2
    assert estimate_tokens("internationalization") == 3
    assert estimate_tokens("12345") == 2
    assert estimate_tokens("a\nb") == 3
    assert estimate_tokens("é→") == 2


def test_estimate_tokens_adds_up_over_lines() -> None:
    lines = ["shop/models.py:", "  5: class Order", "    8: def total(self) -> int"]
    assert estimate_tokens("\n".join(lines)) == sum(map(estimate_tokens, lines)) + len(lines) - 1
