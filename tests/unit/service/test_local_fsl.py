"""FSL through the workbench (parser + translation + store + engine), and the corpus."""

from __future__ import annotations

from pathlib import Path

from echoer_tui.engine import Engine
from echoer_tui.service.commands import split_submission
from echoer_tui.service.local import LocalWorkbench
from echoer_tui.storage import Query, open_store
from tests.support.corpus import CORPUS
from tests.support.services import ActionService

SEED_ACTIONS = """action ci
    addr = "http://127.0.0.1:9/ci";
    method = http;
    args = (str project, str version, int retry_count);
    return = (SUCCESS | FAIL);
action_end
/
action approval
    addr = "http://127.0.0.1:9/approval";
    method = http;
    args = (str work_order, int version);
    return = (AGREE | REJECT | NEXT | FAIL);
action_end
/
action deploy_1
    addr = "http://127.0.0.1:9/deploy";
    method = http;
    args = (str project, int version);
    return = (SUCCESS | FAIL);
action_end
/
action approval_2
    addr = "http://127.0.0.1:9/approval2";
    method = http;
    args = (str project, int version);
    return = (AGREE | REJECT | FAIL);
action_end
/
action notify
    addr = "http://127.0.0.1:9/notify";
    method = http;
    args = (str project, int version);
    return = (AGREE | REJECT | FAIL);
action_end
/
"""

SEED_FLOW = """flow my_flow
    step A => (SUCCESS->D | FAIL->A) {
        action = "ci";
    };
    deci D => (AGREE->B | REJECT->C | NEXT->E | FAIL->D) {
        action = "approval";
    };
    step B => (FAIL->B | SUCCESS->C) {
        action = "deploy_1";
    };
    step E => (REJECT->C | AGREE->B | FAIL->E) {
        action = "approval_2";
    };
    step C => (FAIL->C) {
        action = "notify";
    };
flow_end
"""


async def test_the_seed_transcript(workbench: LocalWorkbench) -> None:
    """A flow naming an undefined action is refused; five actions answer OK; then the flow."""
    refused = await workbench.execute(SEED_FLOW)
    assert refused.status == "error"
    assert refused.text.startswith('3:18: flow my_flow, step A: action "ci" is not defined')
    assert "(not without getting action (ci) definition)" in refused.text
    assert '        action = "ci";\n                 ^~~~' in refused.text
    assert refused.diagnostics and refused.diagnostics[0].line == 3

    replies = [await workbench.execute(s) for s in split_submission(SEED_ACTIONS)]
    assert [r.render() for r in replies] == ["OK"] * 5
    assert (await workbench.execute(SEED_FLOW)).render() == "OK"
    got = await workbench.execute("get flow my_flow")
    assert got.render().startswith('R| {"metadata":{"kind":"flow","name":"my_flow",')
    assert '{"steps":[{"action_name":"ci","returns":{"FAIL":"A","SUCCESS":"D"}' in got.text


async def test_syntax_error_has_position_and_caret(workbench: LocalWorkbench) -> None:
    reply = await workbench.execute("action a\n    addr = ;\naction_end")
    assert reply.status == "error"
    assert reply.text.startswith("2:")
    assert "^" in reply.text
    assert reply.diagnostics
    assert await workbench.count("action") == 0


async def test_validate_writes_nothing(workbench: LocalWorkbench) -> None:
    validation = await workbench.validate(SEED_FLOW)
    assert not validation.ok and validation.statements == 1
    assert any("not without getting action (ci)" in d.message for d in validation.diagnostics)
    assert await workbench.count("flow") == 0


async def test_load_the_corpus_with_a_durable_store(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "data")
    bench = LocalWorkbench(
        store, Engine(store, ack_url="http://127.0.0.1:9/step"), "x", owns_store=True
    )
    await bench.start()
    try:
        reply = await bench.execute(f"load {CORPUS / 'upper_example.fss'}")
        assert reply.status == "error"
        assert "6 of 8 statements applied" in reply.text
        assert "deploy" in reply.text and "capem" in reply.text
        assert await bench.count("action") == 5
        assert await bench.count("flow") == 1
        assert await bench.count("flowrun") == 0
    finally:
        await bench.close()
    store = await open_store(tmp_path / "data")
    try:
        assert len(await store.list(Query("action"))) == 5
    finally:
        await store.close()


async def test_load_a_file_and_start_a_flow_run_from_fsl(
    workbench: LocalWorkbench, action_service: ActionService, tmp_path: Path
) -> None:
    source = tmp_path / "seed.fsl"
    source.write_text(SEED_ACTIONS.replace("http://127.0.0.1:9", action_service.url) + SEED_FLOW)
    reply = await workbench.execute(f"load {source}")
    assert reply.render() == "OK 6 statements"
    run = """flow_run r1
    step A => (SUCCESS->done | FAIL->A) {
        action = "ci";
        args = (project = "p", version = "v1", retry_count = 2);
    };
flow_run_end"""
    assert (await workbench.execute(run)).render() == "OK"
    dispatch = await action_service.next_dispatch()
    assert dispatch["flowId"] == "r1" and dispatch["retry_count"] == 2
    again = await workbench.execute(run)
    assert again.status == "error"
    assert "(flow run (r1) already exist)" in again.text
    assert again.text.startswith("1:10: ")


async def test_warnings_ride_along_an_ok(workbench: LocalWorkbench) -> None:
    await workbench.apply_fsl(SEED_ACTIONS)
    reply = await workbench.execute(
        'flow f\n    step A => (SUCCESS->done) { action = "ci"; };\nflow_end'
    )
    assert reply.render() == "OK"
    [warning] = reply.diagnostics
    assert warning.severity == "warning" and "FAIL" in warning.message
