"""Syntax errors in plain words: which parser state means which mistake.

The parser only knows "state 37 does not accept `method`". Following lark's
`UnexpectedInput.match_examples`, each friendly message here comes with short examples
of the mistake; the examples are parsed once to learn the state they fail in, and any
later error in that state gets that message. States without an example fall back to
"expected X, found Y" built from the parse table.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Final

from echoer_tui.fsl.ast import Diagnostic
from echoer_tui.fsl.lexer import KEYWORDS, SOFT_KEYWORDS, Token, tokenize
from echoer_tui.fsl.positions import Positions

_WORDS: Final[dict[str, str]] = {
    "SEMI": "';'",
    "EQ": "'='",
    "COMMA": "','",
    "VBAR": "'|'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "DEST": "'->'",
    "TO": "'=>'",
    "NAME": "a name",
    "NUMBER": "a number",
    "SLASH": "'/'",
    "$END": "the end of the statement",
    **{kind: f"'{word}'" for word, kind in {**KEYWORDS, **SOFT_KEYWORDS}.items()},
}

_LABELS: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    # (message, hint, examples that end in the mistake)
    (
        "expected a statement: action, flow or flow_run",
        "a document is a list of `action …`, `flow …` and `flow_run …` statements",
        ("foo", "step", "; action"),
    ),
    (
        "expected a name after the statement keyword",
        'names are identifiers or "quoted strings"',
        ("action ;", "flow ;", "flow_run ;", "action (", "flow =>"),
    ),
    (
        "expected ';' after the addr value",
        'end the line with ;, e.g. addr = "http://host:8080/path";',
        ('action a addr = "x" method', 'action a addr = "x" action_end'),
    ),
    (
        "expected a quoted address after 'addr ='",
        'write the address as a string: addr = "http://host:8080/path";',
        ("action a addr = ;", "action a addr = http", "action a addr = )"),
    ),
    (
        "expected http, https or grpc after 'method ='",
        "the method is one of http, https, grpc",
        ("action a method = x", "action a method = ;", 'action a method = "http"'),
    ),
    (
        "expected ';' after the method",
        "end the line with ;, e.g. method = http;",
        ("action a method = http args", "action a method = http action_end"),
    ),
    (
        "expected '=' after the clause keyword",
        "action clauses read `addr = …;`, `method = …;`, `args = (…);`, `return = (…);`",
        ("action a addr ;", "action a method http", "action a args (", "action a return ("),
    ),
    (
        "expected an action clause or action_end",
        "an action holds addr, method, secret, args, return, retry and timeout lines",
        ("action a foo", "action a ;", 'action a addr = "x"; foo'),
    ),
    (
        "expected '(' after 'args ='",
        "declare the arguments as args = (str name, int count);",
        ("action a args = str", "action a args = ;"),
    ),
    (
        "expected a param type, str or int",
        "each argument reads `str name` or `int name`, separated by commas",
        ("action a args = (x", "action a args = (str a, x", "action a args = (str a x"),
    ),
    (
        "expected a param name after the type",
        "each argument reads `str name` or `int name`",
        ("action a args = (str )", "action a args = (int ,"),
    ),
    (
        "expected ';' after the args list",
        "end the line with ;, e.g. args = (str project, int version);",
        ("action a args = (str a) return", "action a args = (str a) action_end"),
    ),
    (
        "expected '(' after 'return ='",
        "list the return states as return = (SUCCESS | FAIL);",
        ("action a return = SUCCESS",),
    ),
    (
        "expected ';' after the return states",
        "end the line with ;, e.g. return = (SUCCESS | FAIL);",
        ("action a return = (A) action_end", "action a return = (A) args"),
    ),
    (
        "expected '(capem = \"…\")' after 'secret ='",
        'write secret = (capem = "<base64 PEM>");',
        ("action a secret = x", "action a secret = (x", "action a secret = (capem x"),
    ),
    (
        "expected a step (step or deci) or the end of the flow",
        "each step reads `step NAME => (STATE->NEXT | …) { action = NAME; };`",
        (
            "flow f x",
            "flow f ;",
            "flow_run f x",
            "flow f step a => (A) { action = b; }; }",
            "flow f step a => (A) { action = b; } }",
        ),
    ),
    (
        "expected a step name after step or deci",
        'step names are identifiers or "quoted strings"',
        ("flow f step =>", "flow f deci (", "flow f step ;"),
    ),
    (
        "expected '=>' after the step name",
        "a step reads `step NAME => (STATE->NEXT | …) { … };`",
        ("flow f step a (", "flow f step a {", "flow f step a = (", "flow f step a -> ("),
    ),
    (
        "expected the step's returns, e.g. (SUCCESS->next | FAIL)",
        "after => come the returns in parentheses; () means done whatever it returns",
        ("flow f step a => {", "flow f step a => A"),
    ),
    (
        "expected a state name in the returns",
        "returns read (STATE->NEXT | STATE); a state alone goes to done",
        ("flow f step a => (|", "flow f step a => (A | )", "flow f step a => (->"),
    ),
    (
        "expected a step name or done after '->'",
        "an edge reads STATE->NEXT, where NEXT is a step of this flow or done",
        ("flow f step a => (A -> )", "flow f step a => (A -> |"),
    ),
    (
        "expected '|' or ')' after the edge",
        "separate the edges with |: (SUCCESS->b | FAIL->a)",
        ("flow f step a => (A -> b c", "flow f step a => (A -> b {", "flow f step a => (A B"),
    ),
    (
        "expected '{' to open the step's body",
        "a step's body reads { action = NAME; args = (…); }",
        ("flow f step a => (A) action", "flow f step a => (A) ;", "flow f step a => () step"),
    ),
    (
        "expected 'action = NAME;' at the start of the step's body",
        "a step's body reads { action = NAME; args = (…); }",
        ("flow f step a => (A) { args", "flow f step a => (A) { }"),
    ),
    (
        "expected '=' after action",
        "a step's body reads { action = NAME; … }",
        ("flow f step a => (A) { action b",),
    ),
    (
        "expected the action's name after 'action ='",
        'the action is named by an identifier or a "string"',
        ("flow f step a => (A) { action = ;", "flow f step a => (A) { action = }"),
    ),
    (
        "expected ';' after the action name",
        'end the line with ;, e.g. action = "ci";',
        ('flow f step a => (A) { action = "b" }', 'flow f step a => (A) { action = "b" args'),
    ),
    (
        "expected 'args = (…);' or '}' after the action",
        "the body holds `action = NAME;` and optionally `args = (name = value, …);`",
        ('flow f step a => (A) { action = "b"; x', 'flow f step a => (A) { action = "b"; ;'),
    ),
    (
        "expected '(' after 'args ='",
        'step args read args = (name = "value", count = 3);',
        ('flow f step a => (A) { action = "b"; args = x',),
    ),
    (
        "expected an arg name, ',' or ')'",
        'step args read args = (name = "value", count = 3);',
        (
            'flow f step a => (A) { action = "b"; args = (;',
            'flow f step a => (A) { action = "b"; args = (a="x" =',
            'flow f step a => (A) { action = "b"; args = (a=1;',
            'flow f step a => (A) { action = "b"; args = (a="x";',
        ),
    ),
    (
        "expected '=' after the arg name",
        'step args read args = (name = "value", count = 3);',
        (
            'flow f step a => (A) { action = "b"; args = (x "v"',
            'flow f step a => (A) { action = "b"; args = (x ,',
        ),
    ),
    (
        "expected a value after '=': a \"string\", a `string` or a number",
        'string values are quoted ("…" or `…`), numbers are digits',
        (
            'flow f step a => (A) { action = "b"; args = (x = y',
            'flow f step a => (A) { action = "b"; args = (x = )',
        ),
    ),
    (
        "expected ';' after the args list",
        'end the line with ;, e.g. args = (project = "x", retry_count = 10);',
        ('flow f step a => (A) { action = "b"; args = (x = 1) }',),
    ),
    (
        "expected '}' to close the step's body",
        "close the body with }; before the next step",
        (
            'flow f step a => (A) { action = "b"; args = (x = 1); step',
            'flow f step a => (A) { action = "b"; args = (x = 1); flow_end',
            'flow f step a => (A) { action = "b"; args = (x = 1); action',
        ),
    ),
)


@cache
def _labels() -> tuple[dict[tuple[int, str], tuple[str, str]], dict[int, tuple[str, str]]]:
    """(state, lookahead) -> label and state -> label, learned from the examples."""
    from echoer_tui.fsl.parser import first_error

    exact: dict[tuple[int, str], tuple[str, str]] = {}
    by_state: dict[int, tuple[str, str]] = {}
    for message, hint, examples in _LABELS:
        for example in examples:
            failure = first_error(tokenize(example))
            if failure is None:
                continue
            exact.setdefault(failure, (message, hint))
            by_state.setdefault(failure[0], (message, hint))
    return exact, by_state


def describe_tokens(kinds: frozenset[str] | set[str]) -> str:
    """`';' or ')'`-style words for a set of terminals."""
    words = sorted(
        {
            "a name"
            if kind in ("IDENT", "STRING") and {"IDENT", "STRING"} <= kinds
            else _WORDS.get(kind, kind)
            for kind in kinds
        }
    )
    if not words:
        return "nothing more"
    if len(words) > 6:
        words = [*words[:6], "…"]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def describe_found(token: Token) -> str:
    """How the offending token reads in a message."""
    if token[0] == "$END":
        return "the end of the statement"
    value = token[1]
    if len(value) > 24:
        value = value[:21] + "…"
    return f"'{value}'"


_STATEMENT_ENDS: Final = {"ACTION": "action_end", "FLOW": "flow_end", "FLOW_RUN": "flow_run_end"}
_STATEMENT_END_KINDS: Final = frozenset({"ACTION_END", "FLOW_END", "FLOW_RUN_END"})
_CLOSERS: Final = frozenset({"SEMI", "RPAR", "RBRACE"})
"""Where one of these is missing, the caret goes right after what it should follow."""


def _wrong_end(kind: str, tokens: Sequence[Token]) -> bool:
    """True for `flow_run_end` closing a `flow` and the like."""
    if kind not in _STATEMENT_END_KINDS or not tokens or tokens[0][0] not in _STATEMENT_ENDS:
        return False
    return kind != _STATEMENT_ENDS[tokens[0][0]].upper()


def describe_error(
    state: int,
    token: Token,
    previous: Token | None,
    positions: Positions,
    text: str,
    tokens: Sequence[Token],
) -> Diagnostic:
    """The diagnostic for `token` arriving in parser `state`."""
    from echoer_tui.fsl.parser import expected_tokens

    expected = expected_tokens(state)
    kind = token[0]
    found = describe_found(token)
    span = positions.span(token[2], token[3])
    # A missing terminator is best shown right after what it should follow.
    if previous is not None and (
        kind == "$END"
        or (
            not expected.isdisjoint(_CLOSERS)
            and not _wrong_end(kind, tokens)
            and positions.line_column(token[2])[0] > positions.line_column(previous[3])[0]
        )
    ):
        span = positions.span(previous[3], previous[3])

    if kind == "BAD_STRING":
        return Diagnostic(
            positions.span(token[2], token[3]),
            "unterminated string: it is not closed on this line",
            f"end it with {token[1][0]} on the same line; strings cannot span lines",
        )
    if kind == "BAD_CHAR":
        return Diagnostic(
            span,
            f"unexpected character {found}",
            f"expected {describe_tokens(expected)} here",
        )
    exact, by_state = _labels()
    label = exact.get((state, kind))
    if label is None and kind != "NAME" and "NAME" in expected and kind not in expected:
        word = token[1].lower()
        if word in KEYWORDS or word in SOFT_KEYWORDS:
            return Diagnostic(
                span,
                f"'{token[1]}' is a keyword and cannot be used as a name here",
                f'quote it to use it as a name: "{token[1]}"',
            )
    if kind == "$END" and tokens:
        closing = _STATEMENT_ENDS.get(tokens[0][0])
        if closing is not None and closing.upper() in expected:
            name = tokens[1][1] if len(tokens) > 1 else ""
            return Diagnostic(
                span,
                f"{tokens[0][1].lower()} {name} is not closed: expected {closing}".replace(
                    "  ", " "
                ),
                f"end the statement with {closing}",
            )
    label = label or by_state.get(state)
    if label is not None:
        message, hint = label
        if kind != "$END":
            hint = f"found {found}; {hint}"
        return Diagnostic(span, message, hint)
    if kind in _STATEMENT_END_KINDS and tokens and tokens[0][0] in _STATEMENT_ENDS:
        opener = tokens[0][1].lower()
        name = tokens[1][1] if len(tokens) > 1 else ""
        closing = _STATEMENT_ENDS[tokens[0][0]]
        if kind != closing.upper():
            return Diagnostic(
                span,
                f"{opener} {name} cannot end with {token[1]}: a {opener} ends with {closing}",
                f"write {closing} here",
            )
        return Diagnostic(
            span,
            f"{opener} {name} is not complete before {token[1]}",
            f"expected {describe_tokens(expected)}",
        )
    return Diagnostic(span, f"expected {describe_tokens(expected)}, found {found}")
