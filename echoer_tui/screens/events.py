"""The event log: what the engine did, live, optionally for one run only."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, RichLog

from echoer_tui.messages import StoreChanged
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.footer import WorkbenchFooter
from echoer_tui.widgets.screen_tabs import ScreenTabs

BACKLOG = 1000
"""Events shown when the log is (re)loaded; older ones stay in the store."""

_STYLES = {"error": "red", "warning": "yellow", "info": ""}


def event_line(event: dict[str, Any]) -> Text:
    spec = event.get("spec") or {}
    stamp = time.strftime("%H:%M:%S", time.localtime(float(spec.get("time") or 0)))
    text = Text(f"{stamp} ", style="dim")
    text.append(f"{spec.get('resource_name', '')} ", style="bold")
    if spec.get("step_name"):
        text.append(f"{spec['step_name']} ", style="cyan")
    text.append(str(spec.get("message", "")), style=_STYLES.get(str(spec.get("event_type")), ""))
    return text


def run_of(event: dict[str, Any]) -> str:
    spec = event.get("spec") or {}
    labels = (event.get("metadata") or {}).get("labels") or {}
    return str(labels.get("flowrun") or spec.get("resource_name") or "")


def shows(text: str, run: str, *, whole_name: bool) -> bool:
    """Whether the filter `text` shows an event of `run`: a run's whole name shows that
    run only; other text, every run whose name holds it (as the browser's filter)."""
    if not text:
        return True
    return run == text if whole_name else text.lower() in run.lower()


class EventsScreen(Screen[None]):
    """A live log of engine events, filterable by run name (any part of it)."""

    AUTO_FOCUS = "#event-log"
    """Keys go to the log on arrival, so `/` opens the filter instead of typing a slash."""
    BINDINGS = [
        Binding("slash", "filter", "Filter by run"),
        Binding("escape", "clear_filter", "All runs", show=False),
    ]

    def __init__(self, workbench: Workbench) -> None:
        super().__init__(id="events-screen")
        self.workbench = workbench
        self.run_filter = ""
        self._names_a_run = False
        """The filter is a run's whole name: only that run's events, not r10's for r1."""
        self._written: set[str] = set()
        """Names of the events in the log: a change the watch brings that the load
        already read (they can overlap) is not written twice."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="run name (empty: every run)", id="run-filter")
        yield RichLog(id="event-log", wrap=False, markup=False, max_lines=10_000)
        yield ScreenTabs("events")
        yield WorkbenchFooter()

    def on_screen_resume(self) -> None:
        # Coming back from another screen or a modal: keys go to the main widget.
        if self.focused is None:
            self.query_one("#event-log").focus()

    def on_mount(self) -> None:
        self.query_one("#event-log", RichLog).border_title = "Events"
        self.query_one("#run-filter", Input).value = self.run_filter
        self.load_events()

    def filter_run(self, run: str) -> None:
        self.run_filter = run
        self.query_one("#run-filter", Input).value = run
        self.load_events()

    def _shown(self, event: dict[str, Any]) -> bool:
        return shows(self.run_filter, run_of(event), whole_name=self._names_a_run)

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load_events(self) -> None:
        run = self.run_filter
        # One run's own events when the text names it; else every event whose run's
        # name holds the text (as the resource browser's filter matches names).
        events = [*await self.workbench.events(run)] if run else []
        names_a_run = bool(events)
        if not events:
            everything = await self.workbench.events(None)
            events = [e for e in everything if shows(run, run_of(e), whole_name=False)]
        if run != self.run_filter:
            return
        self._names_a_run = names_a_run
        log = self.query_one("#event-log", RichLog)
        log.clear()
        log.border_title = f"Events — runs matching {run!r}" if run else "Events — every run"
        if run and not events:
            log.write(Text(f"no event of a run whose name holds {run!r} (Esc: every run)", "dim"))
        self._written = set()
        for event in events[-BACKLOG:]:
            self._write(log, event)

    def _write(self, log: RichLog, event: dict[str, Any]) -> None:
        name = str((event.get("metadata") or {}).get("name", ""))
        if name and name in self._written:
            return
        self._written.add(name)
        log.write(event_line(event))

    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        if message.reset:
            self.load_events()
            return
        log = self.query_one("#event-log", RichLog)
        for change in message.changes:
            if change.kind != "event" or change.op != "put" or change.resource is None:
                continue
            if self._shown(change.resource):
                self._write(log, change.resource)

    def action_filter(self) -> None:
        self.query_one("#run-filter", Input).focus()

    @on(Input.Submitted, "#run-filter")
    def _filter(self, event: Input.Submitted) -> None:
        self.run_filter = event.value.strip()
        self.load_events()
        self.query_one("#event-log").focus()

    def action_clear_filter(self) -> None:
        self.filter_run("")
