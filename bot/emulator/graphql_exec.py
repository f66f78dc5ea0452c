"""Parsing, validating and running GraphQL operations on the emulated schema, with GitHub's error shapes.

`graphql-core` parses, validates and executes; this module turns its errors into what GitHub's GraphQL
API (graphql-ruby) answers, always with HTTP 200:

- parse errors: `Parse error on "}" (RCURLY) at [1, 7]` with `locations`, or `Unexpected end of document`;
- validation errors in graphql-ruby's words for the common cases (`Field 'x' doesn't exist on type 'Y'`,
  `Field 'x' doesn't accept argument 'y'`, `Field 'x' is missing required arguments: y`), with
  `extensions.code`; others keep graphql-core's message; no `data` key;
- bad variables: `Variable $x of type T was provided invalid value`, with `extensions.problems`;
- errors of a field during execution: `type` (NOT_FOUND, FORBIDDEN...), `path`, `locations`, `message`,
  next to `data` where the field is null.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute_sync,
    parse,
    print_ast,
    validate,
)

from bot.emulator.errors import NOT_ACCESSIBLE, EmulatorError, GraphQLFieldError
from bot.emulator.graphql_resolvers import RESOLVERS, GraphQLContext
from bot.emulator.graphql_schema import SCHEMA_SDL

log = logging.getLogger("bot.emulator.graphql")

SUBSET_NOTE = "the emulator serves a subset of GitHub's schema: bot/emulator/graphql_schema.py"
_PUNCTUATORS: Mapping[str, str] = {
    "{": "LCURLY",
    "}": "RCURLY",
    "(": "LPAREN",
    ")": "RPAREN",
    "[": "LBRACKET",
    "]": "RBRACKET",
    ":": "COLON",
    "$": "VAR_SIGN",
    "@": "DIR_SIGN",
    "=": "EQUALS",
    "!": "BANG",
    "|": "PIPE",
    "&": "AMP",
}
_KEYWORDS = frozenset(
    {"query", "mutation", "subscription", "fragment", "on", "true", "false", "null", "schema", "type"}
)
_TOKEN = re.compile(r'\.\.\.|"(?:[^"\\\n]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[_A-Za-z][_0-9A-Za-z]*|.')


@functools.cache
def emulated_schema() -> GraphQLSchema:
    """The schema of `graphql_schema.SCHEMA_SDL` with the emulator's resolvers (built on first use)."""
    schema = build_schema(SCHEMA_SDL)
    for (type_name, field_name), resolver in RESOLVERS.items():
        owner = schema.type_map[type_name]
        if not isinstance(owner, GraphQLObjectType):
            raise TypeError(f"{type_name} is not an object type")
        owner.fields[field_name].resolve = resolver
    return schema


@dataclass(frozen=True)
class Prepared:
    """A parsed and valid document and the operation of it to run."""

    document: DocumentNode
    operation: OperationDefinitionNode

    @property
    def is_mutation(self) -> bool:
        return self.operation.operation == OperationType.MUTATION

    @property
    def name(self) -> str | None:
        return self.operation.name.value if self.operation.name is not None else None


def prepare(source: str, operation_name: str | None = None) -> Prepared | list[dict[str, Any]]:
    """The operation to run, or GitHub's errors for a document that does not parse or validate."""
    try:
        document = parse(source)
    except GraphQLSyntaxError as error:
        return [parse_error(source, error)]
    problems = validate(emulated_schema(), document)
    if problems:
        return [validation_error(problem) for problem in problems]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None and len(operations) > 1:
        return [{"message": "An operation name is required"}]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if not chosen:
        return [{"message": f'No operation named "{operation_name}"'}]
    return Prepared(document, chosen[0])


def run(prepared: Prepared, variables: Mapping[str, Any] | None, context: GraphQLContext) -> dict[str, Any]:
    """Execute; the answer body: `data` (absent when the variables were refused) and `errors`."""
    result = execute_sync(
        emulated_schema(),
        prepared.document,
        context_value=context,
        variable_values=dict(variables or {}),
        operation_name=prepared.name,
    )
    if result.data is None and result.errors and all(error.path is None for error in result.errors):
        return {"errors": [variable_error(prepared, error, variables or {}) for error in result.errors]}
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [field_error(error) for error in result.errors]
    return body


# ----- GitHub's error shapes -------------------------------------------------------------------------


def _locations(error: GraphQLError) -> list[dict[str, int]]:
    return [{"line": location.line, "column": location.column} for location in error.locations or []]


def parse_error(source: str, error: GraphQLSyntaxError) -> dict[str, Any]:
    """graphql-ruby's parse error: the offending token, its kind and where it is."""
    position = next(iter(error.positions or ()), len(source))
    token = _TOKEN.match(source, position) if position < len(source) else None
    if token is None or not source[position:].strip():
        return {"message": "Unexpected end of document"}
    text = token.group(0)
    line, column = _locations(error)[0]["line"], _locations(error)[0]["column"]
    token_text = f"{_quoted(_token_value(text))} ({_token_kind(text)})"
    return {
        "message": f"Parse error on {token_text} at [{line}, {column}]",
        "locations": [{"line": line, "column": column}],
    }


