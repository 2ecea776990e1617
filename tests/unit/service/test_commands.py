"""The shell command language: splitting submissions and parsing each statement."""

from __future__ import annotations

import pytest

from echoer_tui.errors import CommandError
from echoer_tui.service.commands import (
    COMMAND_NAMES,
    Ack,
    DeleteResource,
    Events,
    Exit,
    Export,
    GetResource,
    GetStep,
    Help,
    ListResources,
    Load,
    Rerun,
    RunFlow,
    RunOperation,
    SubmitFsl,
    Watch,
    ends_statement,
    help_text,
    parse_args,
    parse_command,
    split_submission,
)


def test_split_submission_on_slash_lines() -> None:
    text = 'action a\n  addr = "http://x/";\naction_end\n/\naction b\naction_end /\nlist action'
    assert split_submission(text) == [
        'action a\n  addr = "http://x/";\naction_end',
        "action b\naction_end ",
        "list action",
    ]
    assert split_submission("get flow f/") == ["get flow f"]
    assert split_submission("\n/\n  \n") == []
    assert ends_statement("flow_end /  ")
    assert not ends_statement('addr = "http://x/";')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Help()),
        ("HELP get", Help("get")),
        ("list action", ListResources("action")),
        ("LIST Flow_Runs", ListResources("flowrun")),
        ("list events", ListResources("event")),
        ("get flow my_flow", GetResource("flow", "my_flow")),
        ("get flow_run r1/", GetResource("flowrun", "r1")),
        ('get action "with space"', GetResource("action", "with space")),
        ("get step r1.A", GetStep("r1", "A")),
        ("get step r1.A.2", GetResource("step", "r1.A.2")),
        ("del action ci", DeleteResource("action", "ci")),
        ("delete flowrun r", DeleteResource("flowrun", "r")),
        ("run flow f as r1", RunFlow("f", "r1", {})),
        (
            'RUN FLOW f AS r1 WITH (project="https://x, y", n=3, w=word)',
            RunFlow("f", "r1", {"project": "https://x, y", "n": 3, "w": "word"}),
        ),
        ("pause flowrun r", RunOperation("pause", "r")),
        ("continue flow_run r", RunOperation("resume", "r")),
        ("stop r", RunOperation("stop", "r")),
        ("rerun flowrun r from B", Rerun("r", "B")),
        ("ack r.A SUCCESS", Ack("r", "A", "SUCCESS")),
        ('ack r.A AGREE {"k": "v w"}', Ack("r", "A", "AGREE", '{"k": "v w"}')),
        ('ack r.A AGREE "looks good"', Ack("r", "A", "AGREE", "looks good")),
        ("watch flowrun r", Watch("r")),
        ("events r", Events("r")),
        ("events", Events()),
        ("load ./my flows/x.fsl", Load("./my flows/x.fsl")),
        ("export flow f mermaid", Export("flow", "f", "mermaid")),
        ("export flowrun r DOT", Export("flowrun", "r", "dot")),
        ("exit", Exit()),
        ("Quit", Exit()),
    ],
)
def test_commands(text: str, expected: object) -> None:
    assert parse_command(text) == expected


def test_fsl_statements_are_passed_through() -> None:
    text = 'ACTION ci\n addr = "x";\naction_end'
    assert parse_command(text) == SubmitFsl(text)
    assert isinstance(parse_command("flow_run r\nflow_run_end"), SubmitFsl)
    assert isinstance(parse_command("Flow f flow_end"), SubmitFsl)
    # The lines above a statement stay, so its diagnostics count the caller's lines.
    assert parse_command("\n\n  action ci\naction_end\n/") == SubmitFsl(
        "\n\n  action ci\naction_end"
    )
    # A word that merely starts like a keyword is not FSL.
    with pytest.raises(CommandError, match="unknown command 'flowx'"):
        parse_command("flowx a")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty statement"),
        ("lsit action", "unknown command 'lsit' (did you mean list?)"),
        ("list", "expected `list <kind>`; the kinds: action, flow, flowrun, step, event"),
        ("list acton", "unknown kind 'acton' (did you mean action?)"),
        ("get flow", "expected `get <kind> <name>`"),
        ("del action a b", "expected `del <kind> <name>`, got 'action a b'"),
        ("run flow f", "expected `run flow <name> as <run> with (k=v, …)`"),
        ("run flow f as r with (a=1 b=2)", "cannot read the args at"),
        ("run flow f as r with (a=1, a=2)", "arg 'a' is given twice"),
        ("pause action x", "expected one of flowrun"),
        ("pause flowrun", "expected `pause flowrun <name>`, got no run name"),
        ("stop flow_run", "expected `stop flowrun <name>`, got no run name"),
        ("rerun flowrun r at B", "expected `rerun flowrun <name> from <step>`"),
        ("ack r SUCCESS", "expected <flowrun>.<step>, got 'r'"),
        ("ack r.A", "expected `ack <flowrun>.<step> <STATE> [data]`"),
        ("export flow f png", "unknown format 'png'"),
        ("export action a dot", "expected one of flow, flowrun"),
        ("load", "expected `load <file.fsl>`"),
        ("help a b", "expected `help [command]`"),
    ],
)
def test_malformed_commands_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert message in caught.value.message


def test_parse_args_types() -> None:
    assert parse_args('a=`x "y"`, b=-4, c="q\\"d"') == {"a": 'x "y"', "b": -4, "c": 'q"d'}
    assert parse_args("") == {}


def test_help_covers_every_command() -> None:
    text = help_text()
    for name in COMMAND_NAMES:
        assert name in text
    assert help_text("RERUN").startswith("rerun flowrun <name> from <step>")
    assert help_text("delete").startswith("del <kind> <name>")
    with pytest.raises(CommandError, match="did you mean export"):
        help_text("exprt")
