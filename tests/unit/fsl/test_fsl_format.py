"""The formatter and the `echoer check` / `echoer fmt` tools on real files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fsl_testing import shape

from echoer_tui.checking import check_files
from echoer_tui.errors import FslSyntaxError
from echoer_tui.fsl import format_document, format_text, parse
from echoer_tui.fsl.split import split_statements
from echoer_tui.fsl.tools import format_files

MESSY = """\
# the CI action
ACTION ci addr="http://a:1/x,http://b:2/y" ; method=HTTPS;secret=(capem="QUJD");
  args=(str project int n,) ; return=(OK|NO);retry=3;timeout=60;Action_End
/
flow_run "my run"
STEP A=>(OK->B|NO){action=ci;args=(project=`{"a":1}`,n=2);}
  deci B => () { action = "ci"; };   # trailing
flow_run_end
"""

CANONICAL = """\
# the CI action
action ci
    addr = "http://a:1/x,http://b:2/y";
    method = https;
    secret = (capem = "QUJD");
    args = (str project, int n);
    return = (OK | NO);
    retry = 3;
    timeout = 60;
action_end
/

flow_run "my run"
    step A => (OK->B | NO->done) {
        action = "ci";
        args = (project=`{"a":1}`, n=2);
    };
    deci B => () {
        action = "ci";
    };  # trailing
flow_run_end
/
"""


def test_canonical_layout() -> None:
    assert format_text(MESSY) == CANONICAL


def test_formatting_is_idempotent_and_keeps_the_tree(corpus: Path) -> None:
    for path in sorted(corpus.glob("*.fs*")):
        text = path.read_text()
        formatted = format_text(text)
        assert format_text(formatted) == formatted
        assert shape(parse(formatted).statements) == shape(parse(text).statements)


def test_format_document_without_comments() -> None:
    document = parse(MESSY)
    assert format_document(document) == CANONICAL.replace("# the CI action\n", "").replace(
        "  # trailing", ""
    )


def test_text_that_does_not_parse_is_refused() -> None:
    with pytest.raises(FslSyntaxError, match="3:1"):
        format_text("flow f\nstep\nflow_end\n")


def test_check_files_reports_positions_and_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.fsl"
    # CANONICAL's capem is only base64 of "ABC": it formats, but would not load.
    good.write_text((Path(__file__).resolve().parents[3] / "examples" / "readme.fsl").read_text())
    bad = tmp_path / "bad.fsl"
    bad.write_text("flow f\n    step A => (OK->Done) { action = a; };\nflow_end\n")
    assert check_files([str(good)]) == 0
    assert check_files([str(good), str(bad), str(tmp_path / "missing.fsl")]) == 1
    out, err = capsys.readouterr()
    assert f"{bad}:2:20: error: step A goes to Done on OK, but flow f has no step Done" in out
    assert "hint: did you mean done?" in out
    assert f"{tmp_path / 'missing.fsl'}: no such file" in err


def test_format_files_rewrites_and_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messy = tmp_path / "messy.fsl"
    messy.write_text(MESSY)
    broken = tmp_path / "broken.fsl"
    broken.write_text("flow f step")
    assert format_files([str(messy)], check_only=True) == 1
    assert messy.read_text() == MESSY  # --check changes nothing
    assert format_files([str(messy)]) == 0
    assert messy.read_text() == CANONICAL
    assert format_files([str(messy)], check_only=True) == 0
    assert format_files([str(broken)]) == 1
    assert broken.read_text() == "flow f step"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    out, err = capsys.readouterr()
    assert "would be reformatted" in out
    assert "not formatted" in err


def test_echoer_check_command(tmp_path: Path) -> None:
    bad = tmp_path / "bad.fsl"
    bad.write_text('action a\n    addr = "x"\n    method = http;\naction_end\n')
    result = subprocess.run(
        [sys.executable, "-m", "echoer_tui", "check", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"{bad}:2:15: error: expected ';' after the addr value" in result.stdout
    assert "Traceback" not in result.stderr


TRAILING = """\
action a  # the action
    addr = "http://h:1/a";   # where it listens
    method = http;
    return = (OK | "TIMEOUT"); # states
action_end
/
# about f

flow f
    step A => (OK->done | TIMEOUT->done) { action = "a"; }; # one-line step
flow_end # the end
"""


def test_trailing_comments_stay_on_their_line_and_every_statement_ends_in_a_slash() -> None:
    formatted = format_text(TRAILING)
    assert formatted == (
        "action a  # the action\n"
        '    addr = "http://h:1/a";  # where it listens\n'
        "    method = http;\n"
        "    return = (OK | TIMEOUT);  # states\n"
        "action_end\n"
        "/\n"
        "\n"
        "# about f\n"
        "\n"
        "flow f\n"
        "    step A => (OK->done | TIMEOUT->done) {\n"
        '        action = "a";\n'
        "    };  # one-line step\n"
        "flow_end  # the end\n"
        "/\n"
    )
    assert format_text(formatted) == formatted
    assert shape(parse(formatted).statements) == shape(parse(TRAILING).statements)
    # The shells submit at each `/` line: every chunk is exactly one statement.
    assert len(split_statements(formatted)) == 2
