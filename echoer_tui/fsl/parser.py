"""Parse one FSL statement into `ast` dataclasses, with panic-mode error recovery.

Lark compiles `fsl.lark` into LALR(1) tables once; this module then drives those tables
itself over the plain-tuple tokens of `lexer.py`. Owning the loop is what makes the
parser fast and forgiving at once: no lark tree or `Token` is ever built (every
reduction calls one small callback that makes the final dataclass), and after a syntax
error the loop drops back to the nearest construct that can continue (a step, an
action clause) so that one pass reports every error, not just the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any, Final

from lark import Lark

from echoer_tui.fsl.ast import (
    DONE,
    ActionDecl,
    ArgValue,
    Diagnostic,
    Edge,
    FlowDecl,
    FlowRunDecl,
    Method,
    ParamDecl,
    ParamType,
    Span,
    StateDecl,
    Statement,
    StepDecl,
    StepKind,
)
from echoer_tui.fsl.lexer import Token, iter_tokens, tokenize
from echoer_tui.fsl.messages import describe_error
from echoer_tui.fsl.positions import Positions, fast_constructor
from echoer_tui.heap import gc_paused

SHIFT: Final = 0
REDUCE: Final = 1

END: Final = "$END"

SYNC_TOKENS: Final = frozenset(
    {
        "STEP",
        "DECI",
        "FLOW_END",
        "FLOW_RUN_END",
        "ACTION_END",
        "ADDR",
        "METHOD",
        "SECRET",
        "ARGS",
        "RETURN",
    }
)
"""Tokens that start a construct the parser can resume at after a syntax error."""

MAX_NUMBER_DIGITS: Final = 18
"""Longer numbers are refused (Python refuses to convert >4300 digits anyway)."""


@dataclass(frozen=True, slots=True)
class Tables:
    """The LALR(1) tables of fsl.lark in the shape the driver loop wants."""

    actions: dict[int, dict[str, tuple[int, int]]]
    """state -> lookahead -> (SHIFT, next state) or (REDUCE, rule index)."""
    rules: tuple[tuple[int, str, str], ...]
    """rule index -> (number of children, rule name for the goto, callback name)."""
    start: int
    end: int
    codes: tuple[dict[str, int], ...]
    """The driver's encoding of `actions`, by state: n >= 0 shifts to state n, n < 0
    reduces by rule ~n (no tuple to unpack in the hot loop)."""
    reductions: tuple[tuple[int, dict[int, int], Any], ...]
    """rule index -> (number of children, state -> state after the goto, callback or
    None for a one-child pass-through rule)."""


@cache
def tables() -> Tables:
    """Compile fsl.lark once per process (about 80 ms) and keep its tables."""
    grammar = Lark.open(
        "fsl.lark", rel_to=__file__, parser="lalr", start="statement", propagate_positions=True
    )
    table = grammar.parser.parser.parser.parse_table
    rule_index: dict[Any, int] = {}
    rules: list[tuple[int, str, str]] = []
    actions: dict[int, dict[str, tuple[int, int]]] = {}
    for state, row in table.states.items():
        converted: dict[str, tuple[int, int]] = {}
        for symbol, (action, arg) in row.items():
            if action.name == "Shift":
                converted[str(symbol)] = (SHIFT, arg)
                continue
            if arg not in rule_index:
                rule_index[arg] = len(rules)
                # plain str keys: lark's Token compares in Python, ten times slower
                origin = str(arg.origin.name)
                rules.append((len(arg.expansion), origin, str(arg.alias or origin)))
            converted[str(symbol)] = (REDUCE, rule_index[arg])
        actions[state] = converted
    codes = tuple(
        {
            symbol: (target if kind == SHIFT else ~target)
            for symbol, (kind, target) in actions.get(state, {}).items()
        }
        for state in range(max(actions) + 1)
    )
    reductions = tuple(
        (
            size,
            {
                state: row[origin][1]
                for state, row in actions.items()
                if origin in row and row[origin][0] == SHIFT
            },
            None if callback in _PASS_THROUGH else getattr(_Builder, callback),
        )
        for size, origin, callback in rules
    )
    return Tables(
        actions,
        tuple(rules),
        table.start_states["statement"],
        table.end_states["statement"],
        codes,
        reductions,
    )


def expected_tokens(state: int) -> frozenset[str]:
    """The terminals the parser accepts in `state`."""
    return frozenset(symbol for symbol in tables().actions[state] if symbol.isupper())


def is_string(token: Token) -> bool:
    """True for a `"…"` or `` `…` `` NAME token (as opposed to an identifier)."""
    return token[1][0] in _QUOTES


def unquote(token: Token) -> str:
    """The text a NAME token stands for: quotes and backticks stripped."""
    value = token[1]
    return value[1:-1] if value[0] in _QUOTES else value


_QUOTES: Final = frozenset('"`')

# The per-step values, built without the per-field object.__setattr__ of frozen
# dataclass __init__ (see positions.py).
_edge = fast_constructor(Edge)
_arg = fast_constructor(ArgValue)
_step = fast_constructor(StepDecl)


@dataclass(frozen=True, slots=True)
class StatementResult:
    """One statement's parse: the statement (None if it had syntax errors) and diagnostics."""

    statement: Statement | None
    diagnostics: tuple[Diagnostic, ...]


