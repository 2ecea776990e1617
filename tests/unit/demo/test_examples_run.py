"""Examples that run as they are against the demo action services, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from echoer_tui.config import Listen
from echoer_tui.demo.actions import DemoActions
from echoer_tui.demo.main import EXAMPLE_BASE_URL, wait_until_finished
from echoer_tui.runtime import embedded

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


async def run_example(
    tmp_path: Path, file: str, run: str
) -> tuple[dict[str, Any], list[dict[str, Any]], DemoActions]:
    async with DemoActions(delay=0) as services:
        text = (EXAMPLES / file).read_text("utf-8").replace(EXAMPLE_BASE_URL, services.base_url)
        async with embedded(tmp_path / "data", Listen("127.0.0.1", 0)) as workbench:
            services.engine_url = workbench.api_url
            replies = await workbench.apply_fsl(text)
            assert all(r.status != "error" for r in replies), [r.render() for r in replies]
            resource = await wait_until_finished(workbench, run, limit=30)
            attempts = await workbench.attempts(run)
    return resource, attempts, services


async def test_globals_reach_the_later_steps(tmp_path: Path) -> None:
    resource, _, services = await run_example(tmp_path, "globals.fsl", "globals_run")
    spec = resource["spec"]
    assert spec["current_state"] == "done"
    assert spec["global_variable"] == {
        "build_state": "SUCCESS",
        "deploy_state": "SUCCESS",
        "notify_state": "SUCCESS",
    }
    sent = {d.step_name: dict(d.global_variables) for d in services.dispatches}
    assert sent["deploy"] == {"build_state": "SUCCESS"}
    assert sent["notify"] == {"build_state": "SUCCESS", "deploy_state": "SUCCESS"}


async def test_unreachable_action_ends_in_timeout_and_the_run_goes_on(tmp_path: Path) -> None:
    resource, attempts, _ = await run_example(
        tmp_path, "retries_and_timeouts.fsl", "retry_and_timeout_run"
    )
    spec = resource["spec"]
    assert spec["current_state"] == "done", spec["last_err"]
    assert [s for s in spec["history_states"] if s != "ready"] == [
        "build",
        "call_flaky",
        "report",
        "done",
    ]
    flaky = next(a["spec"] for a in attempts if a["spec"]["step_name"] == "call_flaky")
    assert flaky["response"]["state"] == "TIMEOUT"
    assert flaky["retry_count"] == 2


async def test_decision_example_runs_to_done(tmp_path: Path) -> None:
    resource, _, _ = await run_example(tmp_path, "decision.fsl", "release_run")
    assert resource["spec"]["current_state"] == "done"
    assert [s for s in resource["spec"]["history_states"] if s != "ready"] == [
        "review",
        "ship",
        "tell",
        "done",
    ]


async def test_one_flow_runs_as_several_runs_with_the_commands_its_comment_shows(
    tmp_path: Path,
) -> None:
    text = (EXAMPLES / "several_runs.fsl").read_text("utf-8")
    commands = [
        line.strip("# ").removesuffix("/").strip()
        for line in text.splitlines()
        if line.startswith("#   run flow")
    ]
    assert len(commands) == 3
    async with DemoActions(delay=0) as services:
        text = text.replace(EXAMPLE_BASE_URL, services.base_url)
        async with embedded(tmp_path / "data", Listen("127.0.0.1", 0)) as workbench:
            services.engine_url = workbench.api_url
            await workbench.apply_fsl(text)
            for command in commands:
                reply = await workbench.execute(command)
                assert reply.status != "error", reply.render()
            for run in ("nightly_shop", "nightly_cart", "nightly_auth"):
                resource = await wait_until_finished(workbench, run, limit=30)
                assert resource["spec"]["current_state"] == "done"
    projects = {d.flow_id: d.args["project"] for d in services.dispatches}
    assert projects == {"nightly_shop": "shop", "nightly_cart": "cart", "nightly_auth": "auth"}
