"""What the workbench's validation shows: the parser's and translation's findings, once each."""

from __future__ import annotations

from echoer_tui.service.local import LocalWorkbench


async def test_an_empty_flow_run_is_refused_with_one_diagnostic(workbench: LocalWorkbench) -> None:
    text = "flow_run idle\nflow_run_end\n"
    validation = await workbench.validate(text)
    assert [(d.severity, d.message) for d in validation.diagnostics] == [
        ("error", "flow_run idle has no steps; a flow run needs at least one step")
    ]
    [reply] = await workbench.apply_fsl(text)
    assert reply.status == "error"
    assert "a flow run needs at least one step" in reply.text
    assert await workbench.count("flowrun") == 0


async def test_a_bad_capem_is_one_error_not_an_error_and_a_warning(
    workbench: LocalWorkbench,
) -> None:
    text = (
        'action a\n addr = "https://127.0.0.1:9/a";\n method = https;\n'
        ' secret = (capem = "xxadsa");\n args = ();\n return = (OK);\naction_end\n'
    )
    validation = await workbench.validate(text)
    at_capem = [d for d in validation.diagnostics if d.line == 4]
    assert [d.severity for d in at_capem] == ["error"]
    assert "capem is not a valid base64 PEM certificate" in at_capem[0].message
