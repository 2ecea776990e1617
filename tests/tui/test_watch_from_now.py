"""The workbench follows the store from now: no backlog replayed at start."""

from __future__ import annotations

from textual.message import Message

from echoer_tui.app import make_app
from echoer_tui.messages import StoreChanged
from echoer_tui.service.facade import Workbench

from .conftest import SIZE, ActionService, readme_fsl, until
from .test_workbench import ACTION, create


async def test_the_app_watches_from_the_seq_it_started_at(
    workbench: Workbench, action_service: ActionService
) -> None:
    await create(workbench, readme_fsl(action_service.url))  # a backlog of puts and events
    backlog = workbench.seq
    assert backlog > 5
    delivered: list[StoreChanged] = []

    def hook(message: Message) -> None:
        if isinstance(message, StoreChanged):
            delivered.append(message)

    app = make_app(workbench)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        assert app.watch_since >= backlog
        await create(workbench, ACTION.format(url=action_service.url).replace("ci", "late"))
        await until(pilot, lambda: any(c.name == "late" for m in delivered for c in m.changes))
    seqs = [c.seq for m in delivered for c in m.changes]
    assert seqs and min(seqs) > backlog, seqs  # nothing from before the app started