class _Builder:
    """Reduction callbacks for one statement: children in, final dataclasses out."""

    def __init__(self, positions: Positions) -> None:
        self.span = positions.span
        self.diagnostics: list[Diagnostic] = []
        self.broken = False
        """Set when a callback found a syntax error the grammar lets through."""

    def reject(self, token: Token, message: str, hint: str) -> None:
        """A syntax error found by a callback (e.g. an identifier where a string belongs)."""
        self.broken = True
        self.diagnostics.append(Diagnostic(self.span(token[2], token[3]), message, hint))

    def warn(self, span: Span, message: str, hint: str = "", severity: str = "error") -> None:
        self.diagnostics.append(
            Diagnostic(span, message, hint, "warning" if severity == "warning" else "error")
        )

    # -- shared pieces ------------------------------------------------------------
    def number(self, token: Token) -> int:
        if len(token[1]) > MAX_NUMBER_DIGITS:
            self.warn(
                self.span(token[2], token[3]),
                f"number too large ({len(token[1])} digits)",
                f"numbers have at most {MAX_NUMBER_DIGITS} digits",
            )
            return 0
        return int(token[1])

    def edge_bare(self, c: list[Any]) -> Edge:
        state = c[0]
        span = self.span(state[2], state[3])
        return _edge(unquote(state), DONE, span, span)

    def edge_to(self, c: list[Any]) -> Edge:
        state, target = c[0], c[2]
        span = self.span
        return _edge(
            unquote(state),
            unquote(target),
            span(state[2], target[3]),
            span(target[2], target[3]),
        )

    def edges_one(self, c: list[Any]) -> list[Edge]:
        return [c[0]]

    def edges_more(self, c: list[Any]) -> list[Edge]:
        edges: list[Edge] = c[0]
        edges.append(c[2])
        return edges

    def returns_empty(self, c: list[Any]) -> list[Edge]:
        return []

    def returns_some(self, c: list[Any]) -> list[Edge]:
        edges: list[Edge] = c[1]
        return edges

    # -- flows and flow runs ----------------------------------------------------------
    def args_empty(self, c: list[Any]) -> list[ArgValue]:
        return []

    def args_more(self, c: list[Any]) -> list[ArgValue]:
        args: list[ArgValue] = c[0]
        name, value = c[1], c[3]
        parsed: str | int
        if value[0] == "NUMBER":
            parsed = self.number(value)
        elif value[1][0] in _QUOTES:
            parsed = value[1][1:-1]
        else:
            parsed = value[1]
            self.reject(
                value,
                f"expected a value after '{name[1]} =': a \"string\", a `string` or a number",
                f'found the name {value[1]}; quote it: "{value[1]}"',
            )
        args.append(_arg(unquote(name), parsed, self.span(name[2], value[3])))
        return args

    def body_action(self, c: list[Any]) -> tuple[Token, list[ArgValue]]:
        return c[2], []

    def body_args(self, c: list[Any]) -> tuple[Token, list[ArgValue]]:
        return c[2], c[7]

    def step_semi(self, c: list[Any]) -> StepDecl:
        return self._step(c, c[7][3])

    def step_bare(self, c: list[Any]) -> StepDecl:
        return self._step(c, c[6][3])

    def _step(self, c: list[Any], end: int) -> StepDecl:
        kind_token, name, edges, (action, args) = c[0], c[1], c[3], c[5]
        span = self.span
        kind: StepKind = "deci" if kind_token[0] == "DECI" else "step"
        return _step(
            unquote(name),
            kind,
            tuple(edges),
            unquote(action),
            tuple(args),
            span(kind_token[2], end),
            span(name[2], name[3]),
            span(action[2], action[3]),
        )

    def steps_empty(self, c: list[Any]) -> list[StepDecl]:
        return []

    def steps_more(self, c: list[Any]) -> list[StepDecl]:
        steps: list[StepDecl] = c[0]
        steps.append(c[1])
        return steps

    def flow_stmt(self, c: list[Any]) -> FlowDecl:
        keyword, name, steps, end = c
        return FlowDecl(
            unquote(name),
            tuple(steps),
            self.span(keyword[2], end[3]),
            self.span(name[2], name[3]),
        )

    def flow_run_stmt(self, c: list[Any]) -> FlowRunDecl:
        keyword, name, steps, end = c
        return FlowRunDecl(
            unquote(name),
            tuple(steps),
            self.span(keyword[2], end[3]),
            self.span(name[2], name[3]),
        )

    # -- actions ----------------------------------------------------------------
    def clauses_empty(self, c: list[Any]) -> list[tuple[Any, ...]]:
        return []

    def clauses_more(self, c: list[Any]) -> list[tuple[Any, ...]]:
        clauses: list[tuple[Any, ...]] = c[0]
        clauses.append(c[1])
        return clauses

    def addr_clause(self, c: list[Any]) -> tuple[Any, ...]:
        if not is_string(c[2]):
            self.reject(
                c[2],
                "expected a quoted address after 'addr ='",
                f'write the address as a string: addr = "http://{c[2][1]}:8080/path";',
            )
        return ("addr", c[0], c[2])

    def method_clause(self, c: list[Any]) -> tuple[Any, ...]:
        return ("method", c[0], c[2])

    def secret_empty(self, c: list[Any]) -> tuple[Any, ...]:
        return ("secret", c[0], None)

    def secret_clause(self, c: list[Any]) -> tuple[Any, ...]:
        return ("secret", c[0], c[5])

    def params_clause(self, c: list[Any]) -> tuple[Any, ...]:
        return ("args", c[0], c[3])

    def return_clause(self, c: list[Any]) -> tuple[Any, ...]:
        return ("return", c[0], c[2])

    def number_clause(self, c: list[Any]) -> tuple[Any, ...]:
        word = c[0][1].lower()
        if word not in ("retry", "timeout") or c[0][1][0] in _QUOTES:
            self.reject(
                c[0],
                f"unknown action clause '{c[0][1]}'",
                "an action holds addr, method, secret, args, return, retry and timeout lines",
            )
        return (word, c[0], c[2])

    def params_empty(self, c: list[Any]) -> list[ParamDecl]:
        return []

    def params_more(self, c: list[Any]) -> list[ParamDecl]:
        params: list[ParamDecl] = c[0]
        type_token, name = c[1], c[2]
        param_type: ParamType = "int" if type_token[0] == "INT" else "str"
        params.append(ParamDecl(unquote(name), param_type, self.span(type_token[2], name[3])))
        return params

    def action_stmt(self, c: list[Any]) -> ActionDecl:
        keyword, name, clauses, end = c
        span = self.span
        seen: dict[str, Token] = {}
        addrs: tuple[str, ...] = ()
        method: Method = "http"
        params: tuple[ParamDecl, ...] = ()
        returns: tuple[StateDecl, ...] = ()
        capem: str | None = None
        retry: int | None = None
        timeout: int | None = None
        addr_span = method_span = capem_span = span(name[2], name[3])
        retry_span = timeout_span = addr_span
        for clause, clause_keyword, payload in clauses:
            if clause in seen:
                self.warn(
                    span(clause_keyword[2], clause_keyword[3]),
                    f"{clause} is given twice in action {unquote(name)}",
                    f"keep one {clause} line",
                )
            seen[clause] = clause_keyword
            if clause == "addr":
                addrs = tuple(part.strip() for part in unquote(payload).split(",") if part.strip())
                addr_span = span(payload[2], payload[3])
            elif clause == "method":
                method = payload[0].lower()
                method_span = span(payload[2], payload[3])
            elif clause == "secret":
                if payload is not None:
                    capem = unquote(payload)
                    capem_span = span(payload[2], payload[3])
            elif clause == "args":
                params = tuple(payload)
            elif clause == "return":
                returns = tuple(self._state(edge) for edge in payload)
            elif clause == "retry":
                retry = self.number(payload)
                retry_span = span(payload[2], payload[3])
            elif clause == "timeout":
                timeout = self.number(payload)
                timeout_span = span(payload[2], payload[3])
        if "return" not in seen:
            self.warn(
                span(end[2], end[3]),
                f"action {unquote(name)} declares no return states",
                "add a line such as `return = (SUCCESS | FAIL);` before action_end",
            )
        return ActionDecl(
            unquote(name),
            addrs,
            method,
            params,
            returns,
            span(keyword[2], end[3]),
            span(name[2], name[3]),
            capem=capem,
            retry=retry,
            timeout=timeout,
            addr_span=addr_span,
            method_span=method_span,
            capem_span=capem_span,
            retry_span=retry_span,
            timeout_span=timeout_span,
        )

    def _state(self, edge: Edge) -> StateDecl:
        if edge.target_span != edge.span:
            self.warn(
                edge.span,
                f"an action's return state takes no target (-> {edge.target})",
                f"write just {edge.state}; targets belong to the steps of a flow",
                "warning",
            )
        return StateDecl(edge.state, edge.span)


