"""The `echoer` workbench app: stylesheet, global keys, screens, command palette.

Screens talk only to the `Workbench` they are given; `make_app` is the one factory
the CLI and the tests share, and `run_workbench` runs the app on the same event
loop as the embedded engine and API.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
from functools import partial
from typing import Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.screen import Screen
from textual.theme import Theme

from echoer_tui.errors import EchoerError
from echoer_tui.messages import EventsFiltered, RunOpened, StoreChanged
from echoer_tui.screens.editor import EditorScreen
from echoer_tui.screens.events import EventsScreen
from echoer_tui.screens.graph import GraphScreen
from echoer_tui.screens.help import HelpScreen
from echoer_tui.screens.modals import ConfirmModal
from echoer_tui.screens.resources import ResourcesScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.storage.repository import Change

# Colours that sit on the 16 ANSI colours, so a 16-colour terminal shows the same.
THEME = Theme(
    name="echoer",
    primary="#5c5cff",
    secondary="#00aaaa",
    accent="#ffff00",
    warning="#ffff00",
    error="#ff0000",
    success="#00ff00",
    foreground="#e5e5e5",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    dark=True,
)

SCREENS = ("editor", "resources", "graph", "events")
WATCH_RESTARTS = 3
"""How often a broken store watch is opened again before live updates give up."""
BATCH_DELAY = 0.1
"""Seconds store changes are gathered before the screens get them as one batch."""


class RunsProvider(Provider):
    """Palette entries to open each known flow run on the graph screen."""

    def _runs(self) -> list[str]:
        app = self.app
        assert isinstance(app, EchoerApp)
        return list(app.workbench.known_names("flowrun"))

    async def discover(self) -> Hits:
        for run in self._runs()[:20]:
            yield DiscoveryHit(
                f"Graph of run {run}", partial(self.app.post_message, RunOpened(run))
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for run in self._runs():
            command = f"Graph of run {run}"
            score = matcher.match(command)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command),
                    partial(self.app.post_message, RunOpened(run)),
                    help="show the run's steps as a live graph",
                )


class EchoerApp(App[None]):
    """FSL editor, resource browser, live flow-run graph and event log."""

    CSS_PATH = "app.tcss"
    TITLE = "echoer"
    COMMANDS = App.COMMANDS | {RunsProvider}
    BINDINGS = [
        # Help and quit are on the right of the tab strip, so they show at any width.
        Binding("f1,question_mark", "help", "Help", show=False),
        # The screen keys are on the tab strip along the top (widgets/screen_tabs.py).
        # Priority: the editor (a TextArea) binds F6 to "select line" itself.
        Binding("f2", "switch_mode('editor')", "Editor", show=False, priority=True),
        Binding("f3", "switch_mode('resources')", "Resources", show=False, priority=True),
        Binding("f4", "switch_mode('graph')", "Graph", show=False, priority=True),
        Binding("f6", "switch_mode('events')", "Events", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, workbench: Workbench, *, initial_run: str | None = None) -> None:
        super().__init__()
        self.workbench = workbench
        self.initial_run = initial_run
        self._pending_changes: list[Change] = []
        self.watch_since = 0
        """The seq the store watch started after (set when the app mounts)."""

    def on_mount(self) -> None:
        self.register_theme(THEME)
        self.theme = "echoer"
        self.sub_title = f"API {self.workbench.api_url}"
        self.install_screen(EditorScreen(self.workbench), "editor")
        self.install_screen(ResourcesScreen(self.workbench), "resources")
        self.install_screen(GraphScreen(self.workbench, self.initial_run), "graph")
        self.install_screen(EventsScreen(self.workbench), "events")
        for name in SCREENS:
            self._styled_at_mount(self.get_screen(name))
            self.add_mode(name, name)
        # Read before any screen loads: the watch then brings what happens after those
        # loads (a change in between may come twice, which screens take in their stride)
        # and never replays the store's backlog.
        self.watch_since = self.workbench.seq
        self.switch_mode("graph" if self.initial_run else "editor")
        self.follow_store()

    def _styled_at_mount(self, screen: Screen[Any]) -> None:
        """Spare a new mode screen Textual's two full stylesheet reparses on its first show.

        Textual 8 starts a screen's CSS counter at -1, so the first `switch_mode` to it
        reparses every stylesheet twice and restyles every mounted node (~30 ms of the
        browser's first show, `python -m bench.bench_tui`), although a screen mounting
        for the first time gets the current styles anyway. The counter records theme
        changes: a theme change after this still restyles the screen when it shows.
        """
        screen._css_update_count = self._css_update_count

    @work(exclusive=True, group="store", exit_on_error=False)
    async def follow_store(self) -> None:
        """One watch for every screen; changes reach them in batches, so that thousands
        of runs moving at once cost a few redraws, not one per change."""
        for attempt in range(WATCH_RESTARTS + 1):
            try:
                async for change in self.workbench.watch(since=self.watch_since):
                    self._pending_changes.append(change)
                    if len(self._pending_changes) == 1:
                        self.set_timer(BATCH_DELAY, self._deliver_changes)
                return
            except EchoerError as error:
                # The stream broke (this watcher fell too far behind, the server went
                # away): changes may have been missed, so every screen reloads.
                last = attempt == WATCH_RESTARTS
                self.notify(
                    f"live updates {'stopped' if last else 'restarted'}: {error.message}",
                    severity="error" if last else "warning",
                )
                # Screens reload on the reset below, so the watch starts from now again.
                self.watch_since = self.workbench.seq
                self._deliver_changes(reset=True)

    def _deliver_changes(self, reset: bool = False) -> None:
        changes, self._pending_changes = self._pending_changes, []
        for name in SCREENS:
            if not self.is_screen_installed(name):
                continue  # the app is closing
            screen = self.get_screen(name)
            if screen.is_mounted:
                screen.post_message(StoreChanged(changes, reset))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Editor", "write and submit FSL", partial(self.switch_mode, "editor"))
        yield SystemCommand(
            "Resources", "browse actions, flows, runs, steps, events",
            partial(self.switch_mode, "resources"),
        )  # fmt: skip
        yield SystemCommand(
            "Graph", "the live graph of a flow run", partial(self.switch_mode, "graph")
        )
        yield SystemCommand("Events", "the live event log", partial(self.switch_mode, "events"))
        yield SystemCommand("Help", "every key of the workbench", self.action_help)
        # Every key of the screen is an entry too, and the keys the focused widget shows
        # in the footer (not its cursor movements: the editor alone has dozens).
        nodes: list[DOMNode] = [screen]
        if screen.focused is not None:
            nodes.extend(n for n in screen.focused.ancestors_with_self if n is not screen)
        seen: set[str] = set()
        for node in nodes:
            for key, binding in node._bindings:
                if not binding.description or binding.action in seen or binding.action == "quit":
                    continue
                if node is not screen and not binding.show:
                    continue
                seen.add(binding.action)
                yield SystemCommand(
                    binding.description,
                    f"key {key}",
                    partial(self.run_action, binding.action, node),
                )

    async def action_quit(self) -> None:
        """Quit; with unsaved work in the editor, ask first (runs in flight are safe)."""
        editor = self.get_screen("editor") if self.is_screen_installed("editor") else None
        if not isinstance(editor, EditorScreen) or not editor.modified:
            self.exit()
            return

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(
            ConfirmModal(
                "The editor has unsaved changes (Ctrl+S saves them). Quit anyway?",
                confirm="Quit",
            ),
            answered,
        )

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    @on(RunOpened)
    def _run_opened(self, message: RunOpened) -> None:
        graph = self.get_screen("graph")
        assert isinstance(graph, GraphScreen)
        self.switch_mode("graph")
        if graph.is_mounted:
            graph.show_run(message.run)
        else:
            graph.run_name = message.run

    @on(EventsFiltered)
    def _events_filtered(self, message: EventsFiltered) -> None:
        events = self.get_screen("events")
        assert isinstance(events, EventsScreen)
        self.switch_mode("events")
        if events.is_mounted:
            events.filter_run(message.run)
        else:
            events.run_filter = message.run


def make_app(workbench: Workbench, *, initial_run: str | None = None) -> EchoerApp:
    """The workbench app over `workbench` (the CLI and the tests both build it here)."""
    return EchoerApp(workbench, initial_run=initial_run)


def run_workbench(args: argparse.Namespace) -> int:
    """`echoer` / `echoer tui`: open the workbench (embedded or remote) and run the app."""
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from echoer_tui.runtime import open_workbench

    async with open_workbench(args) as workbench:
        app = make_app(workbench)
        await app.run_async()
    return app.return_code or 0
