"""The graph's ack offers the states the engine accepts: the action's declared return
states, also for a step whose returns are `()` (it has no edges to read them from)."""

from __future__ import annotations

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


async def test_a_step_whose_returns_are_empty_acks_with_its_actions_states(
    workbench: Workbench, action_service: ActionService
) -> None:
    replies = await workbench.apply_fsl(FSL.format(url=action_service.url))
    assert [r.render() for r in replies] == ["OK", "OK"]
    async with opened_on(workbench, GraphScreen, "no_edges") as (app, pilot, screen):
        await until(pilot, lambda: bool(screen.attempts))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AckModal))
        states = app.screen.query_one("#states", OptionList)
        offered = [states.get_option_at_index(i).id for i in range(states.option_count)]
        assert offered == ["SUCCESS", "FAIL"]
        await pilot.press("down", "enter")  # FAIL
        await until(pilot, lambda: isinstance(app.screen, GraphScreen))

        def answered() -> str:
            spec = screen.attempts[-1]["spec"] if screen.attempts else {}
            return str((spec.get("response") or {}).get("state", ""))

        await until(pilot, lambda: answered() == "FAIL")


async def test_a_hand_ack_can_carry_data_as_an_action_service_would(
    workbench: Workbench, action_service: ActionService
) -> None:
    replies = await workbench.apply_fsl(FSL.format(url=action_service.url))
    assert [r.render() for r in replies] == ["OK", "OK"]
    async with opened_on(workbench, GraphScreen, "no_edges") as (app, pilot, screen):
        await until(pilot, lambda: bool(screen.attempts))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AckModal))
        await pilot.press("tab", *"build 42 ok", "enter")  # data, then Enter: first state
        await until(pilot, lambda: isinstance(app.screen, GraphScreen))

        def answered() -> tuple[str, str]:
            spec = screen.attempts[-1]["spec"] if screen.attempts else {}
            return str((spec.get("response") or {}).get("state", "")), str(spec.get("data", ""))

        await until(pilot, lambda: answered() == ("SUCCESS", "build 42 ok"))
