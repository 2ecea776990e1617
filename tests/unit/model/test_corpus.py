"""The original project's FSL corpus, parsed by the real parser and translated."""

from __future__ import annotations

from pathlib import Path

import echoer_tui.fsl as fsl
from echoer_tui.model.translate import Catalog, Translation, translate

CORPUS = Path("/work/shared/fsl-corpus")


def corpus_translation(name: str) -> Translation:
    document = fsl.parse((CORPUS / name).read_text())
    assert document.ok, document.diagnostics
    return translate(document.statements, Catalog())


def test_upper_example_corpus() -> None:
    result = corpus_translation("upper_example.fss")
    by_name = {s.name: s for s in result.statements}
    assert [by_name[n].ok for n in ("ci", "approval", "deploy_1", "approval_2", "notify")] == [
        True
    ] * 5
    assert by_name["my_flow"].ok
    run = by_name["my_flow_run"]
    assert not run.ok
    messages = " ".join(d.message for d in run.errors)
    assert 'step B: action "deploy" is not defined' in messages
    assert "(not without getting action (deploy) definition)" in messages
    https = by_name["ci_https"]
    assert not https.ok
    assert "capem is not a valid base64 PEM" in https.errors[0].message


def test_e2e_corpus_refuses_the_second_run_of_the_same_name() -> None:
    result = corpus_translation("e2e_action_impl_test.fsl")
    outcomes = [(s.name, s.ok) for s in result.statements]
    assert outcomes == [
        ("my_action", True),
        ("my_flow_run_6", True),
        ("my_flow_run_6", False),
        ("my_flow_run_28", True),
    ]
    assert "(flow run (my_flow_run_6) already exist)" in result.statements[2].errors[0].message


def test_string_bug_corpus_needs_its_action() -> None:
    result = corpus_translation("20201123_string_bug.fss")
    [statement] = result.statements
    assert "not without getting action (artifactoryCD) definition" in statement.errors[0].message
