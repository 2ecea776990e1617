"""Meaning checks that need nothing but the statement itself (no store).

A statement can parse and still be wrong: two steps with one name, an edge to a step
that is not there, `Done` where `done` was meant. These checks run on the syntax tree
of every statement that parsed; the checks that need other resources (does the action
exist, does it declare this arg) belong to the translation into resources.
"""

from __future__ import annotations

import base64
import binascii
import difflib
from collections.abc import Callable, Iterable

from echoer_tui.fsl.ast import (
    DONE,
    ActionDecl,
    Diagnostic,
    FlowDecl,
    FlowRunDecl,
    Span,
    Statement,
    StepDecl,
)


def check_statement(statement: Statement) -> list[Diagnostic]:
    """Every problem in one parsed statement, in source order.

    Messages name things, never line numbers: a statement's diagnostics are cached
    with it and must stay true when the statement moves (incremental.py).
    """
    if isinstance(statement, ActionDecl):
        found = _check_action(statement)
    else:
        found = _check_flow(statement)
    found.sort(key=lambda diagnostic: diagnostic.span.start)
    return found


def _repeats(
    named: Iterable[tuple[str, Span]], message: Callable[[str], str], hint: str
) -> list[Diagnostic]:
    """An error at every later use of a name that was already used (the first one stands)."""
    found: list[Diagnostic] = []
    seen: set[str] = set()
    for name, span in named:
        if name in seen:
            found.append(Diagnostic(span, message(name), hint))
        seen.add(name)
    return found


def _check_action(action: ActionDecl) -> list[Diagnostic]:
    found = _repeats(
        ((param.name, param.span) for param in action.params),
        lambda name: f"param {name} is declared twice in action {action.name}",
        "give each argument its own name",
    )
    found += _repeats(
        ((state.name, state.span) for state in action.returns),
        lambda name: f"return state {name} is declared twice in action {action.name}",
        "list each return state once",
    )
    if not action.addrs:
        found.append(
            Diagnostic(
                action.name_span,
                f"action {action.name} has no addr, so the engine cannot call it",
                'add a line such as addr = "http://127.0.0.1:18080/ci";',
                "warning",
            )
        )
    if action.method == "https" and action.capem is None:
        found.append(
            Diagnostic(
                action.method_span,
                f"action {action.name} uses https without secret = (capem = …)",
                "the server's certificate must then be trusted by the system;"
                ' add secret = (capem = "<base64 PEM>"); to pin a CA',
                "warning",
            )
        )
    if action.capem is not None:
        if action.method != "https":
            found.append(
                Diagnostic(
                    action.capem_span,
                    f"the secret of action {action.name} is only used with method https",
                    "set method = https; or drop the secret line",
                    "warning",
                )
            )
        if not _is_base64(action.capem):
            found.append(
                Diagnostic(
                    action.capem_span,
                    "capem is not valid base64",
                    "capem holds the CA certificate (PEM) encoded as base64",
                    "warning",
                )
            )
    return found


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(value)


def _misspelt_done(target: str) -> bool:
    lowered = target.lower()
    return lowered == DONE or difflib.SequenceMatcher(None, lowered, DONE).ratio() >= 0.75


def _check_flow(flow: FlowDecl | FlowRunDecl) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    kind = flow.kind
    if not flow.steps:
        found.append(
            Diagnostic(
                flow.name_span,
                f"{kind} {flow.name} has no steps",
                "add a step: step A => (SUCCESS->done) { action = NAME; };",
                "warning",
            )
        )
    found += _repeats(
        ((step.name, step.name_span) for step in flow.steps),
        lambda name: f"step {name} is defined twice in {kind} {flow.name}",
        "rename one of them; step names are unique within a statement",
    )
    names = {step.name for step in flow.steps}
    for step in flow.steps:
        found.extend(_check_step(step, flow, names))
    return found


def _check_step(
    step: StepDecl, flow: FlowDecl | FlowRunDecl, step_names: set[str]
) -> list[Diagnostic]:
    found = _repeats(
        ((edge.state, edge.span) for edge in step.edges),
        lambda state: f"state {state} appears twice in the returns of step {step.name}",
        "each state leads to exactly one next step; keep one edge per state",
    )
    for edge in step.edges:
        if edge.target == DONE or edge.target in step_names:
            continue
        message = (
            f"step {step.name} goes to {edge.target} on {edge.state},"
            f" but {flow.kind} {flow.name} has no step {edge.target}"
        )
        if _misspelt_done(edge.target):
            hint = "did you mean done? (the end of the run is written in lower case)"
        else:
            close = difflib.get_close_matches(edge.target, sorted(step_names), n=1)
            hint = (
                f"did you mean {close[0]}?" if close else f"define step {edge.target} or go to done"
            )
        found.append(Diagnostic(edge.target_span, message, hint))
    found += _repeats(
        ((arg.name, arg.span) for arg in step.args),
        lambda name: f"arg {name} is given twice in step {step.name}",
        "give each argument once",
    )
    return found
