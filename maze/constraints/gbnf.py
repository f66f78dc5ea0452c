"""GBNF (llama.cpp's grammar notation) as a typed tree: `parse(text) -> Grammar`, `render(grammar) -> str`.

    root ::= "@@" " " digits "\\n" ( line )+      # a rule; `#` starts a comment
    digits ::= [1-9] [0-9]*

Expressions are `Literal` ("..."), `CharClass` ([a-z], [^"\\\\]), `AnyChar` (.), `RuleRef` (a name),
`Sequence`, `Choice` (a | b) and `Repeat` (*, +, ?, {m}, {m,}, {m,n}). A rule body continues on the next
line after `|` or inside parentheses, as in llama.cpp. Lines `# uses: other.gbnf` before the first rule
name the files whose rules this one needs (`Grammar.uses`). `render` writes one rule a line, and
`parse(render(grammar))` gives the same rules back. Errors are `GrammarSyntaxError` with a 1-based line
and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "AnyChar",
    "CharClass",
    "Choice",
    "Expr",
    "Grammar",
    "GrammarSyntaxError",
    "Literal",
    "Repeat",
    "RuleRef",
    "Sequence",
    "parse",
    "render",
    "render_expr",
]


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class CharClass:
    """Characters in any of the inclusive `ranges` (or in none of them when `negated`)."""

    ranges: tuple[tuple[str, str], ...]
    negated: bool = False


@dataclass(frozen=True)
class AnyChar:
    pass


@dataclass(frozen=True)
class RuleRef:
    name: str


@dataclass(frozen=True)
class Sequence:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Choice:
    options: tuple[Expr, ...]


@dataclass(frozen=True)
class Repeat:
    """`item` between `min` and `max` times (None: unbounded); `braces` when written as `{m,n}`."""

    item: Expr
    min: int
    max: int | None
    braces: bool = field(default=False, compare=False)


Expr = Literal | CharClass | AnyChar | RuleRef | Sequence | Choice | Repeat


@dataclass
class Grammar:
    """Rules in definition order; `lines` holds each rule's 1-based line in its source."""

    rules: dict[str, Expr]
    uses: tuple[str, ...] = ()
    lines: dict[str, int] = field(default_factory=dict)


class GrammarSyntaxError(ValueError):
    """Text that is not GBNF; `line` and `column` are 1-based."""

    def __init__(self, source: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{source}:{line}:{column}: {message}")
        self.source = source
        self.line = line
        self.column = column
        self.message = message


_USES = re.compile(r"#\s*uses:\s*(\S+)")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "[": "[", "]": "]", "-": "-", "^": "^"}


def parse(text: str, source: str = "<grammar>") -> Grammar:
    """The grammar written in `text`; `source` names it in errors."""
    return _Parser(text, source).grammar()


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0

    def error(self, message: str, pos: int | None = None) -> GrammarSyntaxError:
        at = self.pos if pos is None else pos
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return GrammarSyntaxError(self.source, line, column, message)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self.pos += 1
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def grammar(self) -> Grammar:
        uses = tuple(_USES.findall(self.text))
        rules: dict[str, Expr] = {}
        lines: dict[str, int] = {}
        self.skip(newlines=True)
        while self.pos < len(self.text):
            start = self.pos
            name = self.name()
            self.skip(newlines=False)
            if not self.text.startswith("::=", self.pos):
                raise self.error(f"expected `::=` after rule name `{name}`")
            self.pos += 3
            self.skip(newlines=True)
            body = self.alternatives(nested=False)
            if name in rules:
                raise self.error(f"rule `{name}` is defined twice", start)
            rules[name] = body
            lines[name] = self.text.count("\n", 0, start) + 1
            self.skip(newlines=False)
            if self.peek() not in ("", "\n", "\r"):
                raise self.error(f"unexpected {self.peek()!r} in rule `{name}`")
            self.skip(newlines=True)
        return Grammar(rules, uses, lines)

    def name(self) -> str:
        start = self.pos
        while self.peek() and (self.peek().isalnum() or self.peek() in "-_"):
            self.pos += 1
        if self.pos == start:
            raise self.error(f"expected a rule name, found {self.peek()!r}")
        return self.text[start : self.pos]

    def alternatives(self, nested: bool) -> Expr:
        options = [self.sequence(nested)]
        while True:
            self.skip(newlines=nested)
            if self.peek() != "|":
                break
            self.pos += 1
            self.skip(newlines=True)
            options.append(self.sequence(nested))
        return options[0] if len(options) == 1 else Choice(tuple(options))

    def sequence(self, nested: bool) -> Expr:
        items: list[Expr] = []
        while True:
            self.skip(newlines=nested)
            char = self.peek()
            if char == '"':
                item: Expr = Literal(self.literal())
            elif char == "[":
                item = self.char_class()
            elif char == ".":
                self.pos += 1
                item = AnyChar()
            elif char == "(":
                self.pos += 1
                self.skip(newlines=True)
                item = self.alternatives(nested=True)
                self.skip(newlines=True)
                if self.peek() != ")":
                    raise self.error("expected `)`")
                self.pos += 1
            elif char and (char.isalnum() or char in "-_"):
                item = RuleRef(self.name())
            else:
                break
            items.append(self.repetition(item))
        if not items:
            raise self.error("expected an expression")
        return items[0] if len(items) == 1 else Sequence(tuple(items))

    def repetition(self, item: Expr) -> Expr:
        while True:
            char = self.peek()
            if char == "*":
                item = Repeat(item, 0, None)
            elif char == "+":
                item = Repeat(item, 1, None)
            elif char == "?":
                item = Repeat(item, 0, 1)
            elif char == "{":
                item = self.braces(item)
                continue
            else:
                return item
            self.pos += 1

    def braces(self, item: Expr) -> Expr:
        match = re.compile(r"\{\s*(\d+)\s*(,\s*(\d*)\s*)?\}").match(self.text, self.pos)
        if match is None:
            raise self.error("expected `{m}`, `{m,}` or `{m,n}`")
        self.pos = match.end()
        low = int(match.group(1))
        if match.group(2) is None:
            return Repeat(item, low, low, braces=True)
        high = int(match.group(3)) if match.group(3) else None
        if high is not None and high < low:
            raise self.error(f"repetition {{{low},{high}}} has its maximum below its minimum")
        return Repeat(item, low, high, braces=True)

    def char(self, closing: str) -> str:
        start = self.pos
        char = self.peek()
        if char == "":
            raise self.error(f"missing closing `{closing}`")
        if char != "\\":
            self.pos += 1
            return char
        escape = self.text[self.pos + 1 : self.pos + 2]
        if escape in _ESCAPES:
            self.pos += 2
            return _ESCAPES[escape]
        width = {"x": 2, "u": 4, "U": 8}.get(escape)
        digits = self.text[self.pos + 2 : self.pos + 2 + (width or 0)]
        if width is None or len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise self.error(f"unknown escape {self.text[start : start + 2]!r}", start)
        self.pos += 2 + width
        return chr(int(digits, 16))

    def literal(self) -> str:
        self.pos += 1
        chars = []
        while self.peek() != '"':
            if self.peek() in ("", "\n"):
                raise self.error("unterminated string literal")
            chars.append(self.char('"'))
        self.pos += 1
        return "".join(chars)

    def char_class(self) -> CharClass:
        self.pos += 1
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        ranges: list[tuple[str, str]] = []
        while self.peek() != "]":
            if self.peek() in ("", "\n"):
                raise self.error("unterminated character class")
            low = self.char("]")
            high = low
            if self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", "", "\n"):
                self.pos += 1
                high = self.char("]")
                if high < low:
                    raise self.error(f"character range {low!r}-{high!r} is reversed")
            ranges.append((low, high))
        self.pos += 1
        return CharClass(tuple(ranges), negated)


