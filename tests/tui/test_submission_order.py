"""Submissions run one at a time, in the order they were made: a flow_run submitted
right after the action it uses finds that action, and each reply sits under its
`> statement` line."""

from __future__ import annotations

from textual.widgets import RichLog

from echoer_tui.screens.editor import EditorScreen
from echoer_tui.service.facade import Workbench
from echoer_tui.widgets.fsl_editor import FlowEditor

from .conftest import ActionService, opened_on, until

ACTION = """action zz
    addr = "{url}/zz";
    method = http;
    args = (str project);
    return = (SUCCESS | FAIL);
action_end"""

FLOW_RUN = """flow_run uses_zz
    step A => (SUCCESS->done | FAIL->A) { action = "zz"; args = (project="p"); };
flow_run_end"""


async def test_two_dependent_statements_submitted_back_to_back_run_in_order(
    workbench: Workbench, action_service: ActionService
) -> None:
    async with opened_on(workbench, EditorScreen) as (_app, pilot, screen):
        editor = screen.query_one("#editor", FlowEditor)
        # Two submissions in the same tick, as two quick `/` lines or Ctrl+R presses make.
        editor.post_message(FlowEditor.Submitted(editor, ACTION.format(url=action_service.url)))
        editor.post_message(FlowEditor.Submitted(editor, FLOW_RUN))
        await until(pilot, lambda: len(screen.replies) == 2)
        assert [r.render() for r in screen.replies] == ["OK", "OK"]
        log = screen.query_one("#replies", RichLog)
        assert [strip.text.rstrip() for strip in log.lines] == [
            "> action zz …",
            "OK",
            "> flow_run uses_zz …",
            "OK",
        ]
        run = await workbench.get("flowrun", "uses_zz")
        assert run["spec"]["steps"][0]["spec"]["action_run"]["action_name"] == "zz"
