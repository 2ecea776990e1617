"""How typed and pasted lines become statements: the original shell's `/` rule, plus one-liners."""

from __future__ import annotations

from echoer_tui.repl.collector import StatementCollector, is_exit

ACTION_CI = """action ci
\taddr = "http://localhost:18080/ci";
\tmethod = http;
\targs = (str project,str version,int retry_count);
\treturn = (SUCCESS | FAIL);
action_end
/"""


def test_lines_are_held_until_one_ends_with_a_slash() -> None:
    collector = StatementCollector()
    lines = ACTION_CI.splitlines()
    for line in lines[:-1]:
        assert collector.feed(line) == []
        assert collector.in_statement
    (statement,) = collector.feed(lines[-1])
    assert statement.startswith("action ci\n\taddr")
    assert statement.endswith("action_end")
    assert not collector.in_statement


def test_the_slash_may_close_the_last_line_itself() -> None:
    collector = StatementCollector()
    assert collector.feed("flow_run r") == []
    assert collector.feed("  step A => () { action = ci; };") == []
    assert collector.feed("flow_run_end/") == [
        "flow_run r\n  step A => () { action = ci; };\nflow_run_end"
    ]


def test_statements_pasted_at_once_come_out_in_order() -> None:
    paste = "\n\n".join(ACTION_CI.replace("ci", name) for name in ("a1", "a2", "a3"))
    statements = StatementCollector().feed_text(paste)
    assert [s.split()[1] for s in statements] == ["a1", "a2", "a3"]


def test_one_line_commands_run_without_a_slash() -> None:
    collector = StatementCollector()
    assert collector.feed("list flow") == ["list flow"]
    assert collector.feed("  get flow my_flow  ") == ["get flow my_flow"]
    assert collector.feed("help/") == ["help"]
    assert collector.feed("GET FLOW x") == ["GET FLOW x"]


def test_a_one_liner_inside_an_fsl_statement_is_part_of_it() -> None:
    collector = StatementCollector()
    assert collector.feed("flow f") == []
    assert collector.feed("list flow") == []
    assert collector.feed("flow_end/") == ["flow f\nlist flow\nflow_end"]


def test_fsl_openers_and_comments_wait_for_the_slash_in_any_case() -> None:
    for opener in ("action x", "FLOW y", "Flow_Run z", "# a comment first"):
        collector = StatementCollector()
        assert collector.feed(opener) == []
        assert collector.in_statement


def test_blank_lines_and_bare_slashes_between_statements_are_skipped() -> None:
    collector = StatementCollector()
    assert collector.feed("") == []
    assert collector.feed("   ") == []
    assert collector.feed("/") == []
    assert not collector.in_statement


def test_clear_forgets_the_unfinished_statement() -> None:
    collector = StatementCollector()
    collector.feed("action half")
    collector.clear()
    assert not collector.in_statement
    assert collector.feed("list action") == ["list action"]


def test_exit_in_any_case() -> None:
    assert is_exit("exit")
    assert is_exit("  EXIT ")
    assert is_exit("Exit/")
    assert is_exit("quit")
    assert not is_exit("exit now")
    assert not is_exit("get flow exit")


def test_would_complete_is_what_enter_uses() -> None:
    collector = StatementCollector()
    assert collector.would_complete("")
    assert collector.would_complete("list flow")
    assert collector.would_complete("exit")
    assert not collector.would_complete("action ci")
    assert not collector.would_complete('action ci\n  addr = "x";')
    assert collector.would_complete(ACTION_CI)
    assert not collector.would_complete(ACTION_CI + "\naction next")
    # Asking never changes what is held.
    assert not collector.in_statement
    collector.feed("flow f")
    assert not collector.would_complete("list flow")
    assert collector.would_complete("flow_end/")
    assert collector.pending == ["flow f"]
