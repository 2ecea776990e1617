"""FSL from the original project, written down once for every test that types or parses it.

`README` is the FSL block of yametech/echoer's README.md exactly as it stands there
(tabs, the odd space-indented step, `/` after each statement); `EXAMPLE_FLOW` is
`flow my_flow` from its pkg/fsm/fss/example, which the README's picture shows.
Line and column assertions depend on these texts, so they are never reformatted.
"""

from __future__ import annotations

README_ACTIONS = """\
action ci
\taddr = "http://localhost:18080/ci";
\tmethod = http;
\targs = (str project,str version,int retry_count);
\treturn = (SUCCESS | FAIL);
action_end
/

action approval
\taddr = "http://localhost:18080/approval";
\tmethod = http;
\targs = (str work_order,int version);
\treturn = (AGREE | REJECT | NEXT | FAIL);
action_end
/

action deploy_1
\taddr = "http://localhost:18080/deploy";
\tmethod = http;
\targs = (str project, int version);
\treturn = (SUCCESS | FAIL);
action_end
/

action approval_2
\taddr = "http://localhost:18080/approval2";
\tmethod = http;
\targs = (str project, int version);
\treturn = (AGREE | REJECT | FAIL);
action_end
/

action notify
\taddr = "http://localhost:18080/notify";
\tmethod = http;
\targs = (str project, int version);
\treturn = (SUCCESS | FAIL);
action_end
/
"""
"""The README's five actions, each followed by its `/` line."""

README_FLOW_RUN = """\
flow_run my_flow_run
\tstep A => (SUCCESS->D | FAIL->A) {
\t\taction = "ci";
\t\targs = (project="https://github.com/yametech/compass.git",version="v0.1.0",retry_count=10);
\t};
\tstep D => ( AGREE -> B | REJECT -> C | NEXT -> E | FAIL -> D ) {
\t\taction="approval";
\t\targs=(work_order="nz00001",version=12343);
\t};
\tstep B => (FAIL->B | SUCCESS->C) {
\t\taction="deploy_1";
\t\targs=(project="nz00001",version=12343);
\t};
\tstep E => (REJECT->C | AGREE->B | FAIL->E) {
\t\taction="approval_2";
\t\targs=(project="nz00001",version=12343);
\t};
    step C => (SUCCESS->done | FAIL->C){
        action="notify";
        args=(project="nz00001",version=12343);
    };
flow_run_end
/
"""
"""The README's `flow_run my_flow_run`, ending in its `/` line."""

README = README_ACTIONS + "\n" + README_FLOW_RUN
"""The README's whole FSL block: the actions, a blank line, the flow_run."""

README_ACTIONS_ADDRESS = "http://localhost:18080"
"""Where the README's actions live; tests that dispatch swap in a loopback service."""

EXAMPLE_FLOW = """\
flow my_flow
\tstep A => (SUCCESS->D | FAIL->A) {
        action = "ci";
\t};
\tdeci D => ( AGREE -> B | REJECT -> C | NEXT -> E | FAIL -> D ) {
\t\taction="approval";
\t};
\tstep B => (FAIL->B | SUCCESS->C) {
\t\taction="deploy_1";
\t};
\tSTEP E => (REJECT->C | AGREE->B | FAIL->E) {
\t\taction="approval_2";
\t};
    step C => (FAIL->C) {
        action="notify";
    };
flow_end
/
"""
"""`flow my_flow` of the original example (upper-case `STEP`, mixed indentation), with `/`."""

FINISHING_FLOW = EXAMPLE_FLOW.replace(
    "step C => (FAIL->C) {", "step C => (SUCCESS->done | FAIL->C) {"
)
"""`EXAMPLE_FLOW` whose last step can reach `done`, as the shell tests type it."""


EXAMPLE_STATEMENTS = [
    ("action", "ci"),
    ("action", "approval"),
    ("action", "deploy_1"),
    ("action", "approval_2"),
    ("action", "notify"),
    ("flow", "my_flow"),
    ("flow_run", "my_flow_run"),
]
"""(kind, name) of each statement of the original example, in order: the README's
actions, `EXAMPLE_FLOW`, the README's flow_run (upper_example.fss adds one more)."""


def readme_at(url: str) -> str:
    """The README's actions served at `url` (no trailing slash), then its flow_run."""
    return README.replace(README_ACTIONS_ADDRESS, url)
