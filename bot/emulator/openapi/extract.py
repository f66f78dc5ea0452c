"""Cut the slim extract of GitHub's REST description that the emulator's contract checks use.

Run `python -m bot.emulator.openapi.extract /path/to/generated/api.github.com.json` (from the npm package
`@octokit/openapi`, see PROVENANCE.md). It keeps the operations in `OPERATIONS` and every component they
reference, directly or through other components, with `$ref`s left as they are so they resolve inside the
extract. Request and response `examples` are dropped (they are documentation, and the bulk of the file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

EXTRACT_NAME = "api.github.com.slim.json"
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("get", "/app"),
    ("get", "/app/installations"),
    ("get", "/app/installations/{installation_id}"),
    ("post", "/app/installations/{installation_id}/access_tokens"),
    ("get", "/installation/repositories"),
    ("delete", "/installation/token"),
    ("get", "/rate_limit"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/installation"),
    ("get", "/repos/{owner}/{repo}/collaborators/{username}/permission"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/git/trees/{tree_sha}"),
    ("get", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}"),
    ("get", "/repos/{owner}/{repo}/tarball/{ref}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/commits"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/comments"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/comments"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}"),
    ("put", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments"),
    ("get", "/repos/{owner}/{repo}/pulls/comments/{comment_id}"),
    ("patch", "/repos/{owner}/{repo}/pulls/comments/{comment_id}"),
    ("delete", "/repos/{owner}/{repo}/pulls/comments/{comment_id}"),
    ("get", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions"),
    ("post", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions"),
    ("delete", "/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions/{reaction_id}"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"),
    ("post", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"),
    ("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}"),
    ("post", "/repos/{owner}/{repo}/check-runs"),
    ("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
    ("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
)


def _without_examples(node: Any) -> Any:
    """`node` without the `examples` of media types, parameters and headers (objects that have a schema)."""
    if isinstance(node, list):
        return [_without_examples(item) for item in node]
    if not isinstance(node, dict):
        return node
    drop = "examples" if "schema" in node else None
    return {key: _without_examples(value) for key, value in node.items() if key != drop}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str):
            yield reference
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _component(document: dict[str, Any], reference: str) -> tuple[str, str, Any]:
    prefix = "#/components/"
    if not reference.startswith(prefix):
        raise ValueError(f"unsupported $ref {reference!r}")
    section, name = reference[len(prefix) :].split("/", 1)
    return section, name, document["components"][section][name]


def _components(document: dict[str, Any], roots: Any) -> dict[str, dict[str, Any]]:
    """Every component reachable from `roots`, by section and name."""
    found: dict[str, dict[str, Any]] = {}
    pending = list(_refs(roots))
    while pending:
        section, name, value = _component(document, pending.pop())
        if name in found.get(section, {}):
            continue
        slim = _without_examples(value)
        found.setdefault(section, {})[name] = slim
        pending.extend(_refs(slim))
    return {section: dict(sorted(entries.items())) for section, entries in sorted(found.items())}


def extract(document: dict[str, Any], operations: Sequence[tuple[str, str]] = OPERATIONS) -> dict[str, Any]:
    """The slim description: the operations' paths and the components they need."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path in operations:
        item = document["paths"][path]
        entry = paths.setdefault(path, {key: value for key, value in item.items() if key == "parameters"})
        entry[method] = _without_examples(item[method])
    return {
        "openapi": document["openapi"],
        "info": document["info"],
        "paths": paths,
        "components": _components(document, paths),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="generated/api.github.com.json of @octokit/openapi")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name(EXTRACT_NAME))
    args = parser.parse_args(argv)
    slim = extract(json.loads(args.source.read_text("utf-8")))
    args.output.write_text(json.dumps(slim, separators=(",", ":"), sort_keys=True) + "\n", "utf-8")
    operation_ids = sorted(op["operationId"] for item in slim["paths"].values() for op in _operations(item))
    print(f"{len(operation_ids)} operations, {args.output.stat().st_size} bytes -> {args.output}")
    print("\n".join(operation_ids))
    return 0


def _operations(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (value for key, value in item.items() if key != "parameters")


if __name__ == "__main__":
    sys.exit(main())
