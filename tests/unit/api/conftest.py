"""A real stack for API tests: durable store, engine, LocalWorkbench and the API on loopback.

An action service on its own free port records every dispatch, so a test can ack the
step it was asked to run, as a real service would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage import Repository
from tests.support.services import ActionService
from tests.support.stack import WAIT, serve_echoer

__all__ = ["FLOW", "FLOW_RUN", "WAIT", "Stack", "start_stack"]


@dataclass
class Stack:
    store: Repository
    workbench: LocalWorkbench
    client: httpx.AsyncClient
    url: str
    actions: ActionService

    def fsl_action(self, name: str = "ci", extra: str = "") -> str:
        return (
            f"action {name}\n"
            f'    addr = "{self.actions.url}/{name}";\n'
            "    method = http;\n"
            "    args = (str project, int retry_count);\n"
            "    return = (SUCCESS | FAIL);\n"
            f"{extra}"
            "action_end\n"
        )


FLOW = """flow my_flow
    step A => (SUCCESS->done | FAIL->A) { action = "ci"; };
flow_end
"""

FLOW_RUN = """flow_run {name}
    step A => (SUCCESS->done | FAIL->A) {{
        action = "ci";
        args = (project = "https://example.invalid/p", retry_count = 10);
    }};
flow_run_end
"""


async def start_stack(
    stack: AsyncExitStack, data_dir: Path, token: str | None = None, max_body: int = 1 << 20
) -> Stack:
    actions = await stack.enter_async_context(ActionService())
    served = await serve_echoer(stack, data_dir, token=token, max_body=max_body)
    return Stack(served.store, served.workbench, served.client, served.url, actions)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as stack:
        yield await start_stack(stack, tmp_path / "data")


@pytest.fixture
async def seeded(api: Stack) -> Stack:
    """The API with action `ci` and flow `my_flow` created through it."""
    for path, text in (("/action", api.fsl_action()), ("/flow", FLOW)):
        response = await api.client.post(path, json={"data": text})
        assert response.status_code == 200, response.text
    return api
