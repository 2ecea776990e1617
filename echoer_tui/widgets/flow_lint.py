"""Lint findings of a flow as it is being written, for the editor's graph preview.

The translation checks say what the store would refuse; these say what would run
badly: a state the step's action may answer that no edge handles (the run would end
in it), a step no path from the first step reaches, a step from which no path leads
to `done`. They work on the parsed statement, before anything is submitted, and give
per step a short note the graph prints in the step's box.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from echoer_tui.fsl.ast import DONE, FlowDecl, FlowRunDecl, StepDecl
from echoer_tui.model.export import Graph, GraphStep


@dataclass(frozen=True, slots=True)
class StepFinding:
    """What is wrong with one step; `severity` picks its colour on the graph."""

    step: str
    severity: str
    """`error` (the run cannot finish well from here) or `warning`."""
    note: str


def graph_of(decl: FlowDecl | FlowRunDecl) -> Graph:
    """The parsed statement as the graph the run graph draws (same layout, same widget)."""
    kind = "flow" if decl.kind == "flow" else "flowrun"
    return Graph(
        kind,
        decl.name,
        tuple(
            GraphStep(s.name, s.kind, s.action, tuple((e.state, e.target) for e in s.edges))
            for s in decl.steps
        ),
    )


def _successors(step: StepDecl) -> set[str]:
    # A step declared with `()` returns is done whatever its action answers.
    return {e.target for e in step.edges} if step.edges else {DONE}


def _reach(start: Sequence[str], links: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(links.get(name, ()))
    return seen


def lint_flow(
    decl: FlowDecl | FlowRunDecl, return_states: Mapping[str, Sequence[str]]
) -> tuple[StepFinding, ...]:
    """Findings for the steps of `decl`, in step order; `return_states` maps the action
    names known (in the document or the store) to the states they declare."""
    if not decl.steps:
        return ()
    forward = {s.name: _successors(s) for s in decl.steps}
    backward: dict[str, set[str]] = {}
    for source, targets in forward.items():
        for target in targets:
            backward.setdefault(target, set()).add(source)
    reached = _reach([decl.steps[0].name], forward)
    to_done = _reach([DONE], backward)
    findings: list[StepFinding] = []
    for step in decl.steps:
        notes: list[str] = []
        severity = "warning"
        if step.name not in reached:
            notes.append("unreachable")
        if step.name not in to_done:
            notes.append("no path to done")
            severity = "error"
        states = return_states.get(step.action)
        if states is not None and step.edges:
            handled = {e.state for e in step.edges}
            missing = [s for s in states if s not in handled]
            if missing:
                notes.append("unhandled " + "|".join(missing))
        if notes:
            findings.append(StepFinding(step.name, severity, ", ".join(notes)))
    return tuple(findings)