_PASS_THROUGH: Final = frozenset({"method_value", "param_type", "statement"})


def parse_source(text: str, start: int, end: int, positions: Positions) -> StatementResult:
    """Parse the statement at text[start:end].

    Most statements are valid, so the tokens are first streamed straight from the
    lexer into the parser: no token list, whose memory alone costs more at 10,000
    steps than creating its tuples. Only when that fails is the statement tokenized
    into a list and parsed again with error recovery, which needs to look around.
    """
    with gc_paused():
        grammar = tables()
        builder = _Builder(positions)
        state_stack = [grammar.start]
        value_stack: list[Any] = []
        refused = _run(grammar, builder, iter_tokens(text, start, end), state_stack, value_stack)
        if (
            refused is None
            and _finish(grammar, builder, state_stack, value_stack)
            and not builder.broken
        ):
            diagnostics = tuple(sorted(builder.diagnostics, key=_by_position))
            return StatementResult(value_stack[-1], diagnostics)
        return _drive(tokenize(text, start, end), positions, text)


def _run(
    grammar: Tables,
    builder: _Builder,
    tokens: Iterable[Token],
    state_stack: list[int],
    value_stack: list[Any],
) -> Token | None:
    """Feed `tokens` to the parser; the token it cannot take, or None when it took all.

    On a refusal the stacks are left as they were at that token, for error recovery.
    """
    codes = grammar.codes
    reductions = grammar.reductions
    push_state = state_stack.append
    push_value = value_stack.append
    state = state_stack[-1]
    for token in tokens:
        kind = token[0]
        while True:
            code = codes[state].get(kind)
            if code is None:
                return token
            if code >= 0:
                push_state(code)
                push_value(token)
                state = code
                break
            size, goto, callback = reductions[~code]
            if callback is None:  # one-child pass-through: only the state changes
                state = goto[state_stack[-2]]
                state_stack[-1] = state
                continue
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            push_value(callback(builder, children))
            state = goto[state_stack[-1]]
            push_state(state)
    return None


