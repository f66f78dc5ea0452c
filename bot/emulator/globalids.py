"""GitHub's opaque ids of the newer format, and the cursors of its GraphQL connections.

A newer global node id is `<prefix>_<unpadded base64url of a MessagePack array>`; for an object that lives
in a repository the array is `[0, repository database id, object database id]`. GitHub's own webhook
example shows it: `PRRC_kwDOEL39TM4w7XDQ` is review comment 820867280 of repository 280886604, and the
thread it starts is `PRRT_kwDOEL39TM4w7XDQ` (same numbers, other prefix). A cursor is base64 of
`cursor:v2:` and a MessagePack array holding the item's sort key (`Y3Vyc29yOnYyOpHOB52SFQ==`).

Only the non-negative integers GitHub puts in them are encoded; anything else decodes to None.
"""

from __future__ import annotations

import base64
import binascii
import re

CURSOR_PREFIX = b"cursor:v2:"
_ID_SHAPE = re.compile(r"([A-Z]{1,8})_([A-Za-z0-9_-]+)")
_FIXARRAY = 0x90
_UINTS = ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8))
_MAX_FIXINT = 0x7F


def _pack(numbers: tuple[int, ...]) -> bytes:
    if len(numbers) > 15:
        raise ValueError("at most 15 numbers")
    packed = bytearray([_FIXARRAY | len(numbers)])
    for number in numbers:
        if number < 0:
            raise ValueError(f"only non-negative integers are encoded, not {number}")
        if number <= _MAX_FIXINT:
            packed.append(number)
            continue
        marker, size = next((marker, size) for marker, size in _UINTS if number < 1 << (8 * size))
        packed.append(marker)
        packed += number.to_bytes(size, "big")
    return bytes(packed)


def _unpack(data: bytes) -> tuple[int, ...] | None:
    if not data or data[0] & 0xF0 != _FIXARRAY:
        return None
    count, offset, numbers = data[0] & 0x0F, 1, []
    sizes = dict(_UINTS)
    for _ in range(count):
        if offset >= len(data):
            return None
        marker = data[offset]
        offset += 1
        if marker <= _MAX_FIXINT:
            numbers.append(marker)
            continue
        size = sizes.get(marker)
        if size is None or offset + size > len(data):
            return None
        numbers.append(int.from_bytes(data[offset : offset + size], "big"))
        offset += size
    return tuple(numbers) if offset == len(data) else None


def global_id(prefix: str, *numbers: int) -> str:
    """The newer global id `<prefix>_...` of `[0, *numbers]`."""
    encoded = base64.urlsafe_b64encode(_pack((0, *numbers))).decode("ascii").rstrip("=")
    return f"{prefix}_{encoded}"


def parse_global_id(value: str) -> tuple[str, tuple[int, ...]] | None:
    """(prefix, numbers after the leading 0) of a newer global id, or None when it is not one."""
    matched = _ID_SHAPE.fullmatch(value)
    if matched is None:
        return None
    prefix, encoded = matched.groups()
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return None
    numbers = _unpack(raw)
    if not numbers or numbers[0] != 0:
        return None
    return prefix, numbers[1:]


def parse_legacy_id(value: str) -> tuple[str, int] | None:
    """(type name, database id) of a legacy node id (base64 of "0<len>:<Type><id>"), or None."""
    try:
        raw = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    matched = re.fullmatch(r"0(\d+):([A-Za-z]+?)(\d+)", raw)
    if matched is None or int(matched.group(1)) != len(matched.group(2)):
        return None
    return matched.group(2), int(matched.group(3))


def cursor(key: int) -> str:
    """The opaque cursor of the connection item whose sort key is `key`."""
    return base64.b64encode(CURSOR_PREFIX + _pack((key,))).decode("ascii")


def cursor_key(value: str) -> int | None:
    """The sort key a cursor from `cursor` holds, or None when `value` is not such a cursor."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(CURSOR_PREFIX):
        return None
    numbers = _unpack(raw[len(CURSOR_PREFIX) :])
    return numbers[0] if numbers is not None and len(numbers) == 1 else None
