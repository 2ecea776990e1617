"""The resource browser: kinds with counts, a filtered list, a detail pane, live.

Like k9s: pick a kind on the left, filter with `/`, read the detail on the right,
delete with `d` after a confirmation. The store's watch keeps it current; changes
are gathered for a moment and applied as one batch, touching only the rows that
changed, so thousands of runs moving at once do not freeze the screen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from echoer_tui.errors import EchoerError
from echoer_tui.messages import RunOpened, StoreChanged
from echoer_tui.model.resources import KINDS, PARAM_TYPE_NAMES
from echoer_tui.screens.modals import ConfirmModal
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.footer import WorkbenchFooter
from echoer_tui.widgets.resource_list import ResourceList
from echoer_tui.widgets.screen_tabs import ScreenTabs

Row = tuple[str, ...]


def _clock(seconds: Any) -> str:
    return time.strftime("%H:%M:%S", time.localtime(float(seconds))) if seconds else ""


def _action_row(spec: dict[str, Any]) -> Row:
    # The states first: an address can take the whole width of the pane.
    return (" | ".join(spec.get("return_states") or ()), ", ".join(spec.get("endpoints") or ()))


def _flow_row(spec: dict[str, Any]) -> Row:
    return (
        str(len(spec.get("steps") or ())),
        ", ".join(s.get("name", "") for s in spec.get("steps") or ()),
    )


def _run_row(spec: dict[str, Any]) -> Row:
    return (
        str(spec.get("current_state", "")),
        str(spec.get("last_state", "")),
        str(spec.get("last_err", ""))[:60],
    )


def _step_row(spec: dict[str, Any]) -> Row:
    return (
        str(spec.get("flow_id", "")),
        str(spec.get("step_name", "")),
        str((spec.get("response") or {}).get("state", "")),
        str(spec.get("retry_count", "")),
    )


def _event_row(spec: dict[str, Any]) -> Row:
    # The message before the resource: it is what a person reads an event for.
    return (
        _clock(spec.get("time")),
        str(spec.get("message", ""))[:80],
        f"{spec.get('resource_kind', '')}/{spec.get('resource_name', '')}",
    )


COLUMNS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any]], Row]]] = {
    "action": (("return states", "endpoints"), _action_row),
    "flow": (("steps", "names"), _flow_row),
    "flowrun": (("state", "last state", "last error"), _run_row),
    "step": (("run", "step", "state", "retries"), _step_row),
    "event": (("time", "message", "resource"), _event_row),
}


def row_of(resource: dict[str, Any]) -> Row:
    """The table row for a resource: its name, then its kind's columns."""
    kind = resource["metadata"]["kind"]
    return (str(resource["metadata"]["name"]), *COLUMNS[kind][1](resource.get("spec") or {}))


def summary(resource: dict[str, Any]) -> Text:
    """What a person wants to read first about a resource, above its JSON."""
    meta, spec = resource["metadata"], resource.get("spec") or {}
    text = Text()
    text.append(f"{meta['kind']} {meta['name']}", style="bold")
    text.append(f"   version {meta.get('version', '')}\n", style="dim")
    kind = meta["kind"]
    if kind == "action":
        text.append("endpoints  ", style="bold")
        text.append(", ".join(spec.get("endpoints") or ()) + "\n")
        params = spec.get("params") or {}
        text.append("args       ", style="bold")
        text.append(
            ", ".join(f"{PARAM_TYPE_NAMES.get(t, t)} {n}" for n, t in params.items()) + "\n"
        )
        text.append("returns    ", style="bold")
        text.append(" | ".join(spec.get("return_states") or ()) + "\n")
    elif kind == "flow":
        for step in spec.get("steps") or ():
            edges = ", ".join(f"{s}→{t}" for s, t in (step.get("returns") or {}).items())
            text.append(f"{step.get('type', 'step')} {step.get('name', '')}", style="bold")
            text.append(f"  {step.get('action_name', '')}  ({edges})\n")
    elif kind == "flowrun":
        text.append("state      ", style="bold")
        text.append(f"{spec.get('current_state', '')}\n", style="yellow")
        text.append("history    ", style="bold")
        text.append(" → ".join(spec.get("history_states") or ()) + "\n")
        text.append("steps      ", style="bold")
        text.append(", ".join(s["metadata"]["name"] for s in spec.get("steps") or ()) + "\n")
        text.append("globals    ", style="bold")
        text.append(json.dumps(spec.get("global_variable") or {}) + "\n")
        if spec.get("last_err"):
            text.append("last error ", style="bold")
            text.append(str(spec["last_err"]) + "\n", style="red")
    elif kind == "step":
        run = spec.get("action_run") or {}
        text.append("run/step   ", style="bold")
        text.append(f"{spec.get('flow_id', '')} / {spec.get('step_name', '')}\n")
        text.append("action     ", style="bold")
        text.append(f"{run.get('action_name', '')} {json.dumps(run.get('action_params') or {})}\n")
        text.append("response   ", style="bold")
        text.append(
            f"{(spec.get('response') or {}).get('state', '')}  data={spec.get('data', '')!r}\n"
        )
    elif kind == "event":
        text.append(f"{_clock(spec.get('time'))}  {spec.get('message', '')}\n")
    return text


