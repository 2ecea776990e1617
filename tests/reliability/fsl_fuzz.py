"""Inputs and the one check shared by the FSL fuzzers (hypothesis here, atheris in bench).

Text is built from FSL fragments — keywords in any case, names, punctuation, strings,
numbers, comments, the shell's `/` — and from mutations of real corpus files, so most
inputs get deep into the grammar and the translator instead of failing at the first
character. The check: parse, translate against a catalog that knows a few actions,
format; nothing raises, and every diagnostic's span lies inside the text with
line/column agreeing with its offsets.
"""

from __future__ import annotations

from pathlib import Path

from echoer_tui.fsl import Diagnostic, Span, format_text, parse
from echoer_tui.model.translate import ActionSignature, Catalog, translate

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted(
    [
        *(ROOT / "examples").glob("*.fsl"),
        *(ROOT / "tests/unit/fsl/corpus").rglob("*.fs*"),
    ]
)
SEEDS = [p.read_text(errors="replace") for p in CORPUS if p.is_file()]

FRAGMENTS = [
    *("action", "ACTION", "Action", "action_end", "flow", "flow_end", "flow_run"),
    *("flow_run_end", "FLOW_RUN_END", "step", "deci", "STEP", "addr", "method"),
    *("http", "https", "grpc", "args", "return", "retry", "timeout", "secret", "capem"),
    *("str", "int", "done", "DONE", "SUCCESS", "FAIL", "TIMEOUT", "ci", "A", "B", "x_1"),
    *(" ", "  ", "\n", "\t", "\r\n", ";", "=", "(", ")", "{", "}", "|", "->", "=>", ","),
    *('"', "`", '"ci"', '"http://127.0.0.1:8080/ci"', "`raw`", '""', '"é\\"', "#", "# c\n"),
    *("/", "\n/\n", "0", "42", "-1", "99999999999999999999", "é", "🙂", "\x00", "\ufeff"),
    *("step A => (SUCCESS->done | FAIL->A) {", 'action = "ci";', "args = (a = 1);", "};"),
]

CATALOG = Catalog(
    actions={
        "ci": ActionSignature("ci", {"project": "str", "a": "int"}, ("SUCCESS", "FAIL")),
        "x_1": ActionSignature("x_1", {}, ("A", "B", "TIMEOUT")),
    },
    names={"action": frozenset({"ci", "x_1"}), "flow": frozenset({"taken"})},
)


def check_span(text: str, span: Span, where: str) -> None:
    assert 0 <= span.start <= span.end <= len(text), (where, span, len(text))
    assert span == Span.at(text, span.start, span.end) or span.start == span.end, (where, span)
    assert 1 <= span.line <= span.end_line <= text.count("\n") + 1, (where, span)


def check_diagnostic(text: str, diagnostic: Diagnostic, where: str) -> None:
    assert diagnostic.message.strip(), (where, diagnostic)
    assert diagnostic.severity in ("error", "warning", "info"), (where, diagnostic)
    check_span(text, diagnostic.span, f"{where}: {diagnostic.message}")


def exercise(text: str) -> None:
    """Parse, translate and format `text`; raise AssertionError on any broken promise."""
    document = parse(text)
    for diagnostic in document.diagnostics:
        check_diagnostic(text, diagnostic, "parse")
    translation = translate(document.statements, CATALOG)
    for diagnostic in translation.diagnostics:
        check_diagnostic(text, diagnostic, "translate")
    for resource in translation.resources:
        assert resource["metadata"]["name"] and resource["metadata"]["kind"]
    if document.ok:
        formatted = format_text(text)
        again = parse(formatted)
        assert again.ok, [str(d) for d in again.errors]
