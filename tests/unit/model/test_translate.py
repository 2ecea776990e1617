"""Translation of FSL trees into resources: the original's checks, ours, and their positions."""

from __future__ import annotations

import base64
import json

import pytest

from echoer_tui.errors import TranslationError
from echoer_tui.model.resources import Resource
from echoer_tui.model.translate import (
    GRPC_REFUSED,
    ActionSignature,
    Catalog,
    instantiate,
    translate,
    translate_statement,
)
from tests.unit.model.builders import action, flow, flow_run, seed_actions, seed_flow, step

PEM = """-----BEGIN CERTIFICATE-----
MIIBhjCCAS2gAwIBAgIUPQVhYt8ES+oN13qwVXY64uNG4hgwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZWNob2VyLXRlc3QtY2EwHhcNMjYxMjA0MjAxMjMyWhcNMzYx
MjAxMjAxMjMyWjAZMRcwFQYDVQQDDA5lY2hvZXItdGVzdC1jYTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABLzheL/iFKdoZLmO6kbA5QFGNwvBydM6R5V6Ok0q29tS
grnyeIlpbdD9M0iS6jfghj94sw41Y9ylSJunpRF+M4+jUzBRMB0GA1UdDgQWBBTH
2LBOSVAUOGPk5J79zFrDMKlCOTAfBgNVHSMEGDAWgBTH2LBOSVAUOGPk5J79zFrD
MKlCOTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIB0Ca/H7qfDM
VLhciQSdZO9Y1DX5QQPbWPfUoM4O+lBlAiA1iaa8M/O5Z06Cm6WxloA/wJ7u21CI
tt+b9l55LxlWnw==
-----END CERTIFICATE-----
"""
"""A throwaway self-signed test CA (public certificate only)."""


def seeded() -> Catalog:
    result = translate(seed_actions(), Catalog())
    assert result.ok
    return Catalog.from_resources(result.resources)


def errors(result):  # type: ignore[no-untyped-def]
    return [d for d in result.diagnostics if d.severity == "error"]


def warnings(result):  # type: ignore[no-untyped-def]
    return [d for d in result.diagnostics if d.severity == "warning"]


def test_seed_flow_translates_to_the_original_json() -> None:
    result = translate([*seed_actions(), seed_flow()], Catalog())
    assert result.ok
    my_flow = result.statements[-1].resource
    assert my_flow is not None
    text = json.dumps(my_flow, sort_keys=True, separators=(",", ":"))
    assert text.startswith(
        '{"metadata":{"created_time":0.0,"kind":"flow","labels":{},"name":"my_flow"'
    )
    steps = my_flow["spec"]["steps"]
    assert [(s["action_name"], s["returns"]) for s in steps] == [
        ("ci", {"SUCCESS": "D", "FAIL": "A"}),
        ("approval", {"AGREE": "B", "REJECT": "C", "NEXT": "E", "FAIL": "D"}),
        ("deploy_1", {"FAIL": "B", "SUCCESS": "C"}),
        ("approval_2", {"REJECT": "C", "AGREE": "B", "FAIL": "E"}),
        ("notify", {"FAIL": "C"}),
    ]
    assert '"steps":[{"action_name":"ci","name":"A","returns":{"FAIL":"A","SUCCESS":"D"}' in text
    assert [(s["name"], s["type"]) for s in steps] == [
        ("A", "step"),
        ("D", "deci"),
        ("B", "step"),
        ("E", "step"),
        ("C", "step"),
    ]
    # It round-trips through the typed model.
    assert Resource.from_dict(my_flow).to_dict() == my_flow


def test_action_resource_shape() -> None:
    decl = action(
        "ci",
        {"project": "str", "retry_count": "int"},
        ["SUCCESS", "FAIL"],
        addr=" http://a:1/x , http://b:2/y ",
    )
    result = translate_statement(decl, Catalog())
    assert result.ok and result.kind == "action"
    spec = result.resource["spec"]  # type: ignore[index]
    assert spec["serve_type"] == 0
    assert spec["endpoints"] == ["http://a:1/x", "http://b:2/y"]
    assert spec["params"] == {"project": 0, "retry_count": 1}
    assert spec["return_states"] == ["SUCCESS", "FAIL"]
    assert spec["retry"] == 3 and spec["timeout"] == 0
    assert spec["ca_pem"] == ""


def test_https_action_with_valid_capem() -> None:
    capem = base64.b64encode(PEM.encode()).decode()
    wrapped = "\n".join(capem[i : i + 40] for i in range(0, len(capem), 40))
    assert translate_statement(
        action("sec2", {}, ["OK"], method="https", capem=wrapped), Catalog()
    ).ok
    result = translate_statement(action("sec", {}, ["OK"], method="https", capem=capem), Catalog())
    assert result.ok
    assert result.resource["spec"]["serve_type"] == 2  # type: ignore[index]
    assert result.resource["spec"]["ca_pem"] == capem  # type: ignore[index]


