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
from collections.abc import Iterator
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
"""The extension clause words: plain names to the tokenizer (a NAME starts the clause
in fsl.lark), keywords to people, the highlighter and the formatter's quoting."""

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
_WINDOW: Final = 1 << 16

_EXACT: Final[dict[str, str]] = {
    **PUNCTUATION,
    **KEYWORDS,
    **{word.upper(): kind for word, kind in KEYWORDS.items()},
}
_QUOTES: Final = frozenset('"`')
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


def iter_tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[Token]:
    """The significant tokens of text[start:end] (offsets into `text`), one at a time;
    whitespace, commas and `#` comments are dropped.

    Identifiers and strings are both `NAME` tokens; a string keeps its quotes in the
    token text, which is how later stages tell them apart. The text is scanned in
    windows that end at a line break (no token spans lines), so a 10,000-step
    statement never holds all its raw matches in memory at once.
    """
    exact = _EXACT
    first_kind = _FIRST_KIND
    findall = _TOKEN_RE.findall
    stop = len(text) if end is None else end
    window_start = start
    while window_start < stop:
        cut = text.rfind("\n", window_start, window_start + _WINDOW)
        window_end = stop if cut < 0 or window_start + _WINDOW >= stop else cut + 1
        position = window_start
        for space, value in findall(text, window_start, window_end):
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
                        kind = KEYWORDS.get(value.lower(), "NAME")
                elif kind == "COMMENT":
                    continue
                elif kind == "SLASH" and not is_slash_line(text, begin):
                    kind = "BAD_CHAR"
            elif kind == "COMMA":
                continue  # optional separators, ignored as in fsl.lark
            yield (kind, value, begin, position)
        window_start = window_end


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Every significant token of text[start:end], as a list (see `iter_tokens`)."""
    return list(iter_tokens(text, start, end))
