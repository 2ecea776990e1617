"""The original project's FSL corpus, parsed by the real parser and translated."""

from __future__ import annotations

import echoer_tui.fsl as fsl
from echoer_tui.fsl.ast import ActionDecl
from echoer_tui.model.translate import (
    DEFINED_TWICE,
    NAME_TAKEN,
    ActionSignature,
    Catalog,
    Translation,
    translate,
    translate_statement,
)
from tests.support.corpus import CORPUS


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
    [twice] = result.statements[2].errors
    assert twice.code == DEFINED_TWICE
    assert "my_flow_run_6 is defined twice in this document (first at 9:10)" in twice.message


def test_e2e_corpus_submitted_statement_by_statement_finds_the_run_existing() -> None:
    """The original's shell sent one statement per `/`: the second run then met the first."""
    document = fsl.parse((CORPUS / "e2e_action_impl_test.fsl").read_text())
    catalog = Catalog()
    outcomes = []
    for statement in document.statements:
        result = translate_statement(statement, catalog)
        outcomes.append(result)
        if result.resource is not None:
            signature = (
                ActionSignature.from_decl(statement) if isinstance(statement, ActionDecl) else None
            )
            catalog = catalog.with_resource(result.kind, statement.name, signature)
    second = outcomes[2].errors[0]
    assert second.code == NAME_TAKEN
    assert "(flow run (my_flow_run_6) already exist)" in second.message