@pytest.mark.parametrize(
    ("capem", "why"),
    [
        ("xxadsa", "is not base64"),
        (base64.b64encode(b"hello world").decode(), "without -----BEGIN"),
        (base64.b64encode(b"\xff\xfe\x00").decode(), "binary"),
        (
            base64.b64encode(
                b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
            ).decode(),
            "no usable certificate",
        ),
    ],
)
def test_https_action_with_bad_capem_is_an_error(capem: str, why: str) -> None:
    decl = action("ci_https", {}, ["OK"], method="https", capem=capem)
    result = translate_statement(decl, Catalog())
    assert not result.ok
    [err] = result.errors
    assert err.span == decl.capem_span
    assert "action ci_https" in err.message and "capem" in err.message and why in err.message


def test_grpc_is_refused() -> None:
    decl = action("g", {}, ["OK"], method="grpc")
    result = translate_statement(decl, Catalog())
    [err] = result.errors
    assert GRPC_REFUSED in err.message
    assert "only http and https actions can be dispatched" in err.message
    assert err.span == decl.method_span


def test_action_name_taken() -> None:
    decl = action("ci", {}, ["OK"])
    result = translate_statement(decl, seeded())
    [err] = result.errors
    assert err.message == (
        'action ci: an action named "ci" already exists (action (ci) already exist)'
    )
    assert err.span == decl.name_span


def test_same_name_twice_in_one_document() -> None:
    first, second = action("x", {}, ["OK"]), action("x", {}, ["OK"])
    result = translate([first, second], Catalog())
    assert result.statements[0].ok
    assert not result.statements[1].ok
    [twice] = result.statements[1].errors
    assert twice.code == "defined-twice"
    assert "already exists" not in twice.message


def test_undefined_action_keeps_the_original_words() -> None:
    decl = flow_run(
        "my_flow_run",
        step("A", "ci", "SUCCESS->B", {"project": "p", "version": "v", "retry_count": 1}),
        step("B", "deploy", "SUCCESS->done", {"env": "release"}),
    )
    result = translate_statement(decl, seeded())
    assert not result.ok
    [err, env] = result.errors
    assert err.message == (
        'flow_run my_flow_run, step B: action "deploy" is not defined '
        "(not without getting action (deploy) definition)"
    )
    assert err.span == decl.steps[1].action_span
    assert err.hint == "did you mean deploy_1?"
    # `env` is declared by no action at all, so it is wrong whatever `deploy` will be.
    assert env.message == (
        'flow_run my_flow_run, step B: arg "env" is declared by no action '
        '(and action "deploy" is not defined)'
    )
    assert env.span == decl.steps[1].args[0].span


def test_args_of_an_undefined_action_that_some_action_declares_are_not_flagged() -> None:
    decl = flow_run("r", step("A", "build", "OK->done", {"project": "p"}))
    result = translate_statement(decl, seeded())
    assert [e.message for e in result.errors] == [
        'flow_run r, step A: action "build" is not defined '
        "(not without getting action (build) definition)"
    ]


def test_args_of_a_refused_action_of_the_same_document_are_not_flagged_again() -> None:
    # base64 of "xxadsa": no PEM, so the action is refused
    broken = action("ci", {"project": "str"}, ["SUCCESS"], method="https", capem="eHhhZHNh")
    run = flow_run("r", step("A", "ci", "SUCCESS->done", {"project": "p"}))
    result = translate([broken, run], Catalog())
    assert not result.statements[0].ok
    messages = [e.message for e in result.statements[1].errors]
    assert len(messages) == 1 and 'action "ci" is not defined' in messages[0]


@pytest.mark.parametrize(
    ("decl", "message"),
    [
        (flow_run("idle"), "flow_run idle has no steps; a flow run needs at least one step"),
        (flow("idle"), "flow idle has no steps; a flow needs at least one step"),
    ],
)
def test_a_statement_without_steps_is_refused(decl: object, message: str) -> None:
    result = translate([decl], Catalog())  # type: ignore[list-item]
    [statement] = result.statements
    assert not statement.ok
    assert [e.message for e in statement.errors] == [message]
    assert statement.errors[0].span == statement.statement.name_span


def test_arg_not_declared() -> None:
    decl = flow_run(
        "r",
        step(
            "B",
            "deploy_1",
            "SUCCESS->done | FAIL->done",
            {"project": "p", "version": 1, "env": "x"},
        ),
    )
    result = translate_statement(decl, seeded())
    [err] = result.errors
    assert 'step B: arg "env" is not declared by action "deploy_1"' in err.message
    assert "(step (B) args (env) not defined)" in err.message
    assert err.span == decl.steps[0].args[2].span


