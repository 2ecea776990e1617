"""What the cursor is in, for completion: pure, shared by the shell and the editor.

The question "after `action =`, expect an action name" is answered by the same LALR
tables the parser uses: the tokens of the statement up to the cursor are fed through
them, and the state reached says what may come next. The shell's completer and the
editor's only turn the answer into candidates (action names come from the store, which
this module never sees).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from echoer_tui.fsl.lexer import KEYWORDS, SOFT_KEYWORDS, STATEMENT_ENDS, Token, tokenize
from echoer_tui.fsl.parser import END, SHIFT, expected_tokens, tables, unquote
from echoer_tui.fsl.split import statement_ranges

CompletionKind = Literal[
    "statement",
    "keyword",
    "action_name",
    "step_name",
    "state_name",
    "param_type",
    "method",
    "arg_name",
    "name",
    "value",
    "none",
]

_WORD_BEFORE: Final = re.compile(r"[A-Za-z0-9_]*\Z")
_SLASH_LINE: Final = re.compile(r"^[ \t]*/[ \t]*$", re.MULTILINE)
_KEYWORD_KINDS: Final = {kind: word for word, kind in {**KEYWORDS, **SOFT_KEYWORDS}.items()}


@dataclass(frozen=True, slots=True)
class CompletionContext:
    """What may be typed at the cursor, and what the current statement defines."""

    kind: CompletionKind
    prefix: str
    """The part of the word before the cursor (what candidates must start with)."""
    keywords: tuple[str, ...] = ()
    """Keywords valid here, lower case (for kind "keyword" and "statement")."""
    statement: str | None = None
    """"action", "flow" or "flow_run" when the cursor is inside one."""
    step_names: tuple[str, ...] = ()
    """Steps defined in the current statement, in order (for "step_name" add `done`)."""
    param_names: tuple[str, ...] = ()
    """Params declared in the current action statement."""
    state_names: tuple[str, ...] = ()
    """States already used in the current statement (edges or action returns)."""
    action: str | None = None
    """The action of the step the cursor is in (so "arg_name" can list its params)."""


def _state_after(tokens: list[Token]) -> int | None:
    """The parser state after `tokens`, or None when they do not parse."""
    grammar = tables()
    actions = grammar.actions
    rules = grammar.rules
    stack = [grammar.start]
    for token in tokens:
        kind = token[0]
        while True:
            action = actions[stack[-1]].get(kind)
            if action is None:
                return None
            if action[0] == SHIFT:
                stack.append(action[1])
                break
            size, origin, _ = rules[action[1]]
            if size:
                del stack[-size:]
            stack.append(actions[stack[-1]][origin][1])
    return stack[-1]


def _statement_facts(tokens: list[Token]) -> tuple[tuple[str, ...], ...]:
    steps: list[str] = []
    params: list[str] = []
    states: list[str] = []
    for index, token in enumerate(tokens[:-1]):
        following = tokens[index + 1]
        if token[0] in ("STEP", "DECI") and following[0] == "NAME":
            steps.append(unquote(following))
        elif token[0] in ("INT", "STR") and following[0] == "NAME":
            params.append(unquote(following))
        elif following[0] == "NAME" and (
            token[0] == "VBAR" or (token[0] == "LPAR" and _in_returns(tokens[: index + 1]))
        ):
            states.append(unquote(following))
    return (
        tuple(dict.fromkeys(steps)),
        tuple(dict.fromkeys(params)),
        tuple(dict.fromkeys(states)),
    )


def completion_context(text: str, offset: int) -> CompletionContext:
    """What the cursor at `offset` (0-based, clamped to the text) is in."""
    offset = max(0, min(offset, len(text)))
    word = _WORD_BEFORE.search(text, 0, offset)
    prefix = word.group() if word else ""
    word_start = offset - len(prefix)

    before: list[Token] = []
    whole: list[Token] = []
    for start, end in statement_ranges(text):
        if start > word_start:
            break
        tokens = tokenize(text, start, end)
        closed = bool(tokens) and tokens[-1][0] in STATEMENT_ENDS
        if word_start <= end or not (closed or _SLASH_LINE.search(text, end, word_start)):
            # inside the statement, or after one that is still open
            whole = tokens
            before = [token for token in tokens if token[3] <= word_start]
            if word_start > end:
                whole = tokenize(text, start, offset)
                before = [token for token in whole if token[3] <= word_start]
        else:
            before = whole = []
    steps, params, states = _statement_facts([t for t in whole if t[2] != word_start])
    statement = _KEYWORD_KINDS.get(whole[0][0]) if whole else None
    if statement not in ("action", "flow", "flow_run"):
        statement = None

    def context(
        kind: CompletionKind, keywords: tuple[str, ...] = (), action: str | None = None
    ) -> CompletionContext:
        if statement == "flow":
            keywords = tuple(word for word in keywords if word != "flow_run_end")
        elif statement == "flow_run":
            keywords = tuple(word for word in keywords if word != "flow_end")
        return CompletionContext(kind, prefix, keywords, statement, steps, params, states, action)

    if not before:
        return context("statement", ("action", "flow", "flow_run"))
    state = _state_after(before)
    if state is None:
        return context("none")
    expected = expected_tokens(state)
    keywords = tuple(sorted(_KEYWORD_KINDS[kind] for kind in expected if kind in _KEYWORD_KINDS))
    last = before[-1][0]
    previous = before[-2][0] if len(before) > 1 else ""
    if "HTTP" in expected:
        return context("method", ("grpc", "http", "https"))
    if "INT" in expected:
        return context("param_type", ("int", "str"))
    if "ADDR" in expected:
        # where an action clause starts; retry and timeout are names to the grammar
        return context("keyword", tuple(sorted((*keywords, "retry", "timeout"))))
    if "NAME" in expected:
        if last == "DEST":
            return context("step_name")
        if last == "EQ" and previous == "ACTION":
            return context("action_name")
        if last in ("LPAR", "VBAR") and _in_returns(before):
            return context("state_name")
        if _in_step_args(before):
            if last == "EQ":
                return context("value", action=_step_action(before))
            return context("arg_name", action=_step_action(before))
        return context("name", keywords)
    if "NUMBER" in expected:
        return context("value")
    if keywords:
        if expected <= {"ACTION", "FLOW", "FLOW_RUN", END}:
            return context("statement", keywords)
        return context("keyword", keywords)
    return context("none")


def _in_returns(tokens: list[Token]) -> bool:
    """True when the innermost open `(` belongs to returns (`=> (` or `return = (`)."""
    for index in range(len(tokens) - 1, -1, -1):
        kind = tokens[index][0]
        if kind == "RPAR":
            return False
        if kind == "LPAR":
            before = tokens[index - 1][0] if index else ""
            return before == "TO" or (
                before == "EQ" and index > 1 and tokens[index - 2][0] == "RETURN"
            )
    return False


def _in_step_args(tokens: list[Token]) -> bool:
    for index in range(len(tokens) - 1, -1, -1):
        kind = tokens[index][0]
        if kind in ("RPAR", "LBRACE", "SEMI"):
            return False
        if kind == "LPAR":
            return index > 1 and tokens[index - 2][0] == "ARGS" and _inside_braces(tokens, index)
    return False


def _inside_braces(tokens: list[Token], index: int) -> bool:
    depth = 0
    for token in tokens[:index]:
        if token[0] == "LBRACE":
            depth += 1
        elif token[0] == "RBRACE":
            depth = max(0, depth - 1)
    return depth > 0


def _step_action(tokens: list[Token]) -> str | None:
    for index in range(len(tokens) - 1, 1, -1):
        if (
            tokens[index][0] == "NAME"
            and tokens[index - 1][0] == "EQ"
            and tokens[index - 2][0] == "ACTION"
        ):
            return unquote(tokens[index])
        if tokens[index][0] == "LBRACE":
            break
    return None