def _finish(
    grammar: Tables, builder: _Builder, state_stack: list[int], value_stack: list[Any]
) -> bool:
    """Feed the end of the statement: the last reductions, up to the whole statement."""
    codes = grammar.codes
    reductions = grammar.reductions
    state = state_stack[-1]
    while state != grammar.end:
        code = codes[state].get(END)
        if code is None or code >= 0:
            return False
        size, goto, callback = reductions[~code]
        if callback is None:
            state = goto[state_stack[-2]]
            state_stack[-1] = state
            continue
        children = value_stack[-size:] if size else []
        if size:
            del state_stack[-size:]
            del value_stack[-size:]
        value_stack.append(callback(builder, children))
        state = goto[state_stack[-1]]
        state_stack.append(state)
    return True


def _run_list(
    grammar: Tables,
    builder: _Builder,
    tokens: Sequence[Token],
    index: int,
    state_stack: list[int],
    value_stack: list[Any],
) -> int:
    """Feed tokens[index:] and the end; -1 when the statement is complete, else the
    index of the token the parser cannot take (len(tokens) for the end)."""
    refused = _run(grammar, builder, islice(tokens, index, None), state_stack, value_stack)
    if refused is not None:
        return tokens.index(refused, index)  # tokens are unique: each has its offset
    return -1 if _finish(grammar, builder, state_stack, value_stack) else len(tokens)