def _token_kind(text: str) -> str:
    if text == "...":
        return "ELLIPSIS"
    if text in _PUNCTUATORS:
        return _PUNCTUATORS[text]
    if text.startswith('"'):
        return "STRING"
    if re.fullmatch(r"-?\d+", text):
        return "INT"
    if re.fullmatch(r"-?\d[\d.eE+-]*", text):
        return "FLOAT"
    if re.fullmatch(r"[_A-Za-z]\w*", text):
        return text.upper() if text in _KEYWORDS else "IDENTIFIER"
    return "UNKNOWN_CHAR"


def _token_value(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text.startswith('"') and text.endswith('"') else text


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_VALIDATION_RULES: tuple[tuple[re.Pattern[str], Any], ...] = (
    (
        re.compile(r"Cannot query field '(\w+)' on type '(\w+)'\."),
        lambda m: (
            f"Field '{m[1]}' doesn't exist on type '{m[2]}'",
            {"code": "undefinedField", "typeName": m[2], "fieldName": m[1], "emulator": SUBSET_NOTE},
        ),
    ),
    (
        re.compile(r"Unknown argument '(\w+)' on field '(\w+)\.(\w+)'\."),
        lambda m: (
            f"Field '{m[3]}' doesn't accept argument '{m[1]}'",
            {
                "code": "argumentNotAccepted",
                "name": m[3],
                "typeName": "Field",
                "argumentName": m[1],
                "emulator": SUBSET_NOTE,
            },
        ),
    ),
    (
        re.compile(r"Field '(\w+)' argument '(\w+)' of type '.+' is required, but it was not provided\."),
        lambda m: (
            f"Field '{m[1]}' is missing required arguments: {m[2]}",
            {"code": "missingRequiredArguments", "className": "Field", "name": m[1], "arguments": m[2]},
        ),
    ),
    (
        re.compile(r"Field '(\w+)' of type '(.+)' must have a selection of subfields\..*"),
        lambda m: (
            f"Field must have selections (field '{m[1]}' returns {m[2]} but has no selections. "
            f"Did you mean '{m[1]} {{ ... }}'?)",
            {"code": "selectionMismatch", "nodeName": f"field '{m[1]}'", "typeName": m[2]},
        ),
    ),
)


def validation_error(error: GraphQLError) -> dict[str, Any]:
    """A validation error in graphql-ruby's words when it is a common one, else graphql-core's."""
    formatted: dict[str, Any] = {"message": error.message, "locations": _locations(error)}
    for pattern, translate in _VALIDATION_RULES:
        matched = pattern.match(error.message)
        if matched:
            message, extensions = translate(matched)
            formatted["message"] = message
            formatted["extensions"] = extensions
            break
    return formatted


def variable_error(prepared: Prepared, error: GraphQLError, variables: Mapping[str, Any]) -> dict[str, Any]:
    """graphql-ruby's answer to a variable value that does not fit its declared type."""
    matched = re.match(r"Variable '\$(\w+)'(.*)", error.message, re.DOTALL)
    if matched is None:
        return {"message": error.message, "locations": _locations(error)}
    name, rest = matched.groups()
    declared = next(
        (d.type for d in prepared.operation.variable_definitions or () if d.variable.name.value == name), None
    )
    type_text = print_ast(declared) if declared is not None else "?"
    if "was not provided" in rest or "must not be null" in rest:
        explanation = "Expected value to not be null"
    else:
        explanation = rest.split(";", 1)[-1].strip()
    return {
        "extensions": {"value": variables.get(name), "problems": [{"path": [], "explanation": explanation}]},
        "locations": _locations(error),
        "message": f"Variable ${name} of type {type_text} was provided invalid value",
    }


def field_error(error: GraphQLError) -> dict[str, Any]:
    """An error of one field during execution, with GitHub's `type` when the emulator knows it."""
    formatted: dict[str, Any] = {}
    message = error.message
    original = error.original_error
    if isinstance(original, GraphQLFieldError):
        formatted["type"] = original.type
    elif isinstance(original, EmulatorError):
        formatted["type"] = {404: "NOT_FOUND", 403: "FORBIDDEN"}.get(original.status, "UNPROCESSABLE")
        message = NOT_ACCESSIBLE if original.status == 403 else original.message
    elif original is not None:
        log.error("GraphQL resolver failed at %s", error.path, exc_info=original)
    if error.path is not None:
        formatted["path"] = list(error.path)
    formatted["locations"] = _locations(error)
    formatted["message"] = message
    return formatted
