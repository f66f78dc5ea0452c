"""The bytes each token of a Hugging Face fast tokenizer stands for, computed locally.

transformers-cfg gets this table by downloading the `gpt2` tokenizer when a byte-level BPE tokenizer
(GPT-2, Qwen2, SmolLM) has no `byte_encoder`, which every tokenizer on transformers 5 lacks. The table
is a fixed bijection, so we rebuild it here (`gpt2_byte_decoder`) and never touch the network.

Two vocabulary styles are understood: byte-level BPE (bytes shown as printable characters, `Ġ` for a
space) and SentencePiece-style (`▁` for a space, `<0x0A>` byte tokens). Added tokens (special and
control tokens such as `<|im_start|>` or `<repo_name>`) stand for no text: their entry is `None`, so a
grammar never allows them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

_BYTE_TOKEN = re.compile(r"<0x([0-9A-Fa-f]{2})>")
_SENTENCEPIECE_SPACE = "\u2581"


class UnsupportedTokenizerError(TypeError):
    """The tokenizer's vocabulary is neither byte-level BPE nor SentencePiece-style."""


@cache
def gpt2_byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in character for each byte, inverted (character -> byte).

    Printable Latin-1 bytes stand for themselves; the other 68 bytes (controls, space, 0x7F-0xA0, 0xAD)
    are shifted to code points 256 and up, in byte order.
    """
    printable = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    stand_ins = {byte: chr(byte) for byte in printable}
    shifted = 0
    for byte in range(256):
        if byte not in stand_ins:
            stand_ins[byte] = chr(256 + shifted)
            shifted += 1
    return {char: byte for byte, char in stand_ins.items()}


def token_bytes(tokenizer: Any) -> list[bytes | None]:
    """Bytes of every token id below `len(tokenizer)`; `None` for added tokens and unused ids."""
    vocabulary: dict[str, int] = tokenizer.get_vocab()
    added = set(tokenizer.get_added_vocab().values()) | set(tokenizer.all_special_ids)
    table: list[bytes | None] = [None] * max(len(tokenizer), max(vocabulary.values()) + 1)
    pieces = {token_id: piece for piece, token_id in vocabulary.items() if token_id not in added}
    decoder = gpt2_byte_decoder()
    if all(char in decoder for piece in pieces.values() for char in piece):
        for token_id, piece in pieces.items():
            table[token_id] = bytes(decoder[char] for char in piece)
        return table
    if any(_SENTENCEPIECE_SPACE in piece or _BYTE_TOKEN.fullmatch(piece) for piece in pieces.values()):
        for token_id, piece in pieces.items():
            table[token_id] = _sentencepiece_bytes(piece)
        return table
    raise UnsupportedTokenizerError(
        f"{type(tokenizer).__name__}: the vocabulary is neither byte-level BPE nor SentencePiece-style"
    )


def _sentencepiece_bytes(piece: str) -> bytes:
    byte_token = _BYTE_TOKEN.fullmatch(piece)
    if byte_token:
        return bytes([int(byte_token.group(1), 16)])
    return piece.replace(_SENTENCEPIECE_SPACE, " ").encode("utf-8")
