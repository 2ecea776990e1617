"""The FSL tokenizer: one regular expression, plain tuples, no lark objects.

Lark's own lexers build a `Token` object (a str subclass with eight attributes) per
token; at some 35 tokens per step that alone costs more than the budget the Go
original sets. This lexer lets `re.findall` do the scanning in C and yields
`(type, text, start, end)` tuples whose type names are the terminal names of
`fsl.lark` (identifiers and strings are both `NAME`). It never fails: text it cannot
place becomes a `BAD_CHAR` or `BAD_STRING` token that the parser turns into a
diagnostic.
"""

from __future__ import annotations

import re
from typing import Final

Token = tuple[str, str, int, int]
"""(terminal name from fsl.lark, source text, start offset, end offset)."""

KEYWORDS: Final[dict[str, str]] = {
    word: word.upper()
    for word in (
        "action",
        "action_end",
        "flow",
        "flow_end",
        "flow_run",
        "flow_run_end",
        "step",
        "deci",
        "addr",
        "method",
        "secret",
        "capem",
        "args",
        "return",
        "http",
        "https",
        "grpc",
        "int",
        "str",
    )
}
"""Reserved words, case-insensitive as in the original lexer (`%option caseless`)."""

SOFT_KEYWORDS: Final[dict[str, str]] = {"retry": "RETRY", "timeout": "TIMEOUT"}
"""Extension keywords, reserved only where an action clause starts, so documents that
already use them as names keep parsing."""

STATEMENT_ENDS: Final[frozenset[str]] = frozenset({"ACTION_END", "FLOW_END", "FLOW_RUN_END"})

PUNCTUATION: Final[dict[str, str]] = {
    "->": "DEST",
    "=>": "TO",
    "=": "EQ",
    ";": "SEMI",
    ",": "COMMA",
    "|": "VBAR",
    "(": "LPAR",
    ")": "RPAR",
    "{": "LBRACE",
    "}": "RBRACE",
}

# Leading whitespace and the token are two groups, so offsets follow from lengths and
# the loop never touches a match object.
_TOKEN_RE: Final = re.compile(
    r"([ \t\r\n]*)"
    r"""(->|=>|[A-Za-z_][A-Za-z0-9_]*|"[^"\n]*"|`[^`\n]*`|[0-9]+|\#[^\n]*|["`][^\n]*|[^ \t\r\n])"""
)
_NEXT_IS_ASSIGN: Final = re.compile(r"[ \t]*=(?!>)")

_EXACT: Final[dict[str, str]] = {
    **PUNCTUATION,
    **KEYWORDS,
    **{word.upper(): kind for word, kind in KEYWORDS.items()},
}
_QUOTES: Final = frozenset('"`')
_RESERVED: Final = frozenset(KEYWORDS) | frozenset(SOFT_KEYWORDS)
_FIRST_KIND: Final[dict[str, str]] = {
    **{char: "NAME" for char in 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"`'},
    **{char: "NUMBER" for char in "0123456789"},
    "#": "COMMENT",
    "/": "SLASH",
}


def is_slash_line(text: str, start: int) -> bool:
    """True when the `/` at `start` stands alone on its line (the shells' submit marker)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end < 0:
        line_end = len(text)
    return text[line_start:line_end].strip() == "/"


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Every significant token of text[start:end] (offsets into `text`); whitespace,
    commas and `#` comments are dropped.

    Identifiers and strings are both `NAME` tokens; a string keeps its quotes in the
    token text, which is how later stages tell them apart.
    """
    tokens: list[Token] = []
    append = tokens.append
    exact = _EXACT
    first_kind = _FIRST_KIND
    position = start
    for space, value in _TOKEN_RE.findall(text, start, len(text) if end is None else end):
        position += len(space)
        begin = position
        position += len(value)
        kind = exact.get(value)
        if kind is None:
            kind = first_kind.get(value[0], "BAD_CHAR")
            if kind == "NAME":
                if value[0] in _QUOTES:
                    if len(value) < 2 or value[-1] != value[0]:
                        kind = "BAD_STRING"
                else:
                    lowered = value.lower()
                    if lowered in _RESERVED:
                        kind = KEYWORDS.get(lowered) or _soft(lowered, text, position, tokens)
            elif kind == "COMMENT":
                continue
            elif kind == "SLASH" and not is_slash_line(text, begin):
                kind = "BAD_CHAR"
        elif kind == "COMMA":
            continue  # optional separators, ignored as in fsl.lark
        append((kind, value, begin, position))
    return tokens


def _soft(word: str, text: str, position: int, tokens: list[Token]) -> str:
    """`retry`/`timeout` are keywords only where an action clause starts: after a `;` or
    right after the action's name, and followed by `=`."""
    if not _NEXT_IS_ASSIGN.match(text, position) or not tokens:
        return "NAME"
    previous = tokens[-1][0]
    if previous == "SEMI" or (previous == "NAME" and len(tokens) > 1 and tokens[-2][0] == "ACTION"):
        return SOFT_KEYWORDS[word]
    return "NAME"
