"""Reading a webhook body: JSON or `application/x-www-form-urlencoded` with a `payload` field."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs


class PayloadError(ValueError):
    """The body is not a webhook payload GitHub would send; answered with 400."""


class UnsupportedMediaType(ValueError):
    """A content type GitHub never uses for webhooks; answered with 415."""


def decode_body(content_type: str, body: bytes) -> dict[str, Any]:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        text = body
    elif media_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError) as error:
            raise PayloadError(f"malformed form body: {error}") from error
        if len(fields.get("payload", [])) != 1:
            raise PayloadError("form body must have exactly one 'payload' field")
        text = fields["payload"][0].encode("utf-8")
    else:
        raise UnsupportedMediaType(f"unsupported content type {media_type or '(none)'!r}")
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadError(f"body is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise PayloadError("payload must be a JSON object")
    return data


def installation_id(data: dict[str, Any]) -> int | None:
    installation = data.get("installation")
    if isinstance(installation, dict) and isinstance(installation.get("id"), int):
        return int(installation["id"])
    return None
