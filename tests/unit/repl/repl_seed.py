"""The seed transcript: the original README's five actions and `flow my_flow`, as typed."""

from __future__ import annotations

ACTIONS = """action ci
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

FLOW = """flow my_flow
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
    step C => (SUCCESS->done | FAIL->C) {
        action="notify";
    };
flow_end
/
"""
