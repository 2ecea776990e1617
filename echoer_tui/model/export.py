"""A flow or flow run drawn as a graph, in Graphviz DOT or Mermaid text.

People paste these into docs, tickets and chat; both formats come from one
`Graph` read off the resource so they always agree: steps are boxes, `deci`
steps diamonds, edges are labelled by the state that follows them, and `done`
is a terminal node. For a flow run the step it is on is highlighted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from echoer_tui.errors import EchoerError
from echoer_tui.model.resources import DONE

ExportFormat = Literal["dot", "mermaid"]
FORMATS: tuple[ExportFormat, ...] = ("dot", "mermaid")

ANY_STATE = "any"
"""Edge label of a step declared with `()` returns: done whatever the action answers."""


@dataclass(frozen=True, slots=True)
class GraphStep:
    name: str
    type: str
    action: str
    returns: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Graph:
    """What both formats draw: a named list of steps and the step being run (if any)."""

    kind: str
    name: str
    steps: tuple[GraphStep, ...]
    current: str = ""

    @classmethod
    def from_resource(cls, resource: Mapping[str, Any]) -> Graph:
        meta = resource["metadata"]
        kind = str(meta["kind"])
        spec = resource.get("spec") or {}
        steps: list[GraphStep] = []
        if kind == "flow":
            for s in spec.get("steps") or ():
                steps.append(
                    GraphStep(
                        str(s.get("name", "")),
                        str(s.get("type", "step")),
                        str(s.get("action_name", "")),
                        tuple((str(k), str(v)) for k, v in (s.get("returns") or {}).items()),
                    )
                )
            return cls(kind, str(meta["name"]), tuple(steps))
        if kind == "flowrun":
            for s in spec.get("steps") or ():
                step_spec = s.get("spec") or {}
                action_run = step_spec.get("action_run") or {}
                returns = action_run.get("return_state_map") or {}
                steps.append(
                    GraphStep(
                        str(s["metadata"]["name"]),
                        str(step_spec.get("type", "step")),
                        str(action_run.get("action_name", "")),
                        tuple((str(k), str(v)) for k, v in returns.items()),
                    )
                )
            return cls(kind, str(meta["name"]), tuple(steps), str(spec.get("current_state", "")))
        raise EchoerError(f"only a flow or a flow run can be exported, not a {kind}")

    def edges(self) -> list[tuple[str, str, str]]:
        """(from step, to step or done, label)."""
        out: list[tuple[str, str, str]] = []
        for step in self.steps:
            if not step.returns:
                out.append((step.name, DONE, ANY_STATE))
            out.extend((step.name, target, state) for state, target in step.returns)
        return out


def export(resource: Mapping[str, Any], fmt: str) -> str:
    """The resource as `dot` or `mermaid` text."""
    graph = Graph.from_resource(resource)
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "mermaid":
        return to_mermaid(graph)
    raise EchoerError(f"unknown export format {fmt!r}; expected dot or mermaid")


def to_dot(graph: Graph) -> str:
    ids = _ids(graph)
    lines = [
        f"digraph {_dot_quote(graph.name)} {{",
        "  rankdir=LR;",
        '  node [fontname="Helvetica"];',
    ]
    for step in graph.steps:
        shape = "diamond" if step.type == "deci" else "box"
        style = (
            ', style="rounded,filled", fillcolor="#ffe08a"'
            if step.name == graph.current
            else (', style="rounded"' if shape == "box" else "")
        )
        label = _dot_quote(f"{step.name}\n{step.action}")
        lines.append(f"  {ids[step.name]} [label={label}, shape={shape}{style}];")
    if any(target == DONE for _, target, _ in graph.edges()) or graph.current == DONE:
        fill = ', style=filled, fillcolor="#9be29b"' if graph.current == DONE else ""
        lines.append(f'  {ids[DONE]} [label="done", shape=doublecircle{fill}];')
    for source, target, label in graph.edges():
        lines.append(f"  {ids[source]} -> {ids[target]} [label={_dot_quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(graph: Graph) -> str:
    ids = _ids(graph)
    lines = ["flowchart TD"]
    for step in graph.steps:
        label = _mermaid_quote(f"{step.name}<br/>{step.action}")
        node = f"{{{label}}}" if step.type == "deci" else f"[{label}]"
        lines.append(f"  {ids[step.name]}{node}")
    if any(target == DONE for _, target, _ in graph.edges()) or graph.current == DONE:
        lines.append(f"  {ids[DONE]}((done))")
    for source, target, label in graph.edges():
        lines.append(f"  {ids[source]} -->|{_mermaid_quote(label)}| {ids[target]}")
    if graph.current in ids:
        lines.append("  classDef current fill:#ffe08a,stroke:#b8860b;")
        lines.append(f"  class {ids[graph.current]} current;")
    return "\n".join(lines) + "\n"


def _ids(graph: Graph) -> dict[str, str]:
    """Node ids that are valid in both formats whatever the step names are (`"a b"`, `end`)."""
    ids = {step.name: f"s{i}" for i, step in enumerate(graph.steps)}
    # An edge may name a step that does not exist (only in a hand-written resource).
    for _, target, _ in graph.edges():
        if target not in ids and target != DONE:
            ids[target] = f"s{len(ids)}"
    ids[DONE] = "done_"
    return ids


def _dot_quote(text: str) -> str:
    return json.dumps(text)


def _mermaid_quote(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'
