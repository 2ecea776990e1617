"""The editor's graph preview: the flow under the cursor drawn before it is submitted.

It is the run graph's widget (`FlowGraph`, same layout) fed a `Graph` made from the
parsed statement, with each lint finding (`flow_lint`) coloured on its step's box and
listed in full below the graph, since a box has room for a few words only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from echoer_tui.fsl.ast import FlowDecl, FlowRunDecl
from echoer_tui.widgets.flow_graph import FlowGraph, StepView
from echoer_tui.widgets.flow_lint import StepFinding, graph_of, lint_flow


class FlowPreview(Vertical):
    """A side panel: title, graph, findings."""

    DEFAULT_CSS = """
    FlowPreview {
        dock: right;
        width: 45%;
        border: round $secondary;
    }
    FlowPreview > #preview-graph {
        height: 1fr;
    }
    FlowPreview > #preview-findings {
        height: auto;
        max-height: 8;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.findings: tuple[StepFinding, ...] = ()
        self.shown = ""
        """`flow NAME` or `flow_run NAME` as drawn ("" when nothing is)."""

    def compose(self) -> ComposeResult:
        yield FlowGraph(id="preview-graph")
        yield Static("", id="preview-findings")

    def on_mount(self) -> None:
        self.border_title = "Graph preview"
        self.show_nothing()

    @property
    def graph(self) -> FlowGraph:
        return self.query_one("#preview-graph", FlowGraph)

    def show(
        self, decl: FlowDecl | FlowRunDecl, return_states: Mapping[str, Sequence[str]]
    ) -> None:
        """Draw `decl` with its findings (`return_states`: the actions known, by name)."""
        self.findings = lint_flow(decl, return_states)
        views = {f.step: StepView(f.severity, note=f.note) for f in self.findings}
        self.graph.show(graph_of(decl), views, frozenset())
        self.shown = f"{decl.kind} {decl.name}"
        self.border_title = f"Graph preview: {self.shown}"
        text = Text()
        for finding in self.findings:
            style = "red" if finding.severity == "error" else "yellow"
            text.append(f"{finding.step}: ", style="bold")
            text.append(f"{finding.note}\n", style=style)
        if not self.findings:
            text.append("no findings", style="green")
        self.query_one("#preview-findings", Static).update(text)

    def show_nothing(self) -> None:
        self.findings = ()
        self.shown = ""
        self.border_title = "Graph preview"
        self.graph.clear()
        self.query_one("#preview-findings", Static).update(
            Text("no flow or flow_run under the cursor", style="dim")
        )
