"""The terminal shell driven through prompt_toolkit's pipe input: keys in, replies out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from echoer_tui.repl.session import BYE, ShellSession
from echoer_tui.repl.shell import banner, interactive, make_prompt_session
from echoer_tui.service.facade import Workbench
from tests.support.transcript import Transcript

ENTER = "\r"
CTRL_C = "\x03"
CTRL_D = "\x04"


@pytest.fixture
def keys() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        yield pipe


async def test_enter_opens_a_line_until_the_statement_is_complete(
    keys: PipeInput, shell: ShellSession, workbench: Workbench
) -> None:
    prompt = make_prompt_session(shell, workbench)
    keys.send_text("action ci" + ENTER + "action_end" + ENTER + "/" + ENTER)
    assert await prompt.prompt_async("> ") == "action ci\naction_end\n/"
    keys.send_text("list flow" + ENTER)
    assert await prompt.prompt_async("> ") == "list flow"


async def test_a_paste_ending_after_a_complete_statement_runs_it(
    keys: PipeInput, shell: ShellSession, workbench: Workbench
) -> None:
    prompt = make_prompt_session(shell, workbench)
    pasted = "action ci\n    method = http;\naction_end\n/\n"
    keys.send_text(f"\x1b[200~{pasted}\x1b[201~")  # a bracketed paste
    assert await prompt.prompt_async("> ") == "action ci\n    method = http;\naction_end\n/"
    # A paste of an unfinished statement waits for the rest.
    keys.send_text("\x1b[200~action half\n\x1b[201~" + "action_end" + ENTER + "/" + ENTER)
    assert await prompt.prompt_async("> ") == "action half\naction_end\n/"


async def test_a_session_banner_replies_ctrl_c_and_exit(
    keys: PipeInput, workbench: Workbench, transcript: Transcript
) -> None:
    keys.send_text("list flow" + ENTER)
    keys.send_text("action half" + ENTER + CTRL_C)  # cleared, never run
    keys.send_text("list action" + ENTER)
    keys.send_text("EXIT" + ENTER)
    await interactive(workbench, transcript.write)
    texts = transcript.texts()
    assert transcript.lines[0] == ("\n" + banner(), "banner")
    assert "=( °w° )=" in texts[0]
    replies = [t for t in texts[1:] if t != BYE]
    assert len(replies) == 2
    assert all(r.startswith("R| ") for r in replies)
    assert texts[-1] == BYE


async def test_ctrl_d_says_bye(
    keys: PipeInput, workbench: Workbench, transcript: Transcript
) -> None:
    keys.send_text(CTRL_D)
    await interactive(workbench, transcript.write)
    assert transcript.texts()[-1] == BYE


async def test_ctrl_r_finds_an_earlier_statement(
    keys: PipeInput, shell: ShellSession, workbench: Workbench
) -> None:
    prompt = make_prompt_session(shell, workbench)
    for statement in ("get flow my_flow", "list action"):
        prompt.history.append_string(statement)
    keys.send_text("\x12" + "my_f" + ENTER + ENTER)  # Ctrl-R, search, take it, run it
    assert await prompt.prompt_async("> ") == "get flow my_flow"
