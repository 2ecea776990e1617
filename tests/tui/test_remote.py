"""`echoer --server URL`: the workbench app on a RemoteWorkbench against a real `echoer serve`."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import RichLog

from echoer_tui.app import make_app
from echoer_tui.errors import EchoerError
from echoer_tui.runtime import open_workbench
from echoer_tui.screens.editor import EditorScreen
from echoer_tui.screens.events import EventsScreen
from echoer_tui.screens.graph import GraphScreen
from echoer_tui.screens.modals import AckModal, ConfirmModal
from echoer_tui.screens.resources import ResourcesScreen
from echoer_tui.service.remote import RemoteWorkbench
from echoer_tui.widgets.fsl_editor import FlowEditor
from echoer_tui.widgets.resource_list import ResourceList

from .conftest import SIZE, ActionService, readme_fsl, until

STARTUP = 30.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A real `echoer serve` on a free loopback port; its URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "echoer_tui",
            "serve",
            "--data-dir",
            str(tmp_path / "server"),
            "--listen",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        match = re.search(r"listening on (http://\S+)", process.stdout.readline())
        assert match, process.stderr.read() if process.stderr else ""
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=STARTUP)
        assert process.returncode == 0, err
        assert "Traceback" not in err, err


async def test_the_workbench_drives_a_running_server(
    server: str, action_service: ActionService
) -> None:
    args = argparse.Namespace(server=server, token=None, data_dir=None, listen=None, store=None)
    async with open_workbench(args) as workbench:
        assert isinstance(workbench, RemoteWorkbench)
        app = make_app(workbench)
        async with app.run_test(size=SIZE) as pilot:
            # The editor: submit the README's document, then see it validate clean.
            editor_screen = app.screen
            assert isinstance(editor_screen, EditorScreen)
            editor = editor_screen.query_one("#editor", FlowEditor)
            editor.load_text(readme_fsl(action_service.url))
            await pilot.press("f8")
            replies = editor_screen.query_one("#replies", RichLog)
            await until(pilot, lambda: len(editor_screen.applied) == 6)
            shown = "\n".join(strip.text for strip in replies.lines)
            assert "E|" not in shown and shown.count("OK") == 6
            assert not [d for d in editor.diagnostics if d.severity == "error"]

            # Resources: the run appears and waits on A (the server dispatched it).
            await pilot.press("f3")
            resources = app.screen
            assert isinstance(resources, ResourcesScreen)
            table = resources.query_one("#table", ResourceList)
            await until(pilot, lambda: "my_flow_run" in table.rows)
            await until(pilot, lambda: table.get_cell("my_flow_run", "state") == "A")

            # The graph: ack A by hand; the run moves on, live.
            await pilot.press("f4")
            graph = app.screen
            assert isinstance(graph, GraphScreen)
            await until(pilot, lambda: graph.run_name == "my_flow_run")  # the newest run
            await until(pilot, lambda: graph.run is not None and bool(graph.attempts))
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, AckModal))
            await pilot.press("enter")  # SUCCESS
            await until(
                pilot,
                lambda: graph.run is not None and graph.run["spec"]["current_state"] == "D",
            )

            # Pause, continue, stop and re-run, as from the graph's keys.
            def state() -> str:
                return "" if graph.run is None else str(graph.run["spec"]["current_state"])

            await pilot.press("p")
            await until(pilot, lambda: state() == "suspend")
            await pilot.press("c")
            await until(pilot, lambda: state() == "D")
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            await pilot.press("y")
            await until(pilot, lambda: state() == "stopped")
            await pilot.press("r")  # re-run from the selected step
            await until(pilot, lambda: state() not in ("stopped", ""))

            await pilot.press("f3")
            await until(pilot, lambda: table.get_cell("my_flow_run", "state") == state())

            # Events: the log of what happened, from the server.
            await pilot.press("f6")
            events = app.screen
            assert isinstance(events, EventsScreen)
            log = events.query_one("#event-log", RichLog)
            await until(pilot, lambda: any(" D " in s.text for s in log.lines))


async def test_server_and_store_together_are_refused_clearly(server: str) -> None:
    args = argparse.Namespace(
        server=server, token=None, data_dir=None, listen=None, store="memory://"
    )
    with pytest.raises(EchoerError, match=r"--store .* --server"):
        open_workbench(args)


async def test_an_unreachable_server_is_a_clear_error_before_the_app_starts() -> None:
    args = argparse.Namespace(
        server="http://127.0.0.1:1", token=None, data_dir=None, listen=None, store=None
    )
    with pytest.raises(
        EchoerError, match=r"cannot reach the echoer server at http://127\.0\.0\.1:1"
    ):
        async with open_workbench(args):
            pass
