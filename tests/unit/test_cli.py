"""The `echoer` command line: options are honoured wherever they are written."""

from __future__ import annotations

import pytest

from echoer_tui.cli import build_parser


@pytest.mark.parametrize(
    "argv",
    [
        ["--data-dir", "/d", "--listen", "127.0.0.1:9", "--token", "t", "--store", "s", "serve"],
        ["serve", "--data-dir", "/d", "--listen", "127.0.0.1:9", "--token", "t", "--store", "s"],
        ["--data-dir", "/d", "--token", "t", "serve", "--listen", "127.0.0.1:9", "--store", "s"],
    ],
)
def test_runtime_options_count_before_and_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.command, args.data_dir, args.listen, args.token, args.store) == (
        "serve",
        "/d",
        "127.0.0.1:9",
        "t",
        "s",
    )


@pytest.mark.parametrize("command", ["tui", "repl", "demo"])
def test_server_before_the_command_is_kept(command: str) -> None:
    args = build_parser().parse_args(["--server", "http://127.0.0.1:1", command])
    assert args.server == "http://127.0.0.1:1"


def test_no_command_means_the_workbench_with_defaults() -> None:
    args = build_parser().parse_args([])
    assert args.command is None
    assert (args.data_dir, args.listen, args.token, args.server, args.store) == (None,) * 5


def test_unknown_option_is_refused_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", "--colour", "red"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --colour red" in capsys.readouterr().err
