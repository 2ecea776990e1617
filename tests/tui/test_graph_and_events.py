"""Run operations from the graph screen, export, and the event log filtered by run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RichLog

from echoer_tui.app import make_app
from echoer_tui.messages import StoreChanged
from echoer_tui.screens.events import EventsScreen
from echoer_tui.screens.graph import GraphScreen
from echoer_tui.screens.modals import ConfirmModal, PathModal
from echoer_tui.service.facade import Workbench
from echoer_tui.storage.repository import Change

from .conftest import SIZE, ActionService, opened_on, readme_fsl, until


def _state(screen: GraphScreen) -> str:
    return str(screen.run["spec"]["current_state"]) if screen.run else ""


async def test_pause_continue_and_stop_from_the_graph(
    workbench: Workbench, action_service: ActionService
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (app, pilot, screen):
        await until(pilot, lambda: _state(screen) == "A")
        await pilot.press("p")
        await until(pilot, lambda: _state(screen) == "suspend")
        await pilot.press("c")
        await until(pilot, lambda: _state(screen) == "A")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: _state(screen) == "stopped")


async def test_export_dot_to_a_file_in_the_cwd(
    workbench: Workbench,
    action_service: ActionService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    await workbench.apply_fsl(readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (app, pilot, screen):
        await until(pilot, lambda: screen.run is not None)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, PathModal))
        await pilot.press("enter")
        target = tmp_path / "my_flow_run.dot"
        await until(pilot, target.exists)
        assert target.read_text().startswith("digraph")


async def test_events_of_one_run(workbench: Workbench, action_service: ActionService) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    async with opened_on(workbench, GraphScreen, "my_flow_run") as (app, pilot, screen):
        await until(pilot, lambda: _state(screen) == "A")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EventsScreen))
        log = app.screen.query_one("#event-log", RichLog)
        await until(pilot, lambda: any("my_flow_run" in s.text for s in log.lines))
        assert "my_flow_run" in str(log.border_title)
        await workbench.ack("my_flow_run", "A", "SUCCESS")
        # The new events arrive without a key press.
        await until(pilot, lambda: any(" D " in s.text for s in log.lines))


@asynccontextmanager
async def events_screen(
    workbench: Workbench,
) -> AsyncIterator[tuple[Pilot[Any], EventsScreen, RichLog]]:
    """The workbench switched to its events screen with F6, and the screen's log."""
    app = make_app(workbench)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, EventsScreen))
        screen = app.screen
        assert isinstance(screen, EventsScreen)
        yield pilot, screen, screen.query_one("#event-log", RichLog)


async def test_slash_on_the_events_screen_opens_the_filter_and_part_of_a_name_matches(
    workbench: Workbench, action_service: ActionService
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    async with events_screen(workbench) as (pilot, screen, log):
        assert screen.focused is log  # keys go to the log, not into the filter
        await pilot.press("slash")
        box = screen.query_one("#run-filter", Input)
        assert screen.focused is box and box.value == ""  # the slash opened it, unwritten
        await pilot.press(*"my_fl", "enter")
        await until(pilot, lambda: any("my_flow_run" in s.text for s in log.lines))
        assert "'my_fl'" in str(log.border_title)
        await pilot.press("slash", "ctrl+a", *"nothing-like-it", "enter")
        await until(pilot, lambda: any("no event of a run" in s.text for s in log.lines))


async def test_an_event_the_load_read_and_the_watch_brings_again_shows_once(
    workbench: Workbench, action_service: ActionService
) -> None:
    await workbench.apply_fsl(readme_fsl(action_service.url))
    await action_service.next_dispatch()
    async with events_screen(workbench) as (pilot, screen, log):
        events = await workbench.events(None)
        await until(pilot, lambda: len(log.lines) == len(events))
        # The app's watch starts before the screens load, so a change can come twice.
        again = [Change(i, "put", "event", e["metadata"]["name"], e) for i, e in enumerate(events)]
        screen.post_message(StoreChanged(again))
        await pilot.pause()
        assert len(log.lines) == len(events)
