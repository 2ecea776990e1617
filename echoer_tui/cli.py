"""The `echoer` command: argv in, one of the workbench, shell, server, demo or tools out.

Imports of the heavy parts (Textual, prompt_toolkit, the engine) happen inside the
subcommand that needs them, so `echoer --version` and `echoer check` stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from echoer_tui import __version__
from echoer_tui.errors import EchoerError


def _runtime_options(*, top_level: bool) -> argparse.ArgumentParser:
    """The options every engine-running command takes, before or after the command word.

    Below the top level their default is SUPPRESS, so `echoer --token T serve` keeps the
    token: a subcommand's own default would otherwise overwrite what the user typed.
    """
    default = None if top_level else argparse.SUPPRESS
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--data-dir",
        metavar="DIR",
        default=default,
        help="where the store lives (env ECHOER_DATA_DIR)",
    )
    options.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=default,
        help="where the HTTP API listens (env ECHOER_LISTEN, default 127.0.0.1:8080)",
    )
    options.add_argument(
        "--token",
        metavar="TOKEN",
        default=default,
        help="bearer token the API requires (env ECHOER_TOKEN)",
    )
    options.add_argument(
        "--server",
        metavar="URL",
        default=default,
        help="use a running `echoer serve` instead of an embedded engine",
    )
    options.add_argument(
        "--store",
        metavar="URL",
        default=default,
        help="store URL instead of the data dir: postgresql://… or tinydb://DIR (env ECHOER_STORE)",
    )
    return options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="echoer",
        description="A workbench for business flows written in FSL.",
        parents=[_runtime_options(top_level=True)],
    )
    runtime = [_runtime_options(top_level=False)]
    parser.add_argument("--version", action="version", version=f"echoer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("tui", parents=runtime, help="the full-screen workbench (the default)")
    sub.add_parser("repl", parents=runtime, help="the classic > shell")
    sub.add_parser("serve", parents=runtime, help="the engine and its HTTP API alone")
    demo = sub.add_parser(
        "demo",
        parents=runtime,
        help="everything, on a bundled example with demo action services",
    )
    demo.add_argument(
        "--repl", action="store_true", help="use the > shell instead of the workbench"
    )
    demo.add_argument(
        "--headless", action="store_true", help="run to the end and print the history"
    )
    _demo_service_options(demo)
    demo.add_argument(
        "--manual-approval", action="store_true", help="approval waits for a human ack"
    )

    actions = sub.add_parser("demo-actions", help="the demo action services on their own")
    actions.add_argument(
        "--listen",
        default="127.0.0.1:18080",
        metavar="HOST:PORT",
        help="where the services listen (default 127.0.0.1:18080, the examples' addresses)",
    )
    actions.add_argument(
        "--engine",
        default="http://localhost:8080",
        metavar="URL",
        help="the engine the acks go to, as POST URL/step (default http://localhost:8080)",
    )
    _demo_service_options(actions)

    migrate = sub.add_parser("migrate", help="copy every resource from one store to another")
    migrate.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URL",
        help="tinydb://DIR (or a directory), postgresql://… or memory://",
    )
    migrate.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="the store to copy into"
    )
    migrate.add_argument(
        "--force", action="store_true", help="replace resources whose names the target holds"
    )

    check = sub.add_parser("check", help="validate FSL files offline")
    check.add_argument("files", nargs="+", metavar="FILE")

    fmt = sub.add_parser("fmt", help="rewrite FSL files in the canonical layout")
    fmt.add_argument("files", nargs="+", metavar="FILE")
    fmt.add_argument("--check", action="store_true", help="only report files that would change")
    return parser


def run(args: argparse.Namespace) -> int:
    command = args.command or "tui"
    if command == "check":
        from echoer_tui.checking import check_files

        return check_files(args.files)
    if command == "fmt":
        from echoer_tui.fsl.tools import format_files

        return format_files(args.files, check_only=args.check)
    if command == "migrate":
        from echoer_tui.migrate import run_migrate

        return run_migrate(args)
    if command == "serve":
        from echoer_tui.runtime import serve

        return serve(args)
    if command == "repl":
        from echoer_tui.repl.shell import run_shell

        return run_shell(args)
    if command == "demo":
        from echoer_tui.demo.main import run_demo

        return run_demo(args)
    if command == "demo-actions":
        from echoer_tui.demo.main import run_demo_actions

        return run_demo_actions(args)
    from echoer_tui.app import run_workbench

    return run_workbench(args)


def _demo_service_options(parser: argparse.ArgumentParser) -> None:
    """How the demo action services answer: `demo` and `demo-actions` share these."""
    parser.add_argument("--delay", type=float, default=1.0, help="seconds a demo action takes")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of acks that FAIL")
    parser.add_argument(
        "--script", default="", help="scripted outcomes, e.g. 'A=FAIL,FAIL,SUCCESS;D=REJECT'"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except EchoerError as error:
        print(f"echoer: {error.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
