"""The tokenizer and the Pygments lexer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Keyword, Name, Number, Operator, String

from echoer_tui.fsl import ActionDecl, parse
from echoer_tui.fsl.highlight import FslLexer
from echoer_tui.fsl.lexer import tokenize


def kinds(text: str) -> list[tuple[str, str]]:
    return [(kind, value) for kind, value, _, _ in tokenize(text)]


def test_keywords_are_case_insensitive() -> None:
    assert kinds("STEP Flow_End flow_run_END deci") == [
        ("STEP", "STEP"),
        ("FLOW_END", "Flow_End"),
        ("FLOW_RUN_END", "flow_run_END"),
        ("DECI", "deci"),
    ]


def test_names_strings_numbers_and_arrows() -> None:
    assert kinds('step "a b" => (OK->done) `x"y` 12') == [
        ("STEP", "step"),
        ("NAME", '"a b"'),
        ("TO", "=>"),
        ("LPAR", "("),
        ("NAME", "OK"),
        ("DEST", "->"),
        ("NAME", "done"),
        ("RPAR", ")"),
        ("NAME", '`x"y`'),
        ("NUMBER", "12"),
    ]


def test_comments_commas_and_offsets() -> None:
    tokens = tokenize("a, # comment\n  b")
    assert tokens == [("NAME", "a", 0, 1), ("NAME", "b", 15, 16)]


def test_retry_and_timeout_are_clauses_and_still_names() -> None:
    text = "action a retry = 3; timeout = 4; args = (int retry, str timeout);"
    text += " return = (A); action_end"
    (action,) = parse(text).statements
    assert isinstance(action, ActionDecl)
    assert (action.retry, action.timeout) == (3, 4)
    assert [param.name for param in action.params] == ["retry", "timeout"]
    (error,) = parse("action a\n    tries = 3;\n    return = (A);\naction_end").errors
    assert (error.line, error.column) == (2, 5)
    assert error.message == "unknown action clause 'tries'"


def test_bad_input_becomes_tokens_not_exceptions() -> None:
    assert kinds('"open\n@ / x\n/\n') == [
        ("BAD_STRING", '"open'),
        ("BAD_CHAR", "@"),
        ("BAD_CHAR", "/"),
        ("NAME", "x"),
        ("SLASH", "/"),
    ]


def test_pygments_finds_the_lexer_by_name_and_file_name() -> None:
    assert isinstance(get_lexer_by_name("fsl"), FslLexer)
    assert isinstance(get_lexer_for_filename("flows.fss"), FslLexer)


def test_pygments_token_classes() -> None:
    text = 'flow_run r # c\n    step A => (OK->B | FAIL) { action = "ci"; args = (n=1); };\n'
    tokens = [(kind, value) for kind, value in FslLexer().get_tokens(text) if value.strip()]
    assert (Keyword.Declaration, "flow_run") in tokens
    assert (Name.Class, "r") in tokens
    assert (Comment.Single, "# c") in tokens
    assert (Keyword.Declaration, "step") in tokens
    assert (Name.Function, "A") in tokens
    assert (Operator, "=>") in tokens
    assert (Name.Constant, "OK") in tokens
    assert (Operator, "->") in tokens
    assert (Name.Constant, "FAIL") in tokens
    assert (String.Double, '"ci"') in tokens
    assert (Number.Integer, "1") in tokens


def test_pygmentize_command_colours_a_corpus_file(corpus: Path) -> None:
    script = (
        "import sys; from pygments.cmdline import main; "
        "sys.exit(main(['pygmentize', '-l', 'fsl', '-f', 'raw', sys.argv[1]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(corpus / "upper_example.fss")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Token.Keyword.Declaration\t'flow_run'" in result.stdout
    assert "Token.Error" not in result.stdout
