"""Pygments lexer for FSL: colours for `pygmentize -l fsl`, the shell and the editor.

Registered through the `pygments.lexers` entry point in pyproject.toml. It is a
regex lexer of its own (not the parser's tokenizer) because highlighting must also
colour text that does not parse yet, token by token, as it is typed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

_STATEMENT_KEYWORDS = ("flow_run_end", "flow_run", "flow_end", "flow", "action_end", "action")
_CLAUSE_KEYWORDS = ("addr", "method", "secret", "capem", "args", "return", "retry", "timeout")
_CONSTANTS = ("https", "http", "grpc")
_TYPES = ("int", "str")


class FslLexer(RegexLexer):  # type: ignore[misc]  # pygments ships no types
    """FSL, the flow script language of echoer (yametech/echoer)."""

    name = "FSL"
    aliases: ClassVar[list[str]] = ["fsl", "fss"]
    filenames: ClassVar[list[str]] = ["*.fsl", "*.fss"]
    mimetypes: ClassVar[list[str]] = ["text/x-fsl"]
    flags = 0

    _IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
    tokens: ClassVar[dict[str, Any]] = {
        "root": [
            (r"[ \t\r\n]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r"^[ \t]*/[ \t]*$", Punctuation.Marker),
            # step A / deci "B": the kind and the step's name
            (
                r"(?i)\b(step|deci)\b([ \t]+)(" + _IDENT + r'|"[^"\n]*")',
                bygroups(Keyword.Declaration, Whitespace, Name.Function),
            ),
            (
                r"(?i)\b(action|flow_run|flow)\b([ \t]+)(?!=)(" + _IDENT + r'|"[^"\n]*")',
                bygroups(Keyword.Declaration, Whitespace, Name.Class),
            ),
            (words(_STATEMENT_KEYWORDS, prefix=r"(?i)\b", suffix=r"\b"), Keyword.Declaration),
            (words(_CLAUSE_KEYWORDS, prefix=r"(?i)\b", suffix=r"\b"), Keyword),
            (words(_CONSTANTS, prefix=r"(?i)\b", suffix=r"\b"), Keyword.Constant),
            (words(_TYPES, prefix=r"(?i)\b", suffix=r"\b"), Keyword.Type),
            (r"\bdone\b", Keyword.Pseudo),
            # STATE->NEXT: the state, the arrow, the target
            (
                r"(" + _IDENT + r")([ \t]*)(->)([ \t]*)(" + _IDENT + r")",
                bygroups(Name.Constant, Whitespace, Operator, Whitespace, Name.Function),
            ),
            (r"->|=>", Operator),
            (r"[=|]", Operator),
            (r"[(){};,]", Punctuation),
            (r'"[^"\n]*"', String.Double),
            (r"`[^`\n]*`", String.Backtick),
            (r"[\"`][^\n]*", Error),
            (r"[0-9]+", Number.Integer),
            # an upper-case word alone in returns is a state
            (r"[A-Z][A-Z0-9_]*\b", Name.Constant),
            (_IDENT, Name),
            (r".", Text),
        ]
    }
