"""The graph's ack offers the states the engine accepts: the action's declared return
states, also for a step whose returns are `()` (it has no edges to read them from)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList

from echoer_tui.screens.graph import GraphScreen
from echoer_tui.screens.modals import AckModal
from echoer_tui.service.facade import Workbench

from .conftest import ActionService, opened_on, until

FSL = """action ci
    addr = "{url}/ci";
    method = http;
    args = (str project);
    return = (SUCCESS | FAIL);
action_end
/
flow_run no_edges
    step A => () {{ action = "ci"; args = (project="p"); }};
flow_run_end
/
"""


@asynccontextmanager
async def ack_dialog_open(
    workbench: Workbench, action_service: ActionService
) -> AsyncIterator[tuple[Pilot[Any], GraphScreen, AckModal]]:
    """The graph of `no_edges` waiting on A, with `a` pressed: the ack dialog is open."""
    replies = await workbench.apply_fsl(FSL.format(url=action_service.url))
    assert [r.render() for r in replies] == ["OK", "OK"]
    async with opened_on(workbench, GraphScreen, "no_edges") as (app, pilot, screen):
        await until(pilot, lambda: bool(screen.attempts))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AckModal))
        dialog = app.screen
        assert isinstance(dialog, AckModal)
        yield pilot, screen, dialog


def answered(screen: GraphScreen) -> tuple[str, str]:
    """(state, data) of the run's last attempt."""
    spec = screen.attempts[-1]["spec"] if screen.attempts else {}
    return str((spec.get("response") or {}).get("state", "")), str(spec.get("data", ""))


async def test_a_step_whose_returns_are_empty_acks_with_its_actions_states(
    workbench: Workbench, action_service: ActionService
) -> None:
    async with ack_dialog_open(workbench, action_service) as (pilot, screen, dialog):
        states = dialog.query_one("#states", OptionList)
        offered = [states.get_option_at_index(i).id for i in range(states.option_count)]
        assert offered == ["SUCCESS", "FAIL"]
        await pilot.press("down", "enter")  # FAIL
        await until(pilot, lambda: answered(screen)[0] == "FAIL")


async def test_a_hand_ack_can_carry_data_as_an_action_service_would(
    workbench: Workbench, action_service: ActionService
) -> None:
    async with ack_dialog_open(workbench, action_service) as (pilot, screen, _dialog):
        await pilot.press("tab", *"build 42 ok", "enter")  # data, then Enter: first state
        await until(pilot, lambda: answered(screen) == ("SUCCESS", "build 42 ok"))
