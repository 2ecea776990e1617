"""`echoer demo --headless` end to end, as a real subprocess, and its option checks."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from echoer_tui.cli import build_parser
from echoer_tui.demo.actions import AckScript
from echoer_tui.demo.main import (
    DEFAULT_SCRIPT,
    DEMO_RUN,
    DemoOptions,
    check_script,
    example_fsl,
    run_demo_async,
    wait_until_finished,
)
from echoer_tui.errors import EchoerError
from echoer_tui.service.facade import Workbench


def run_echoer(*argv: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOER_")}
    return subprocess.run(
        [sys.executable, "-m", "echoer_tui", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_headless_demo_reaches_done_through_every_step(tmp_path: Path) -> None:
    result = run_echoer("demo", "--headless", "--data-dir", str(tmp_path / "d"), "--delay", "0.05")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # The default script: A fails once, D hands over to E, then B, C and done.
    assert lines[0] == "my_flow_run: ready → A → A → D → E → B → C → done"
    assert len(lines) > 1 and all(line.startswith("  ") for line in lines[1:])
    assert (tmp_path / "d" / "demo-actions.log").read_text("utf-8").count("acked") == 6


def test_headless_demo_with_a_script_follows_it(tmp_path: Path) -> None:
    result = run_echoer(
        "demo",
        "--headless",
        "--data-dir",
        str(tmp_path / "d"),
        "--delay",
        "0",
        "--script",
        "A=SUCCESS;D=REJECT;C=FAIL,SUCCESS",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "my_flow_run: ready → A → D → C → C → done"


def test_demo_refuses_a_script_for_a_step_it_lacks(tmp_path: Path) -> None:
    result = run_echoer("demo", "--headless", "--data-dir", str(tmp_path), "--script", "Z=FAIL")
    assert result.returncode == 2
    assert "no step 'Z'" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_refuses_a_data_dir_that_holds_resources(tmp_path: Path) -> None:
    first = run_echoer("demo", "--headless", "--data-dir", str(tmp_path), "--delay", "0")
    assert first.returncode == 0, first.stderr
    again = run_echoer("demo", "--headless", "--data-dir", str(tmp_path), "--delay", "0")
    assert again.returncode == 2
    assert "needs an empty data directory" in again.stderr
    assert "Traceback" not in again.stderr


def demo_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["demo", *argv])


def test_options_default_to_loopback_port_0_and_the_default_script() -> None:
    options = DemoOptions.from_args(demo_args())
    assert str(options.listen) == "127.0.0.1:0"
    assert options.data_dir is None
    assert str(options.script) == DEFAULT_SCRIPT
    assert options.mode == "workbench"
    assert DemoOptions.from_args(demo_args("--fail-rate", "0.3")).script.outcomes == {}
    assert DemoOptions.from_args(demo_args("--repl")).mode == "repl"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--listen", "0.0.0.0:8080"), "loopback only"),
        (("--server", "http://127.0.0.1:8080"), "--server"),
        (("--headless", "--manual-approval"), "--manual-approval"),
        (("--script", "A"), "--script"),
        (("--fail-rate", "2"), "--fail-rate"),
        (("--delay", "-1"), "--delay"),
    ],
)
def test_bad_demo_options_are_refused(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(EchoerError, match=message):
        DemoOptions.from_args(demo_args(*argv))


def test_script_states_are_checked_against_the_example() -> None:
    text = example_fsl()
    check_script(AckScript.parse(DEFAULT_SCRIPT), text)
    with pytest.raises(EchoerError, match="cannot answer SUCCESS"):
        check_script(AckScript.parse("D=SUCCESS"), text)


async def wait_for_dispatch(workbench: Workbench, run: str, step: str) -> None:
    """Until an attempt of `step` has been dispatched, woken by the store's watch (bounded)."""

    async def dispatched() -> bool:
        return any(
            a["spec"]["step_name"] == step and a["spec"]["dispatched_time"]
            for a in await workbench.attempts(run)
        )

    async with asyncio.timeout(20):
        changes = workbench.watch(["step"])
        while not await dispatched():
            await anext(changes)


async def test_manual_approval_waits_for_a_person_then_runs_to_done(tmp_path: Path) -> None:
    options = DemoOptions.from_args(demo_args("--manual-approval", "--delay", "0"))
    seen: list[str] = []

    async def person(workbench: Workbench) -> int:
        await wait_for_dispatch(workbench, "my_flow_run", "D")
        await workbench.ack("my_flow_run", "D", "REJECT", "not today")
        resource = await wait_until_finished(workbench, "my_flow_run", limit=20)
        seen.extend(resource["spec"]["history_states"])
        return 0

    assert await run_demo_async(options, tmp_path / "d", person) == 0
    assert seen[-3:] == ["D", "C", "done"]


async def test_the_workbench_opens_on_the_demo_run_graph(tmp_path: Path) -> None:
    from echoer_tui.app import make_app
    from echoer_tui.screens.graph import GraphScreen

    options = DemoOptions.from_args(demo_args("--delay", "0"))
    screens: list[object] = []

    async def workbench_ui(workbench: Workbench) -> int:
        app = make_app(workbench, initial_run=DEMO_RUN)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            screens.append(app.screen)
        return 0

    assert await run_demo_async(options, tmp_path / "d", workbench_ui) == 0
    assert isinstance(screens[0], GraphScreen)
