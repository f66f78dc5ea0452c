"""Identifier rules that never match a keyword, built from the keyword list as a trie.

    identifier_rules("name", keywords, first, rest) -> dict[str, Expr]

GBNF has no "except", so the rule spells out every identifier that is not a keyword: for each prefix
of a keyword the identifier either stops there (when the prefix is not itself a keyword), continues
along the keyword trie, or leaves it with any other character. Helper rules are named
`<name>-k<number>`; every rule is made only of characters, so llguidance compiles the whole set into
one lexeme.
"""

from __future__ import annotations

import keyword

from maze.constraints.gbnf import CharClass, Choice, Expr, Literal, Repeat, RuleRef, Sequence

__all__ = ["LANGUAGE_KEYWORDS", "identifier_rules", "language_identifier_rules"]

ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"

# Reserved words, strict mode's and a module's (`await`); contextual keywords such as `of`, `type` or
# `as` stay identifiers, as they are in TypeScript.
TYPESCRIPT_RESERVED = (
    "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else",
    "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof",
    "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void",
    "while", "with", "implements", "interface", "let", "package", "private", "protected", "public",
    "static", "yield", "await",
)

LANGUAGE_KEYWORDS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "python": (tuple(keyword.kwlist), ASCII_LETTERS, ASCII_LETTERS + DIGITS),
    "typescript": (tuple(TYPESCRIPT_RESERVED), ASCII_LETTERS + "$", ASCII_LETTERS + DIGITS + "$"),
}


def language_identifier_rules(language: str, rule: str = "name") -> dict[str, Expr]:
    """The `name` rule (and helpers) for `language` ("python" or "typescript")."""
    words, first, rest = LANGUAGE_KEYWORDS[language]
    return identifier_rules(rule, words, first, rest)


def identifier_rules(rule: str, keywords: tuple[str, ...], first: str, rest: str) -> dict[str, Expr]:
    """Rules for `rule`: a character of `first` then any of `rest`, never one of `keywords`."""
    prefixes = sorted({word[:end] for word in keywords for end in range(1, len(word))})
    numbers = {prefix: index for index, prefix in enumerate(prefixes, start=1)}
    tail = Repeat(_class(rest), 0, None)
    rules: dict[str, Expr] = {}

    def node(prefix: str) -> Expr:
        allowed = first if prefix == "" else rest
        followers = sorted(
            {word[len(prefix)] for word in keywords if word.startswith(prefix) and word != prefix}
        )
        options: list[Expr] = []
        others = "".join(char for char in allowed if char not in followers)
        if others:
            options.append(Sequence((_class(others), tail)))
        for char in followers:
            longer = prefix + char
            if longer in numbers:
                helper: Expr = RuleRef(f"{rule}-k{numbers[longer]}")
                options.append(
                    Sequence((Literal(char), helper if longer in keywords else Repeat(helper, 0, 1)))
                )
            else:
                options.append(Sequence((Literal(char), Repeat(_class(rest), 1, None))))
        return options[0] if len(options) == 1 else Choice(tuple(options))

    rules[rule] = node("")
    for prefix in prefixes:
        rules[f"{rule}-k{numbers[prefix]}"] = node(prefix)
    return rules


def _class(chars: str) -> CharClass:
    """The characters as a class of ranges of consecutive code points."""
    codes = sorted({ord(char) for char in chars})
    ranges: list[tuple[str, str]] = []
    start = previous = codes[0]
    for code in codes[1:]:
        if code != previous + 1:
            ranges.append((chr(start), chr(previous)))
            start = code
        previous = code
    ranges.append((chr(start), chr(previous)))
    return CharClass(tuple(ranges))