def test_arg_wrong_type_both_ways() -> None:
    decl = flow_run(
        "r",
        step(
            "A",
            "ci",
            "SUCCESS->done | FAIL->done",
            {"project": 5, "version": "v", "retry_count": "ten"},
        ),
    )
    result = translate_statement(decl, seeded())
    msgs = [e.message for e in result.errors]
    assert len(msgs) == 2
    assert 'arg "project" is int 5, but action "ci" declares it str' in msgs[0]
    assert "(step (A) args (project) illegal type)" in msgs[0]
    assert 'arg "retry_count" is str \'ten\', but action "ci" declares it int' in msgs[1]
    assert [e.span for e in result.errors] == [
        decl.steps[0].args[0].span,
        decl.steps[0].args[2].span,
    ]


def test_missing_declared_arg_is_an_error() -> None:
    decl = flow_run(
        "r", step("A", "ci", "SUCCESS->done | FAIL->done", {"project": "p", "version": "v"})
    )
    result = translate_statement(decl, seeded())
    [err] = result.errors
    assert err.message == (
        'flow_run r, step A: arg "retry_count" (int) that action "ci" declares is not given'
    )
    assert err.span == decl.steps[0].name_span


def test_return_state_not_declared() -> None:
    decl = flow("f", step("A", "ci", "SUCCESS->done | FAIL->done | MAYBE->done"))
    result = translate_statement(decl, seeded())
    [err] = result.errors
    assert (
        'flow f, step A: return state "MAYBE" is not one action "ci" declares (SUCCESS | FAIL)'
        in (err.message)
    )
    assert "(step (A) return state (MAYBE) illegal type)" in err.message
    assert err.span == decl.steps[0].edges[2].span


def test_edge_to_missing_step() -> None:
    decl = flow("f", step("A", "ci", "SUCCESS->Z | FAIL->done"))
    result = translate_statement(decl, seeded())
    [err] = result.errors
    assert err.message == 'flow f, step A: edge SUCCESS->Z leads to step "Z", which does not exist'
    assert err.span == decl.steps[0].edges[0].target_span


def test_flow_and_flow_run_names_taken() -> None:
    catalog = Catalog.from_resources(
        [
            *translate(seed_actions(), Catalog()).resources,
            {"metadata": {"kind": "flow", "name": "f"}, "spec": {}},
            {"metadata": {"kind": "flowrun", "name": "r"}, "spec": {}},
        ]
    )
    f = translate_statement(flow("f", step("A", "ci", "SUCCESS->done | FAIL->done")), catalog)
    assert 'a flow named "f" already exists' in f.errors[0].message
    r = translate_statement(
        flow_run(
            "r",
            step(
                "A",
                "ci",
                "SUCCESS->done | FAIL->done",
                {"project": "p", "version": "v", "retry_count": 1},
            ),
        ),
        catalog,
    )
    assert "(flow run (r) already exist)" in r.errors[0].message


def test_flow_takes_no_args() -> None:
    decl = flow("f", step("A", "ci", "SUCCESS->done | FAIL->done", {"project": "p"}))
    result = translate_statement(decl, seeded())
    [err] = result.errors
    assert "a flow takes no args" in err.message
    assert err.span == decl.steps[0].args[0].span


def test_warnings_unhandled_state_and_unreached_step() -> None:
    decl = flow(
        "f",
        step("A", "ci", "SUCCESS->done"),
        step("B", "ci", "SUCCESS->done | FAIL->B"),
    )
    result = translate_statement(decl, seeded())
    assert result.ok  # warnings do not refuse
    msgs = [(w.span, w.message) for w in result.diagnostics if w.severity == "warning"]
    assert msgs == [
        (
            decl.steps[0].name_span,
            'flow f, step A: action "ci" can return FAIL, which this step does not handle; '
            "the run would stop there",
        ),
        (decl.steps[1].name_span, "flow f, step B: no edge leads to this step; it can never run"),
    ]


def test_empty_returns_mean_done_whatever() -> None:
    decl = flow("f", step("A", "ci", ""))
    result = translate_statement(decl, seeded())
    assert result.ok and result.diagnostics == ()
    assert result.resource["spec"]["steps"][0]["returns"] == {}  # type: ignore[index]