class ResourcesScreen(Screen[None]):
    """Browse, filter, inspect and delete resources; updates live."""

    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("d,delete", "delete", "Delete"),
        Binding("g", "graph", "Graph of run"),
        Binding("v", "toggle_json", "JSON"),
        Binding("1", "kind('action')", "Actions", show=False),
        Binding("2", "kind('flow')", "Flows", show=False),
        Binding("3", "kind('flowrun')", "Runs", show=False),
        Binding("4", "kind('step')", "Steps", show=False),
        Binding("5", "kind('event')", "Events", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, workbench: Workbench) -> None:
        super().__init__(id="resources-screen")
        self.workbench = workbench
        self.kind = "flowrun"
        self.filter_text = ""
        self.counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._load_generation = 0
        self._kinds_ready = False

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(*[Option(k, id=k) for k in KINDS], id="kinds")
            with Vertical(id="list-pane"):
                yield Input(
                    placeholder="filter by name (Enter to apply, Esc to clear)", id="filter"
                )
                yield ResourceList(id="table")
            with VerticalScroll(id="detail-pane"):
                yield Static(id="summary")
                yield Static(id="json")
        yield ScreenTabs("resources")
        yield WorkbenchFooter()

    def on_screen_resume(self) -> None:
        # Coming back from another screen or a modal: keys go to the main widget.
        if self.focused is None:
            self.query_one("#table").focus()

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#kinds", OptionList).border_title = "Kinds"
        self.query_one("#detail-pane").border_title = "Detail"
        self.query_one("#kinds", OptionList).highlighted = KINDS.index(self.kind)
        # The list highlights its first kind by itself on mount; listen only after that.
        self.call_after_refresh(setattr, self, "_kinds_ready", True)
        self.refresh_counts()
        self.load_kind()
        self.query_one("#table").focus()

    # Loading.
    @work(exclusive=True, group="counts", exit_on_error=False)
    async def refresh_counts(self) -> None:
        for kind in KINDS:
            self.counts[kind] = await self.workbench.count(kind)
        self._show_counts()

    def _show_counts(self) -> None:
        kinds = self.query_one("#kinds", OptionList)
        for index, kind in enumerate(KINDS):
            kinds.replace_option_prompt_at_index(index, f"{kind} ({self.counts[kind]})")

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load_kind(self) -> None:
        self._load_generation += 1
        generation = self._load_generation
        kind, prefix = self.kind, self.filter_text
        # Summaries: the rows need a few spec fields, not whole documents (10,000 runs).
        resources = await self.workbench.summaries(kind)
        if generation != self._load_generation:
            return
        table = self.query_one("#table", ResourceList)
        if prefix:
            resources = [r for r in resources if self._matches(r["metadata"]["name"], prefix)]
        names = [r["metadata"]["name"] for r in resources]
        table.set_rows(("name", *COLUMNS[kind][0]), names, resources, row_of)
        table.border_title = f"{kind} ({table.row_count})"
        if not table.row_count:
            self.query_one("#summary", Static).update("")
            self.query_one("#json", Static).update("")

    @staticmethod
    def _matches(name: str, text: str) -> bool:
        return not text or text.lower() in name.lower()

    @work(exclusive=True, group="detail", exit_on_error=False)
    async def show_detail(self, name: str) -> None:
        try:
            resource = await self.workbench.get(self.kind, name)
        except EchoerError as error:
            self.query_one("#summary", Static).update(Text(error.message, style="red"))
            return
        self.query_one("#summary", Static).update(summary(resource))
        body = json.dumps(resource, indent=2, ensure_ascii=False)
        self.query_one("#json", Static).update(
            Syntax(body, "json", theme="ansi_dark", word_wrap=True, background_color="default")
        )

    def _show_deleted(self, kind: str, name: str) -> None:
        """The resource in the detail pane was deleted: say so instead of asking the
        store for it (the cursor's next row, if any, shows its own detail next)."""
        self.workers.cancel_group(self, "detail")
        self.query_one("#summary", Static).update(Text(f"{kind} {name} deleted", style="dim"))
        self.query_one("#json", Static).update("")

    # Live updates, a batch at a time; only the rows that changed are touched.
    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        if message.reset:
            self.refresh_counts()
            self.load_kind()
            return
        latest = {(c.kind, c.name): c for c in message.changes}
        changes = list(latest.values())
        table = self.query_one("#table", ResourceList)
        selected = table.cursor_key
        for change in changes:
            if change.kind != self.kind:
                continue
            if change.op == "delete":
                table.remove_row(change.name)
            elif change.resource is not None and self._matches(change.name, self.filter_text):
                table.upsert(change.name, change.resource)
        table.border_title = f"{self.kind} ({table.row_count})"
        shown = latest.get((self.kind, selected or ""))
        if shown is not None and shown.op == "delete":
            self._show_deleted(shown.kind, shown.name)
        elif shown is not None:
            self.show_detail(shown.name)
        if changes:
            self.refresh_counts()

    # Navigation.
    def _selected_name(self) -> str | None:
        return self.query_one("#table", ResourceList).cursor_key

    @on(OptionList.OptionHighlighted, "#kinds")
    def _kind_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        kind = str(event.option.id)
        if self._kinds_ready and kind != self.kind:
            self.kind = kind
            self.load_kind()

    @on(ResourceList.Highlighted, "#table")
    def _row_highlighted(self, event: ResourceList.Highlighted) -> None:
        if not isinstance(event, ResourceList.Selected):
            self.show_detail(event.key)

    @on(ResourceList.Selected, "#table")
    def _row_selected(self, event: ResourceList.Selected) -> None:
        if self.kind == "flowrun":
            self.post_message(RunOpened(event.key))

    def action_kind(self, kind: str) -> None:
        self.query_one("#kinds", OptionList).highlighted = KINDS.index(kind)

    def action_graph(self) -> None:
        name = self._selected_name()
        if self.kind == "flowrun" and name:
            self.post_message(RunOpened(name))

    def action_toggle_json(self) -> None:
        """Show or hide the raw JSON under the summary (uuids and times live there)."""
        json_view = self.query_one("#json", Static)
        json_view.display = not json_view.display

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.value.strip() != self.filter_text:
            self.filter_text = event.value.strip()
            self.load_kind()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one("#table").focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.query_one("#table").focus()

    # Delete.
    def action_delete(self) -> None:
        name = self._selected_name()
        if not name:
            return
        kind = self.kind

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete_resource(kind, name)

        self.app.push_screen(ConfirmModal(f"Delete {kind} {name}?"), answered)

    @work(group="delete", exit_on_error=False)
    async def delete_resource(self, kind: str, name: str) -> None:
        try:
            await self.workbench.delete(kind, name)
        except EchoerError as error:
            self.notify(error.message, severity="error")
            return
        self.notify(f"deleted {kind} {name}")
