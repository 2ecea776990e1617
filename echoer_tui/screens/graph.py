"""The flow-run graph: the run's steps drawn as a graph, live, with run operations.

Pick a run on the left; its steps are boxes (deci steps double-lined), edges are
labelled with the states that follow them. The current step, the steps done, the
ones that failed or timed out and the path taken are coloured as the run moves.
The side panel lists the selected step's attempts. Keys pause, continue, stop,
re-run from the selected step, set or clear a breakpoint on it, ack the waiting step
by hand and export the graph. `h` replays the run's history (`[` and `]` move one
transition, `h` or Esc go back to live); the side panel's title names the keys then.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from echoer_tui.engine.transitions import StepDef, declared_states
from echoer_tui.errors import EchoerError
from echoer_tui.messages import EventsFiltered, StoreChanged
from echoer_tui.model.export import Graph, export
from echoer_tui.model.resources import DONE, FINISHED_STATES, SUSPEND, TIMEOUT
from echoer_tui.screens.modals import AckModal, ConfirmModal, PathModal, TextModal
from echoer_tui.screens.replay import ReplayFrame, replay_frame, replay_text, transitions
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.flow_graph import FlowGraph, StepView
from echoer_tui.widgets.footer import WorkbenchFooter
from echoer_tui.widgets.screen_tabs import ScreenTabs


def is_failure(state: str) -> bool:
    return state == TIMEOUT or "FAIL" in state.upper()


def step_views(
    run: dict[str, Any], attempts: list[dict[str, Any]]
) -> tuple[dict[str, StepView], frozenset[tuple[str, str]]]:
    """Per step: status, attempt count, last answer; and the edges the run has followed."""
    spec = run.get("spec") or {}
    current = str(spec.get("current_state", ""))
    counts: dict[str, int] = {}
    last: dict[str, str] = {}
    taken: set[tuple[str, str]] = set()
    previous: tuple[str, str] | None = None
    for attempt in attempts:
        a_spec = attempt.get("spec") or {}
        name = str(a_spec.get("step_name", ""))
        state = str((a_spec.get("response") or {}).get("state", ""))
        counts[name] = counts.get(name, 0) + 1
        last[name] = state
        if previous is not None:
            taken.add((previous[0], name))
        previous = (name, state)
    if previous is not None and current == DONE:
        taken.add((previous[0], DONE))
    stopped = current in FINISHED_STATES - {DONE}
    views: dict[str, StepView] = {}
    for name, count in counts.items():
        state = last[name]
        if name == current or (not state and not stopped):
            status = "current"
        elif is_failure(state) or (not state and stopped):
            status = "failed"
        else:
            status = "done"
        views[name] = StepView(status, count, state)
    if current == DONE:
        views[DONE] = StepView("done")
    return views, frozenset(taken)


def with_retries(views: dict[str, StepView], attempts: list[dict[str, Any]]) -> dict[str, StepView]:
    """`views` with the steps whose attempt waits in the delay queue for a dispatch
    retry marked `retrying`, with their retry count and when the next try is due.

    Each attempt records its own `next_try_time`, so a run opened at any moment (or
    from another process, through the API) shows its pending retries."""
    out = dict(views)
    for attempt in attempts:
        spec = attempt.get("spec") or {}
        due = float(spec.get("next_try_time") or 0.0)
        if not due or (spec.get("response") or {}).get("state") or spec.get("finished_time"):
            continue  # none waiting, or answered meanwhile
        step = str(spec.get("step_name", ""))
        view = out.get(step, StepView())
        if view.next_try is not None and view.next_try <= due:
            continue
        retries = int(spec.get("retry_count", 0))
        out[step] = replace(view, status="retrying", retries=retries, next_try=due)
    return out


def with_holds(views: dict[str, StepView], run: dict[str, Any]) -> dict[str, StepView]:
    """`views` with each breakpoint marked, and, while the run is paused (by `p` or at
    a breakpoint), the step it waits on shown as held rather than running."""
    spec = run.get("spec") or {}
    out = dict(views)
    for step in spec.get("breakpoints") or ():
        out[step] = replace(out.get(step, StepView()), breakpoint=True)
    if spec.get("current_state") == SUSPEND:
        for step, view in out.items():
            if view.status == "current":
                out[step] = replace(view, status="held")
    return out


def _clock(seconds: Any) -> str:
    return time.strftime("%H:%M:%S", time.localtime(float(seconds))) if seconds else "—"


def attempts_text(step: str, attempts: list[dict[str, Any]], *, held: bool = False) -> Text:
    """The selected step's attempts: args sent, answer, data, retries, times; `held` says
    the step has a breakpoint (the run holds before each entry of it)."""
    text = Text()
    text.append(f"step {step}\n", style="bold")
    if held:
        text.append("● breakpoint: the run holds before this step (b clears it)\n", style="red")
    mine = [a for a in attempts if (a.get("spec") or {}).get("step_name") == step]
    if not mine:
        text.append("no attempt yet\n", style="dim")
    for index, attempt in enumerate(mine, 1):
        spec = attempt.get("spec") or {}
        run = spec.get("action_run") or {}
        state = str((spec.get("response") or {}).get("state", "")) or "waiting"
        style = "red" if is_failure(state) else ("yellow" if state == "waiting" else "green")
        text.append(f"\n#{index} ", style="bold")
        text.append(state, style=style)
        text.append(f"  retries {spec.get('retry_count', 0)}\n")
        if spec.get("next_try_time"):
            text.append(f"  next try {_clock(spec['next_try_time'])}\n", style="magenta")
        text.append(f"  sent     {_clock(spec.get('dispatched_time'))}\n")
        text.append(f"  acked    {_clock(spec.get('acked_time'))}\n")
        text.append(f"  args     {json.dumps(run.get('action_params') or {})}\n")
        if spec.get("data"):
            text.append(f"  data     {spec['data']}\n")
        if spec.get("last_err"):
            text.append(f"  error    {spec['last_err']}\n", style="red")
    return text


NARROW = 100
"""Screen width under which the runs list gives its room to the graph."""
EXPORT = Binding.Group("Export")
"""x and m share one footer hint."""


class GraphScreen(Screen[None]):
    """A run's graph, its attempts, and the operations on it."""

    BINDINGS = [
        Binding("p", "pause", "Pause"),
        Binding("c", "resume", "Continue"),
        Binding("s", "stop", "Stop"),
        Binding("r", "rerun", "Re-run"),
        Binding("a", "ack", "Ack"),
        Binding("b", "toggle_breakpoint", "Break"),
        Binding("x", "export('dot')", "DOT", group=EXPORT),
        Binding("m", "export('mermaid')", "Mermaid", group=EXPORT),
        Binding("e", "events", "Events"),
        # Hidden hints: the footer is full, the side panel names the keys in replay.
        Binding("h", "replay", "Replay", show=False),
        Binding("escape", "leave_replay", "Live", show=False),
        Binding("left_square_bracket", "replay_step(-1)", "Earlier", show=False),
        Binding("right_square_bracket", "replay_step(1)", "Later", show=False),
    ]

    def __init__(self, workbench: Workbench, run: str | None = None) -> None:
        super().__init__(id="graph-screen")
        self.workbench = workbench
        self.run_name = run or ""
        self.run: dict[str, Any] | None = None
        self.attempts: list[dict[str, Any]] = []
        self._generation = 0
        self.replay_index = 0
        """The transition replayed (1-based); 0 is the live run."""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(id="runs")
            with Vertical(id="graph-pane"):
                yield Static("", id="run-status")
                yield FlowGraph(id="graph")
            with VerticalScroll(id="attempts-pane"):
                yield Static("", id="attempts")
        yield ScreenTabs("graph")
        yield WorkbenchFooter()

    def on_screen_resume(self) -> None:
        # Coming back from another screen or a modal: keys go to the main widget.
        if self.focused is None:
            self.query_one("#graph").focus()

    def on_mount(self) -> None:
        self.query_one("#runs", OptionList).border_title = "Runs"
        self.query_one("#attempts-pane").border_title = "Attempts"
        self.query_one("#graph").focus()
        self.set_interval(1.0, self._count_down)
        self.load_runs()
        if self.run_name:
            self.load_run()

    def on_resize(self, event: events.Resize) -> None:
        # Below NARROW columns the graph needs the runs list's room more: runs are also
        # a palette entry away (Ctrl+P) and in the resource browser.
        self.query_one("#runs").display = event.size.width >= NARROW

    def show_run(self, name: str) -> Worker[None]:
        """Show another run (from the browser, the palette or a reply); showing the run
        already shown keeps its selected step, so `r` still re-runs it."""
        if name != self.run_name:
            self.action_leave_replay()
            self.run_name = name
            self.query_one("#graph", FlowGraph).selected = ""
        return self.load_run()

    # Loading.
    @work(exclusive=True, group="runs", exit_on_error=False)
    async def load_runs(self) -> None:
        names = [r["metadata"]["name"] for r in await self.workbench.list("flowrun")]
        runs = self.query_one("#runs", OptionList)
        runs.clear_options()
        runs.add_options([Option(n, id=n) for n in names])
        if not self.run_name and names:
            self.run_name = names[-1]
            self.load_run()
        elif not self.run_name:
            self.query_one("#run-status", Static).update(
                Text("No flow run yet: write one in the editor (F2) and submit it.", style="dim")
            )

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load_run(self) -> None:
        self._generation += 1
        generation, name = self._generation, self.run_name
        if not name:
            return
        try:
            run = await self.workbench.get("flowrun", name)
            attempts = await self.workbench.attempts(name)
        except EchoerError as error:
            if generation == self._generation:
                self.run, self.attempts = None, []
                self.query_one("#graph", FlowGraph).clear()
                self.query_one("#run-status", Static).update(Text(error.message, style="red"))
                self.query_one("#attempts", Static).update("")
            return
        if generation != self._generation:
            return  # another run was chosen meanwhile
        self.run, self.attempts = run, attempts
        self._redraw()

    def _frame(self) -> ReplayFrame | None:
        if not self.replay_index or self.run is None or not self.attempts:
            return None
        return replay_frame(self.run, self.attempts, self.replay_index)

    def _redraw(self) -> None:
        if self.run is None:
            return
        frame = self._frame()
        run, attempts = (frame.run, frame.attempts) if frame else (self.run, self.attempts)
        graph_widget = self.query_one("#graph", FlowGraph)
        views, taken = step_views(run, attempts)
        paused = (run.get("spec") or {}).get("current_state") == SUSPEND
        if frame is None and not paused:  # retries are now, not then; a pause holds them
            views = with_retries(views, attempts)
        if frame is None:
            views = with_holds(views, run)
        graph = Graph.from_resource(run)
        graph_widget.show(graph, views, taken)
        layout = graph_widget.graph_layout
        if layout is not None and layout.order and graph_widget.selected not in layout.boxes:
            # Another run of the same definition keeps the old layout, and with it no
            # selection: select its current step (or its first), as a new layout does.
            current = graph.current if graph.current in layout.boxes else layout.order[0]
            graph_widget.selected = current
        spec = run.get("spec") or {}
        state = str(spec.get("current_state", ""))
        status = Text()
        status.append(f"{self.run_name}  ", style="bold")
        if frame is not None:
            status.append(f"replay {frame.index}/{frame.total}  ", style="reverse")
        status.append(state, style="green" if state == DONE else "yellow")
        status.append(f"   history: {' → '.join(spec.get('history_states') or ())}", style="dim")
        if spec.get("last_err"):
            status.append(f"\nlast error: {spec['last_err']}", style="red")
        self.query_one("#run-status", Static).update(status)
        self._show_attempts()

    def _show_attempts(self) -> None:
        frame = self._frame()
        if frame is not None:
            self.query_one("#attempts", Static).update(replay_text(frame))
            return
        step = self.query_one("#graph", FlowGraph).selected
        held = step in self._breakpoints()
        self.query_one("#attempts", Static).update(attempts_text(step, self.attempts, held=held))

    def _breakpoints(self) -> list[str]:
        spec = (self.run or {}).get("spec") or {}
        return list(spec.get("breakpoints") or ())

    @on(FlowGraph.StepSelected, "#graph")
    def _step_selected(self) -> None:
        self._show_attempts()

    @on(OptionList.OptionSelected, "#runs")
    def _run_picked(self, event: OptionList.OptionSelected) -> None:
        self.show_run(str(event.option.id))
        self.query_one("#graph").focus()

    # Live.
    def _count_down(self) -> None:
        """Each second: restyle (never re-lay out) the boxes of steps waiting to retry."""
        if self.run is not None and self.replay_index == 0 and self._retrying():
            self.query_one("#graph", FlowGraph).restyle()

    def _retrying(self) -> bool:
        return any((a.get("spec") or {}).get("next_try_time") for a in self.attempts)

    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        if message.reset:
            self.load_runs()
            self.load_run()
            return
        known = self._known_runs()
        reload_runs = ours = deleted = False
        for change in message.changes:
            if change.kind == "flowrun":
                reload_runs |= change.op == "delete" or change.name not in known
                if change.name == self.run_name:
                    ours, deleted = True, change.op == "delete"
            elif change.kind == "step" and not (change.op == "delete" and self.run is None):
                # (A deleted run's attempts may go in a later batch than the run: with
                # nothing shown there is nothing to reload.)
                spec = (change.resource or {}).get("spec") or {}
                ours |= spec.get("flow_id") == self.run_name
        if reload_runs:
            self.load_runs()
        if deleted:
            self._show_deleted()
        elif ours:
            self.load_run()

    def _show_deleted(self) -> None:
        """The run shown was deleted: nothing of it stays on screen (its attempts went
        with it), and no reload asks the store for what is gone."""
        self.workers.cancel_group(self, "load")
        self._generation += 1
        self.action_leave_replay()
        self.run, self.attempts = None, []
        self.query_one("#graph", FlowGraph).clear()
        self.query_one("#run-status", Static).update(
            Text(f"flow run {self.run_name} deleted", style="dim")
        )
        self.query_one("#attempts", Static).update(Text("deleted", style="dim"))

    def _known_runs(self) -> set[str]:
        runs = self.query_one("#runs", OptionList)
        return {str(runs.get_option_at_index(i).id) for i in range(runs.option_count)}

    # Replay.
    def action_replay(self) -> None:
        if self.replay_index:
            self.action_leave_replay()
        elif self.run is None or not self.attempts:
            self.notify("this run has no transition to replay yet", severity="warning")
        else:
            self._replay_at(transitions(self.run, self.attempts))

    def action_leave_replay(self) -> None:
        if self.replay_index:
            self.replay_index = 0
            self.query_one("#attempts-pane").border_title = "Attempts"
            self._redraw()

    def action_replay_step(self, delta: int) -> None:
        if self.replay_index:
            self._replay_at(self.replay_index + delta)

    def _replay_at(self, index: int) -> None:
        last = transitions(self.run, self.attempts) if self.run is not None else 0
        self.replay_index = min(max(index, 1), last)
        self.query_one("#attempts-pane").border_title = r"Replay: \[ earlier  ] later  h live"
        self._redraw()
        frame = self._frame()
        graph = self.query_one("#graph", FlowGraph)
        step = str(frame.run["spec"]["current_state"]) if frame is not None else ""
        layout = graph.graph_layout
        if layout is not None and step in layout.boxes:  # the step entered: look at it
            graph.selected = step

    # Operations on the run.
    def _selected_step(self) -> str:
        return self.query_one("#graph", FlowGraph).selected

    @work(group="op", exit_on_error=False)
    async def operate(self, op: str, *args: str) -> None:
        try:
            await getattr(self.workbench, op)(self.run_name, *args)
        except EchoerError as error:
            self.notify(error.message, severity="error")
            return
        self.notify(f"{op} {self.run_name} {' '.join(args)}".strip())

    def action_pause(self) -> None:
        if self.run_name:
            self.operate("pause")

    def action_resume(self) -> None:
        if self.run_name:
            self.operate("resume")

    def action_stop(self) -> None:
        if self.run_name:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.operate("stop")

            self.app.push_screen(
                ConfirmModal(f"Stop {self.run_name} for good?", confirm="Stop"), answered
            )

    def action_rerun(self) -> None:
        step = self._selected_step()
        if self.run_name and step and step != DONE:
            self.operate("rerun", step)

    def action_toggle_breakpoint(self) -> None:
        step = self._selected_step()
        if self.run_name and step and step != DONE:
            self.set_breakpoint(self.run_name, step, step not in self._breakpoints())

    @work(group="op", exit_on_error=False)
    async def set_breakpoint(self, run: str, step: str, on: bool) -> None:
        try:
            await self.workbench.set_breakpoint(run, step, on)
        except EchoerError as error:
            self.notify(error.message, severity="error")
            return
        self.notify(f"breakpoint {'set' if on else 'cleared'} before step {step} of {run}")

    def action_ack(self) -> None:
        if self.run is None:
            return
        spec = self.run.get("spec") or {}
        step = str(spec.get("current_state", ""))
        steps = {s["metadata"]["name"]: s for s in spec.get("steps") or ()}
        if step not in steps:
            step = self._selected_step()
        if step not in steps:
            self.notify("no step is waiting for an ack", severity="warning")
            return
        self.ask_ack(self.run_name, StepDef.from_resource(steps[step]))

    @work(exclusive=True, group="ack", exit_on_error=False)
    async def ask_ack(self, run: str, step: StepDef) -> None:
        """Offer the states the engine accepts for `step`: its action's declared return
        states (a step whose returns are `()` still acks with those), or the step's own
        map when the action is gone."""
        try:
            action = await self.workbench.get("action", step.action_name)
        except EchoerError:
            action = None  # deleted since: the engine falls back to the step's map too
        return_states = (action or {}).get("spec", {}).get("return_states")
        states = declared_states(return_states, step)
        if not states:
            self.notify(f"step {step.name} declares no states to ack with", severity="warning")
            return

        def picked(answer: tuple[str, str] | None) -> None:
            if answer:
                state, data = answer
                self.operate("ack", step.name, state, *([data] if data else []))

        self.app.push_screen(AckModal(run, step.name, states), picked)

    def action_export(self, fmt: str) -> None:
        if self.run is None:
            return
        text = export(self.run, fmt)
        suffix = "dot" if fmt == "dot" else "mmd"

        def chosen(path: str | None) -> None:
            if path == "-":
                self.app.push_screen(TextModal(f"{self.run_name} as {fmt}", text))
            elif path:
                self.write_export(Path(path), text)

        self.app.push_screen(
            PathModal(f"Export {fmt} to file (- to show it here)", f"{self.run_name}.{suffix}"),
            chosen,
        )

    @work(group="export", exit_on_error=False, thread=True)
    def write_export(self, path: Path, text: str) -> None:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            self.app.call_from_thread(
                self.notify, f"cannot write {path}: {error}", severity="error"
            )
            return
        self.app.call_from_thread(self.notify, f"wrote {path}")

    def action_events(self) -> None:
        self.post_message(EventsFiltered(self.run_name))
