"""The shell against a real embedded workbench: statements in, the original's replies out."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from echoer_tui.repl.session import BYE, ShellSession
from echoer_tui.repl.shell import Foreground
from echoer_tui.service.facade import Workbench
from tests.support.fsl_samples import FINISHING_FLOW, README_ACTIONS
from tests.support.transcript import Transcript


async def test_the_seed_transcript(shell: ShellSession, transcript: Transcript) -> None:
    # A flow naming actions that do not exist yet is refused, naming them.
    assert await shell.submit(FINISHING_FLOW)
    ((refusal, role),) = transcript.lines
    assert role == "error"
    assert refusal.startswith("E| ")
    assert "ci" in refusal

    # Five actions pasted at once: five replies, each OK, in order.
    transcript.lines.clear()
    await shell.submit(README_ACTIONS)
    assert transcript.lines == [("OK", "ok")] * 5

    transcript.lines.clear()
    await shell.submit(FINISHING_FLOW)
    assert transcript.lines == [("OK", "ok")]

    transcript.lines.clear()
    await shell.submit("get flow my_flow")
    ((reply, role),) = transcript.lines
    assert role == "result"
    assert reply.startswith('R| {"metadata":{')
    resource = json.loads(reply.removeprefix("R| "))
    assert resource["metadata"]["kind"] == "flow"
    assert resource["metadata"]["name"] == "my_flow"
    assert [s["name"] for s in resource["spec"]["steps"]] == ["A", "D", "B", "E", "C"]


async def test_statements_typed_line_by_line(shell: ShellSession, transcript: Transcript) -> None:
    for line in README_ACTIONS.splitlines()[:6]:
        await shell.submit(line)
        assert shell.prompt() == "… "
        assert transcript.lines == []
    await shell.submit("/")
    assert transcript.lines == [("OK", "ok")]
    assert shell.prompt() == "> "


async def test_fsl_errors_carry_line_column_and_a_caret(
    shell: ShellSession, transcript: Transcript
) -> None:
    await shell.submit('action broken\n  addr = "http://x"\n  method = http;\naction_end\n/')
    ((reply, role),) = transcript.lines
    assert role == "error"
    assert reply.startswith("E| ")
    first = reply.splitlines()[0].removeprefix("E| ")
    line, column = first.split(":")[:2]
    assert line.isdigit() and column.isdigit()
    assert "^" in reply


async def test_one_line_commands_and_help(shell: ShellSession, transcript: Transcript) -> None:
    await shell.submit(README_ACTIONS)
    transcript.lines.clear()
    await shell.submit("LIST ACTION")
    ((table, role),) = transcript.lines
    assert role == "result"
    rows = [line.split("|")[1].strip() for line in table.splitlines()[3:] if line.startswith("|")]
    assert rows == ["approval", "approval_2", "ci", "deploy_1", "notify"]

    transcript.lines.clear()
    await shell.submit("help")
    assert transcript.lines[0][0].startswith("R| ")
    assert "watch flowrun <name>" in transcript.lines[0][0]
    assert "set events on|off" in transcript.lines[1][0]

    transcript.lines.clear()
    await shell.submit("help get")
    assert "get <kind> <name>" in transcript.texts()[0]

    transcript.lines.clear()
    await shell.submit("frobnicate flow x")
    ((reply, role),) = transcript.lines
    assert role == "error"
    assert "frobnicate" in reply


async def test_exit_in_any_case_says_bye(shell: ShellSession, transcript: Transcript) -> None:
    assert not await shell.submit("list flow\nExIt\nlist action")
    assert shell.finished
    assert transcript.texts()[-1] == BYE
    assert not any("ACTION" in t and "NAME" in t for t in transcript.texts()[:-1][1:])


async def test_load_reads_the_file_here(
    shell: ShellSession, transcript: Transcript, tmp_path: Path
) -> None:
    file = tmp_path / "seed.fsl"
    file.write_text(README_ACTIONS + "\n" + FINISHING_FLOW, encoding="utf-8")
    await shell.submit(f"load {file}")
    assert transcript.lines == [("OK", "ok")] * 6

    transcript.lines.clear()
    await shell.submit(f"load {tmp_path / 'missing.fsl'}")
    ((reply, role),) = transcript.lines
    assert role == "error"
    assert "missing.fsl" in reply


async def test_set_events(shell: ShellSession, transcript: Transcript) -> None:
    await shell.submit("set events off")
    assert not shell.events
    await shell.submit("set events on")
    assert shell.events
    await shell.submit("set events maybe")
    assert transcript.lines == [
        ("OK", "ok"),
        ("OK", "ok"),
        ("E| usage: set events on|off", "error"),
    ]


def one_step_run(action_service: str, run: str, action: str = "svc") -> str:
    """An action `action` at the loopback service and a two-step run of it, started."""
    return (
        f'action {action}\n  addr = "{action_service}/svc";\n  method = http;\n'
        "  args = (str who);\n  return = (SUCCESS | FAIL);\naction_end\n/\n"
        f"flow_run {run}\n  step A => (SUCCESS->B | FAIL->A) {{\n"
        f'    action = "{action}";\n    args = (who = "a");\n  }};\n'
        "  step B => (SUCCESS->done | FAIL->B) {\n"
        f'    action = "{action}";\n    args = (who = "b");\n  }};\nflow_run_end\n/\n'
    )


async def test_watch_prints_each_transition_until_the_run_ends(
    workbench: Workbench, shell: ShellSession, transcript: Transcript, action_service: str
) -> None:
    await shell.submit(one_step_run(action_service, "r1"))
    assert transcript.lines == [("OK", "ok")] * 2
    transcript.lines.clear()

    watching = asyncio.create_task(shell.submit("watch flowrun r1"))
    await transcript.wait_for("· r1: A")
    await shell.submit("ack r1.A SUCCESS")
    await transcript.wait_for("· r1: A → B (SUCCESS)")
    await shell.submit("ack r1.B SUCCESS")
    async with asyncio.timeout(10):
        assert await watching
    events = [t for t, role in transcript.lines if role == "event"]
    assert events == ["· r1: A (start)", "· r1: A → B (SUCCESS)", "· r1: B → done (SUCCESS)"]


async def test_watch_of_a_missing_run_is_an_error(
    shell: ShellSession, transcript: Transcript
) -> None:
    await shell.submit("watch flowrun nowhere")
    ((reply, role),) = transcript.lines
    assert role == "error"
    assert "nowhere" in reply


async def test_live_events_print_what_moves_and_can_be_silenced(
    shell: ShellSession, transcript: Transcript, action_service: str
) -> None:
    await shell.submit(one_step_run(action_service, "r2"))
    printer = asyncio.create_task(shell.print_events())
    try:
        await shell.submit("ack r2.A SUCCESS")
        await transcript.wait_for("· r2: A → B (SUCCESS)")
        await shell.submit("set events off")
        await shell.submit("ack r2.B SUCCESS")
        await shell.submit("set events on")
        await shell.submit("list flowrun")
        await transcript.wait_for("done")
    finally:
        printer.cancel()
    assert not any("→ done" in t for t in transcript.texts())


async def test_ctrl_c_ends_a_watch_not_the_shell(
    shell: ShellSession, transcript: Transcript, action_service: str
) -> None:
    await shell.submit(one_step_run(action_service, "r3"))
    foreground = Foreground()
    interrupted: list[bool] = []
    watching = asyncio.create_task(
        foreground.run(shell.submit("watch flowrun r3"), lambda: interrupted.append(True))
    )
    await transcript.wait_for("· r3: A")
    foreground.interrupt()
    async with asyncio.timeout(10):
        assert await watching  # the shell goes on
    assert interrupted == [True]
    transcript.lines.clear()
    await shell.submit("get flowrun r3")
    assert transcript.texts()[0].startswith("R| ")


async def test_the_same_shell_against_a_running_server(
    workbench: Workbench, transcript: Transcript, action_service: str
) -> None:
    from echoer_tui.service.remote import RemoteWorkbench

    remote = RemoteWorkbench(workbench.api_url)
    await remote.start()
    try:
        shell = ShellSession(remote, transcript.write)
        await shell.submit(README_ACTIONS + FINISHING_FLOW)
        await shell.submit("get flow my_flow")
        assert [role for _, role in transcript.lines] == ["ok"] * 6 + ["result"]
        assert json.loads(transcript.texts()[-1].removeprefix("R| "))["metadata"]["name"] == (
            "my_flow"
        )

        transcript.lines.clear()
        await shell.submit(one_step_run(action_service, "r4", action="svc2"))
        watching = asyncio.create_task(shell.submit("watch flowrun r4"))
        await transcript.wait_for("· r4: A")
        await shell.submit("ack r4.A SUCCESS")
        await shell.submit("ack r4.B SUCCESS")
        async with asyncio.timeout(10):
            assert await watching
        assert transcript.texts()[-1] == "· r4: B → done (SUCCESS)"
    finally:
        await remote.close()
