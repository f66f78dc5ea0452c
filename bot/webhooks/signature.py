"""GitHub webhook signatures: `X-Hub-Signature-256: sha256=HMAC_SHA256(secret, raw body)`."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, body: bytes) -> str:
    """The header value GitHub sends for `body` signed with `secret`."""
    return _PREFIX + hmac.new(_key(secret), body, hashlib.sha256).hexdigest()


def verify(secret: str | bytes, body: bytes, header_value: str | None) -> bool:
    """True only when `header_value` is the exact signature of `body`; constant-time compare."""
    if not header_value or not header_value.startswith(_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body), header_value)
