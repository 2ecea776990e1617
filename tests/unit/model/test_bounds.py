"""`retry` and `timeout` are bounded at translation, with the bound in the message."""

from __future__ import annotations

import pytest

import echoer_tui.fsl as fsl
from echoer_tui.fsl.incremental import IncrementalParser
from echoer_tui.model.diagnose import check_document
from echoer_tui.model.translate import MAX_RETRY, MAX_TIMEOUT, Catalog, translate

TEMPLATE = (
    "action a\n"
    '    addr = "http://127.0.0.1:1/x";\n'
    "    method = http;\n"
    "    return = (OK);\n"
    "    {clause}\n"
    "action_end\n"
)


def _errors(clause: str) -> tuple[str, list[fsl.Diagnostic]]:
    text = TEMPLATE.format(clause=clause)
    document = fsl.parse(text)
    assert document.ok, document.diagnostics
    return text, [d for d in check_document(document) if d.severity == "error"]


@pytest.mark.parametrize("retry", [MAX_RETRY + 1, 100000])
def test_retry_over_the_bound_is_an_error_at_the_number(retry: int) -> None:
    text, [error] = _errors(f"retry = {retry};")
    assert f"between 0 and {MAX_RETRY}" in error.message
    assert text[error.span.start : error.span.end] == str(retry)


@pytest.mark.parametrize("timeout", [MAX_TIMEOUT + 1, 10**12])
def test_timeout_over_the_bound_is_an_error_at_the_number(timeout: int) -> None:
    text, [error] = _errors(f"timeout = {timeout};")
    assert f"between 1 and {MAX_TIMEOUT}" in error.message
    assert "0 for none" in error.message
    assert text[error.span.start : error.span.end] == str(timeout)


@pytest.mark.parametrize(
    ("clause", "field", "value"),
    [
        ("retry = 0;", "retry", 0),
        (f"retry = {MAX_RETRY};", "retry", MAX_RETRY),
        ("timeout = 0;", "timeout", 0),
        (f"timeout = {MAX_TIMEOUT};", "timeout", MAX_TIMEOUT),
    ],
)
def test_values_at_the_bounds_are_accepted(clause: str, field: str, value: int) -> None:
    document = fsl.parse(TEMPLATE.format(clause=clause))
    result = translate(document.statements, Catalog())
    assert result.ok, result.diagnostics
    assert result.resources[0]["spec"][field] == value


def test_incremental_parse_moves_the_number_spans() -> None:
    text = TEMPLATE.format(clause="retry = 3;\n    timeout = 5;")
    parser = IncrementalParser()
    parser.update(text)
    moved = "# a comment above\n\n" + text
    assert parser.update(moved).statements == fsl.parse(moved).statements
