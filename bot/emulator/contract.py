"""GitHub's REST description as a contract: does a request, or an answer, fit the documented operation?

The description is the vendored slim extract of `@octokit/openapi` (OpenAPI 3.0.3, see
`openapi/PROVENANCE.md`); schemas are checked with `openapi-schema-validator` (read rules for responses,
write rules for requests, `nullable` understood). An answer with a status the operation does not document
is accepted only when it is one of GitHub's well-known answers (304 to a conditional read, bad
credentials, hidden or missing resources, rate limits, server errors) or a known gap of the description
(`DOCUMENTATION_GAPS`). Paths the REST description does not cover at all (`POST /graphql`, GitHub's
GraphQL API) are exempt: `NOT_IN_REST_DESCRIPTION` names them and why.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

DOCUMENT_URI = "urn:github:rest-api-description"
EXTRACT_NAME = "api.github.com.slim.json"
MAX_ERRORS_PER_CHECK = 5
MAX_MESSAGE = 240
WELL_KNOWN_STATUSES = frozenset({304, 400, 401, 404, 429, 500, 502, 503, 504})
WELL_KNOWN_FORBIDDEN = (
    "API rate limit exceeded",
    "You have exceeded a secondary rate limit",
    "Resource not accessible by integration",
    "This installation has been suspended",
    "You must authenticate via a GitHub App.",
    "Must have push access",
)
DOCUMENTATION_GAPS: Mapping[tuple[str, int], str] = {
    ("checks/create", 422): "invalid check runs (no conclusion, too many annotations) are answered 422",
    ("checks/update", 422): "invalid check run updates are answered 422",
    ("checks/list-for-ref", 422): "an unknown ref is answered 422 like GET commits/{ref}",
    ("pulls/update-review-comment", 422): "a missing or empty body is answered 422",
    ("pulls/create-reply-for-review-comment", 422): "a missing body, or a reply to a reply, is answered 422",
}
NOT_IN_REST_DESCRIPTION: Mapping[str, str] = {
    "/graphql": "GitHub's GraphQL API is described by its GraphQL schema, not by the REST description",
}
_METHODS = ("get", "put", "post", "patch", "delete")


def exempt_from_contract(path: str) -> bool:
    """Whether `path` is outside the REST description by design (see `NOT_IN_REST_DESCRIPTION`)."""
    return path in NOT_IN_REST_DESCRIPTION


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _template_pattern(template: str, multi_segment: frozenset[str]) -> re.Pattern[str]:
    """A regex for a path template; a trailing `{path}` may hold slashes, or be absent with its slash, and
    parameters marked `x-multi-segment` (git refs such as `heads/feature/x`) may hold slashes."""
    pattern = ""
    for literal, name in re.findall(r"([^{]*)(?:\{([^}]+)\})?", template):
        if name == "path" and literal.endswith("/"):
            pattern += re.escape(literal[:-1]) + "(?:/(?P<path>.*))?"
        elif name in multi_segment:
            pattern += re.escape(literal) + f"(?P<{name}>.+)"
        elif name:
            pattern += re.escape(literal) + f"(?P<{name}>[^/]+)"
        else:
            pattern += re.escape(literal)
    return re.compile(pattern)


@dataclass(frozen=True)
class _Operation:
    operation_id: str
    method: str
    template: str
    pointer: str
    pattern: re.Pattern[str]
    literal_segments: int


class Contract:
    """The operations of GitHub's REST description, and checks of requests and answers against them."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = _corrected(document)
        resource = Resource.from_contents(self._document, default_specification=DRAFT4)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self._operations = sorted(self._load_operations(), key=lambda op: -op.literal_segments)
        self._validators: dict[tuple[str, bool], Any] = {}

    @classmethod
    def from_file(cls, text: str) -> Contract:
        return cls(json.loads(text))

    def operation_ids(self) -> list[str]:
        return sorted(op.operation_id for op in self._operations)

    def operation(self, method: str, path: str) -> str | None:
        """The operationId serving a concrete path such as `/repos/a/b/pulls/3/reviews`, or None."""
        found = self._match(method, path)
        return found[0].operation_id if found else None

    def check_request(
        self, method: str, path: str, query: Mapping[str, str], body: object | None
    ) -> list[str]:
        """Problems of a request: unknown operation, bad path or query parameters, body off its schema."""
        if exempt_from_contract(path):
            return []
        found = self._match(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in GitHub's REST description"]
        operation, path_values = found
        problems = list(self._parameter_problems(operation, path_values, query))
        problems += self._body_problems(operation, body)
        return [f"{method} {path} ({operation.operation_id}): {problem}" for problem in problems]

    def check_response(self, method: str, path: str, status: int, body: object | None) -> list[str]:
        """Problems of an answer: a status the operation does not document, a body off its schema."""
        if exempt_from_contract(path):
            return []
        found = self._match(method, path)
        if found is None:
            return []
        operation = found[0]
        problems = self._response_problems(operation, status, body)
        return [f"{method} {path} ({operation.operation_id}) -> {status}: {problem}" for problem in problems]

    # ----- loading ---------------------------------------------------------------------------------

    def _load_operations(self) -> Iterator[_Operation]:
        for template, item in self._document["paths"].items():
            literals = sum(1 for part in template.split("/") if part and not part.startswith("{"))
            for method in _METHODS:
                if method in item:
                    pointer = f"/paths/{_escape(template)}/{method}"
                    multi = frozenset(
                        parameter["name"]
                        for parameter in self._parameter_nodes(pointer)
                        if parameter.get("x-multi-segment")
                    )
                    pattern = _template_pattern(template, multi)
                    yield _Operation(
                        item[method]["operationId"], method.upper(), template, pointer, pattern, literals
                    )

    def _parameter_nodes(self, pointer: str) -> Iterator[dict[str, Any]]:
        for index, _ in enumerate(self._resolve(pointer)[1].get("parameters", [])):
            yield self._resolve(f"{pointer}/parameters/{index}")[1]

    def _match(self, method: str, path: str) -> tuple[_Operation, dict[str, str]] | None:
        for operation in self._operations:
            if operation.method != method.upper():
                continue
            matched = operation.pattern.fullmatch(path)
            if matched:
                return operation, {key: value or "" for key, value in matched.groupdict().items()}
        return None

    def _resolve(self, pointer: str) -> tuple[str, Any]:
        """The node at `pointer` (a JSON pointer into the document), following `$ref`s."""
        node: Any = self._document
        for token in pointer.strip("/").split("/"):
            key = token.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        reference = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(reference, str) and reference.startswith("#"):
            return self._resolve(reference[1:])
        return pointer, node

    def _operation_node(self, operation: _Operation) -> dict[str, Any]:
        node: dict[str, Any] = self._resolve(operation.pointer)[1]
        return node

    # ----- requests --------------------------------------------------------------------------------

    def _parameters(self, operation: _Operation) -> Iterator[tuple[str, dict[str, Any]]]:
        """(pointer of the schema, parameter) for each parameter of the operation."""
        base = self._operation_node(operation)
        for index, _ in enumerate(base.get("parameters", [])):
            pointer, parameter = self._resolve(f"{operation.pointer}/parameters/{index}")
            yield f"{pointer}/schema", parameter

    def _parameter_problems(
        self, operation: _Operation, path_values: Mapping[str, str], query: Mapping[str, str]
    ) -> Iterator[str]:
        declared_query: set[str] = set()
        for schema_pointer, parameter in self._parameters(operation):
            name, location = parameter["name"], parameter["in"]
            if location == "query":
                declared_query.add(name)
            values = path_values if location == "path" else query if location == "query" else None
            if values is None:
                continue
            if name not in values:
                if parameter.get("required"):
                    yield f"required {location} parameter {name!r} is missing"
                continue
            yield from self._parameter_value_problems(schema_pointer, parameter, values[name])
        for name in query:
            if name not in declared_query:
                yield f"unknown query parameter {name!r}"

    def _parameter_value_problems(
        self, schema_pointer: str, parameter: dict[str, Any], raw: str
    ) -> Iterator[str]:
        schema = self._resolve(schema_pointer)[1]
        value = _coerce(raw, schema.get("type"))
        label = f"{parameter['in']} parameter {parameter['name']!r}"
        if value is None:
            yield f"{label}: {raw!r} is not of type {schema.get('type')}"
            return
        for problem in self._schema_problems(schema_pointer, value, write=True):
            yield f"{label}: {problem}"

    def _body_problems(self, operation: _Operation, body: object | None) -> list[str]:
        node = self._operation_node(operation)
        if "requestBody" not in node:
            return [] if body is None else ["the operation takes no request body"]
        pointer, request_body = self._resolve(f"{operation.pointer}/requestBody")
        if body is None:
            return ["the request body is required"] if request_body.get("required") else []
        media = _json_media(request_body.get("content", {}))
        if media is None:
            return []
        schema_pointer = f"{pointer}/content/{_escape(media)}/schema"
        return [
            f"request body {problem}" for problem in self._schema_problems(schema_pointer, body, write=True)
        ]

    # ----- responses -------------------------------------------------------------------------------

    def _response_problems(self, operation: _Operation, status: int, body: object | None) -> list[str]:
        responses = self._operation_node(operation).get("responses", {})
        if str(status) not in responses:
            return self._undocumented_status_problems(operation, status, body)
        pointer, response = self._resolve(f"{operation.pointer}/responses/{status}")
        media = _json_media(response.get("content", {}))
        if media is None:
            return [] if body is None else ["a body was sent where the description documents none"]
        if body is None:
            return ["no JSON body was sent where the description documents one"]
        schema_pointer = f"{pointer}/content/{_escape(media)}/schema"
        return [f"body {problem}" for problem in self._schema_problems(schema_pointer, body, write=False)]

    def _undocumented_status_problems(
        self, operation: _Operation, status: int, body: object | None
    ) -> list[str]:
        if not _well_known(status, body) and (operation.operation_id, status) not in DOCUMENTATION_GAPS:
            return [f"status {status} is not documented for this operation"]
        if body is None:
            return []
        pointer = "/components/schemas/basic-error"
        if "basic-error" not in self._document.get("components", {}).get("schemas", {}):
            return []
        return [f"error body {problem}" for problem in self._schema_problems(pointer, body, write=False)]

    # ----- schemas ---------------------------------------------------------------------------------

    def _schema_problems(self, pointer: str, instance: object, *, write: bool) -> list[str]:
        validator = self._validator(pointer, write)
        problems = []
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            problems.append(f"at {where}: {_shorten(error.message)}")
            if len(problems) == MAX_ERRORS_PER_CHECK:
                break
        return problems

    def _validator(self, pointer: str, write: bool) -> Any:
        key = (pointer, write)
        if key not in self._validators:
            # Imported on first use: the library costs a tenth of a second to import.
            from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker

            cls = OAS30WriteValidator if write else OAS30ReadValidator
            schema = {"$ref": f"{DOCUMENT_URI}#{pointer}"}
            self._validators[key] = cls(schema, registry=self._registry, format_checker=oas30_format_checker)
        return self._validators[key]


def _corrected(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the description with its known mistakes corrected, so that GitHub's real answers pass.

    - An enum that is `nullable` also accepts null: OpenAPI 3.0.3 reads it otherwise, but GitHub answers
      null there (`start_side` of a one-line review comment, `conclusion` of a running check run).
    - A `discriminator` that maps "array" is dropped: an array has no property to discriminate on
      (`repos/get-content` answers a directory as an array).
    - An `allOf` of alternatives that cannot both hold (`account` of `apps/list-installations`: a user
      and an enterprise) is read as the `anyOf` the `installation` schema uses.
    """
    corrected: dict[str, Any] = _correct(copy.deepcopy(dict(document)))
    return corrected


def _correct(node: Any) -> Any:
    if isinstance(node, list):
        return [_correct(item) for item in node]
    if not isinstance(node, dict):
        return node
    fixed = {key: _correct(value) for key, value in node.items()}
    if fixed.get("nullable") is True and isinstance(fixed.get("enum"), list) and None not in fixed["enum"]:
        fixed["enum"] = [*fixed["enum"], None]
    if "array" in fixed.get("discriminator", {}).get("mapping", {}):
        del fixed["discriminator"]
    if _exclusive_all_of(fixed.get("allOf")):
        fixed["anyOf"] = fixed.pop("allOf")
    return fixed


def _exclusive_all_of(branches: Any) -> bool:
    """Whether `branches` are the user-or-enterprise pair that GitHub's generator wrote as an allOf."""
    if not isinstance(branches, list) or len(branches) != 2:
        return False
    titles = {branch.get("title") for branch in branches if isinstance(branch, dict)}
    return titles == {"Simple User", "Enterprise"}


def _json_media(content: Mapping[str, Any]) -> str | None:
    if "application/json" in content:
        return "application/json"
    return next((media for media in content if "json" in media), None)


def _coerce(raw: str, kind: Any) -> object | None:
    """A path or query string as the type its schema wants, or None when it cannot be one."""
    if kind == "integer":
        return int(raw) if re.fullmatch(r"-?\d+", raw) else None
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return None
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw)
    return raw


def _well_known(status: int, body: object | None) -> bool:
    if status in WELL_KNOWN_STATUSES:
        return True
    if status != 403 or not isinstance(body, dict):
        return False
    message = str(body.get("message", ""))
    return message.startswith(WELL_KNOWN_FORBIDDEN)


def _shorten(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


@functools.cache
def default_contract() -> Contract:
    """The contract of the vendored extract, loaded on first use and shared."""
    text = resources.files("bot.emulator.openapi").joinpath(EXTRACT_NAME).read_text("utf-8")
    return Contract.from_file(text)