def render(grammar: Grammar) -> str:
    """GBNF text for `grammar`, one rule a line, `# uses:` lines first."""
    head = [f"# uses: {name}\n" for name in grammar.uses]
    body = [f"{name} ::= {render_expr(expr)}\n" for name, expr in grammar.rules.items()]
    return "".join(head) + "".join(body)


def render_expr(expr: Expr) -> str:
    """One expression in GBNF notation, parenthesised where its context needs it."""
    return _render(expr, top=True)


def _render(expr: Expr, top: bool = False) -> str:
    if isinstance(expr, Literal):
        return '"' + "".join(_escape(char, '"\\') for char in expr.text) + '"'
    if isinstance(expr, CharClass):
        parts = [
            _class_char(low) if low == high else f"{_class_char(low)}-{_class_char(high)}"
            for low, high in expr.ranges
        ]
        return "[" + ("^" if expr.negated else "") + "".join(parts) + "]"
    if isinstance(expr, AnyChar):
        return "."
    if isinstance(expr, RuleRef):
        return expr.name
    if isinstance(expr, Sequence):
        text = " ".join(
            _render(item) if not isinstance(item, Choice) else f"( {_render(item, True)} )"
            for item in expr.items
        )
        return text if top else f"( {text} )"
    if isinstance(expr, Choice):
        text = " | ".join(
            f"( {_render(option, True)} )" if isinstance(option, Choice) else _render(option, True)
            for option in expr.options
        )
        return text if top else f"( {text} )"
    inner = _render(expr.item)
    if isinstance(expr.item, Repeat):
        inner = f"( {inner} )"
    return inner + _suffix(expr)


def _suffix(repeat: Repeat) -> str:
    if not repeat.braces:
        if (repeat.min, repeat.max) == (0, None):
            return "*"
        if (repeat.min, repeat.max) == (1, None):
            return "+"
        if (repeat.min, repeat.max) == (0, 1):
            return "?"
    if repeat.max is None:
        return f"{{{repeat.min},}}"
    if repeat.max == repeat.min:
        return f"{{{repeat.min}}}"
    return f"{{{repeat.min},{repeat.max}}}"


def _class_char(char: str) -> str:
    """A character inside `[...]`; `-` and `^` as hex escapes, which every GBNF reader accepts."""
    return {"-": "\\x2D", "^": "\\x5E"}.get(char) or _escape(char, "]\\[")


def _escape(char: str, special: str) -> str:
    """`char` as GBNF writes it in a literal or class; control and Latin-1 characters as `\\xNN`."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    if char in special:
        return "\\" + char
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0xFF:
        return f"\\x{code:02X}"
    if 0x1000 <= code <= 0xFFFF:
        return f"\\u{code:04X}"
    return char
