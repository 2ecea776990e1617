"""Quitting the workbench with a run in flight loses nothing: the run waits where it was
and goes on after the next start."""

from __future__ import annotations

from pathlib import Path

from echoer_tui.app import make_app
from echoer_tui.config import Listen
from echoer_tui.runtime import embedded

from .conftest import SIZE, ActionService, readme_fsl, until


async def test_a_run_in_flight_when_the_workbench_quits_goes_on_after_the_next_start(
    tmp_path: Path, action_service: ActionService
) -> None:
    data = tmp_path / "data"
    async with embedded(data, Listen("127.0.0.1", 0)) as workbench:
        replies = await workbench.apply_fsl(readme_fsl(action_service.url))
        assert all(r.status == "ok" for r in replies), [r.render() for r in replies]
        sent = await action_service.next_dispatch()
        assert sent["stepName"] == "A"
        app = make_app(workbench)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+q")
            await until(pilot, lambda: app.return_code is not None)

    # The next start, on the same data directory, as `echoer` would open it.
    async with embedded(data, Listen("127.0.0.1", 0)) as workbench:
        run = await workbench.get("flowrun", "my_flow_run")
        assert run["spec"]["current_state"] == "A"
        await workbench.ack("my_flow_run", "A", "SUCCESS")
        run = await workbench.get("flowrun", "my_flow_run")
        assert run["spec"]["current_state"] == "D"
        assert run["spec"]["history_states"][-2:] == ["A", "D"]
        # The engine of the new start sends the next step to its action.
        sent = await action_service.next_dispatch()
        assert sent["stepName"] == "D"