def _drive(tokens: Sequence[Token], positions: Positions, text: str) -> StatementResult:
    grammar = tables()
    actions = grammar.actions
    builder = _Builder(positions)
    syntax_errors: list[Diagnostic] = []
    last_end = tokens[-1][3] if tokens else 0
    end_token: Token = (END, "", last_end, last_end)
    state_stack = [grammar.start]
    value_stack: list[Any] = []
    count = len(tokens)
    index = 0
    resume_floor = -1
    last_error_index = -1
    while True:
        index = _run_list(grammar, builder, tokens, index, state_stack, value_stack)
        if index < 0:
            break
        token = tokens[index] if index < count else end_token
        if index != last_error_index:
            previous = tokens[index - 1] if index else None
            syntax_errors.append(
                describe_error(state_stack[-1], token, previous, positions, text, tokens)
            )
        last_error_index = index
        if index >= count or len(syntax_errors) >= 50:
            break
        # A keyword where a name belongs is skipped, not taken as the start of a clause.
        floor = index + 1 if "NAME" in actions[state_stack[-1]] else index
        index = _recover(tokens, index, max(floor, resume_floor), state_stack, actions)
        if index < 0:
            break
        del value_stack[len(state_stack) - 1 :]
        resume_floor = index + 1

    # after a syntax error the builder's findings are likely echoes of it: leave them out
    found = syntax_errors or builder.diagnostics
    diagnostics = tuple(sorted(found, key=_by_position))
    if syntax_errors or builder.broken or not value_stack:
        return StatementResult(None, diagnostics)
    statement = value_stack[-1]
    if not isinstance(statement, ActionDecl | FlowDecl | FlowRunDecl):
        return StatementResult(None, diagnostics)
    return StatementResult(statement, diagnostics)


def _recover(
    tokens: Sequence[Token],
    index: int,
    floor: int,
    state_stack: list[int],
    actions: dict[int, dict[str, tuple[int, int]]],
) -> int:
    """Skip to the next token some enclosing construct can continue with; pop to it.

    Returns the index to resume at, or -1 when nothing before the statement's end fits.
    `floor` makes every recovery advance past the previous one, so the loop ends.
    """
    for position in range(floor, len(tokens)):
        kind = tokens[position][0]
        if kind not in SYNC_TOKENS:
            continue
        for depth in range(len(state_stack) - 1, -1, -1):
            if kind in actions[state_stack[depth]]:
                del state_stack[depth + 1 :]
                return position
    return -1


def _by_position(diagnostic: Diagnostic) -> tuple[int, int]:
    return diagnostic.span.start, diagnostic.span.end


def first_error(tokens: Sequence[Token]) -> tuple[int, str] | None:
    """The (state, lookahead) at which `tokens` first fail to parse; None if they parse.

    Used to learn which parser state a labelled example of a mistake ends in.
    """
    grammar = tables()
    actions = grammar.actions
    rules = grammar.rules
    stack = [grammar.start]
    index = 0
    while True:
        kind = tokens[index][0] if index < len(tokens) else END
        action = actions[stack[-1]].get(kind)
        if action is None:
            return stack[-1], kind
        if action[0] == SHIFT:
            stack.append(action[1])
            index += 1
            continue
        size, origin, _ = rules[action[1]]
        if size:
            del stack[-size:]
        stack.append(actions[stack[-1]][origin][1])
        if kind == END and stack[-1] == grammar.end:
            return None
