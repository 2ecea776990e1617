"""What the workbench's validation shows: the parser's and translation's findings, once each."""

from __future__ import annotations

from echoer_tui.service.local import LocalWorkbench


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