def test_flow_run_resource_shape() -> None:
    decl = flow_run(
        "run1",
        step(
            "A",
            "ci",
            "SUCCESS->done | FAIL->A",
            {"project": "p", "version": "v", "retry_count": 10},
        ),
    )
    result = translate_statement(decl, seeded())
    assert result.ok and result.kind == "flowrun"
    run = result.resource
    assert run is not None
    assert run["metadata"]["kind"] == "flowrun" and run["metadata"]["uuid"]
    assert run["spec"]["current_state"] == "ready"
    assert run["spec"]["history_states"] == []
    [s] = run["spec"]["steps"]
    assert s["metadata"]["name"] == "A" and s["metadata"]["kind"] == "step"
    assert s["spec"]["type"] == "step"
    assert s["spec"]["flow_id"] == "run1"
    assert s["spec"]["flow_run_uuid"] == run["metadata"]["uuid"]
    assert s["spec"]["action_run"] == {
        "action_name": "ci",
        "action_params": {"project": "p", "version": "v", "retry_count": 10},
        "return_state_map": {"SUCCESS": "done", "FAIL": "A"},
        "done": False,
    }
    assert Resource.from_dict(run).to_dict() == run


def test_actions_defined_earlier_in_the_document_are_seen() -> None:
    result = translate(
        [action("a", {"n": "int"}, ["OK"]), flow_run("r", step("S", "a", "OK->done", {"n": 1}))],
        Catalog(),
    )
    assert result.ok


def test_a_refused_action_is_not_seen_later() -> None:
    result = translate(
        [action("a", {}, ["OK"], method="grpc"), flow("f", step("S", "a", "OK->done"))],
        Catalog(),
    )
    assert not result.statements[0].ok
    assert "not without getting action (a) definition" in result.statements[1].errors[0].message


# --- instantiate ---------------------------------------------------------------------


def seeded_flow() -> tuple[dict, dict[str, ActionSignature]]:  # type: ignore[type-arg]
    result = translate([*seed_actions(), seed_flow()], Catalog())
    catalog = Catalog.from_resources(result.resources)
    assert result.statements[-1].resource is not None
    return result.statements[-1].resource, dict(catalog.actions)


SEED_ARGS: dict[str, str | int] = {
    "project": "https://github.com/yametech/compass.git",
    "version": "v0.1.0",
    "retry_count": 10,
    "work_order": "nz00001",
}


def test_instantiate_gives_each_arg_to_every_step_declaring_it() -> None:
    flow_resource, actions = seeded_flow()
    # version is str for ci but int for approval: one value cannot fit both.
    with pytest.raises(TranslationError) as caught:
        instantiate(flow_resource, "r1", SEED_ARGS, actions)
    assert 'step D: arg "version" is str \'v0.1.0\', but action "approval" declares it int' in (
        caught.value.message
    )


def test_instantiate_builds_a_ready_run() -> None:
    a = translate(
        [
            action("build", {"project": "str", "n": "int"}, ["OK", "KO"]),
            action("ship", {"project": "str"}, ["OK"]),
            flow("pipe", step("B", "build", "OK->S | KO->B"), step("S", "ship", "OK->done")),
        ],
        Catalog(),
    )
    flow_resource = a.statements[-1].resource
    actions = dict(Catalog.from_resources(a.resources).actions)
    run = instantiate(flow_resource, "pipe-1", {"project": "x", "n": 2}, actions)  # type: ignore[arg-type]
    assert run["metadata"]["name"] == "pipe-1"
    assert run["spec"]["flow_name"] == "pipe"
    assert run["spec"]["current_state"] == "ready"
    assert [s["spec"]["action_run"]["action_params"] for s in run["spec"]["steps"]] == [
        {"project": "x", "n": 2},
        {"project": "x"},
    ]
    assert run["spec"]["steps"][0]["spec"]["action_run"]["return_state_map"] == {
        "OK": "S",
        "KO": "B",
    }

    with pytest.raises(TranslationError) as missing:
        instantiate(flow_resource, "pipe-2", {"project": "x"}, actions)  # type: ignore[arg-type]
    assert 'arg "n" (int) is not given (step B needs it)' in missing.value.message
    assert "with (…, n=…)" in missing.value.message
    # An arg several steps need is named once, with the steps.
    with pytest.raises(TranslationError) as both:
        instantiate(flow_resource, "pipe-2", {"n": 1}, actions)  # type: ignore[arg-type]
    assert both.value.message.count('arg "project"') == 1
    assert 'arg "project" (str) is not given (steps B, S need it)' in both.value.message

    with pytest.raises(TranslationError) as extra:
        instantiate(flow_resource, "pipe-3", {"project": "x", "n": 1, "zzz": 1}, actions)  # type: ignore[arg-type]
    assert 'arg "zzz" is declared by no action of flow pipe' in extra.value.message

    with pytest.raises(TranslationError) as gone:
        instantiate(flow_resource, "pipe-4", {"project": "x", "n": 1}, {})  # type: ignore[arg-type]
    assert "not without getting action (build) definition" in gone.value.message
