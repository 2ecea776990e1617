"""validate(allow_applied=True): what the store holds as written is no error; a different
definition under a taken name still is."""

from __future__ import annotations

from echoer_tui.service.local import LocalWorkbench
from tests.unit.service.conftest import ActionService


def document(url: str, ok_edge: str = "done") -> str:
    return (
        f'action ci\n addr = "{url}/ci";\n method = http;\n'
        " args = (str project);\n return = (OK | FAIL);\naction_end\n"
        f'flow f\n step A => (OK->{ok_edge} | FAIL->A) {{ action = "ci"; }};\nflow_end\n'
        'flow_run r\n step A => (OK->done | FAIL->A) { action = "ci"; args = (project = "p"); };\n'
        "flow_run_end\n"
    )


async def test_a_submitted_document_validates_clean_with_allow_applied(
    workbench: LocalWorkbench, action_service: ActionService
) -> None:
    text = document(action_service.url)
    assert all(r.status == "ok" for r in await workbench.apply_fsl(text))
    await action_service.next_dispatch()  # the run has moved on: its state is not its FSL

    strict = await workbench.validate(text)
    assert not strict.ok and sum("already exists" in d.message for d in strict.diagnostics) == 3

    lenient = await workbench.validate(text, allow_applied=True)
    assert lenient.ok, lenient.diagnostics
    assert not [d for d in lenient.diagnostics if d.severity == "error"]
    assert lenient.applied == ("action ci", "flow f", "flowrun r")


async def test_a_different_definition_under_a_taken_name_is_still_an_error(
    workbench: LocalWorkbench, action_service: ActionService
) -> None:
    assert all(r.status == "ok" for r in await workbench.apply_fsl(document(action_service.url)))
    changed = document(action_service.url, ok_edge="A")  # flow f now loops on OK
    validation = await workbench.validate(changed, allow_applied=True)
    assert validation.applied == ("action ci", "flowrun r")
    errors = [d for d in validation.diagnostics if d.severity == "error"]
    assert len(errors) == 1 and 'a flow named "f" already exists' in errors[0].message
    # The same statement twice: the second is a new resource under a taken name.
    action = document(action_service.url).split("flow f")[0]
    twice = await workbench.validate(action + action, allow_applied=True)
    assert twice.applied == ("action ci",)
    assert [d.line for d in twice.diagnostics if d.severity == "error"] == [7]
