"""The wire protocol with action services (ARCHITECTURE.md): the dispatch body and the ack.

Byte-compatible with the original echoer: existing action services read the dispatch
body and POST the ack unchanged. Parsing an ack never touches the store; a body that
does not fit raises AckError naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from echoer_tui.errors import AckError

ACK_FIELDS = ("flowId", "stepName", "ackState", "uuid", "done", "data", "globalVariables")


def dispatch_body(
    args: Mapping[str, Any],
    *,
    run: str,
    step: str,
    ack_states: Sequence[str],
    uuid: str,
    global_variables: Mapping[str, Any],
) -> dict[str, Any]:
    """What the engine POSTs to an action: the typed args, then the protocol keys."""
    body = dict(args)
    body["flowId"] = run
    body["stepName"] = step
    body["ackStates"] = list(ack_states)
    body["uuid"] = uuid
    body["globalVariables"] = dict(global_variables)
    return body


@dataclass(frozen=True, slots=True)
class Ack:
    """One acknowledgement from an action service (or a person), checked for shape."""

    uuid: str
    state: str
    done: bool = False
    data: str = ""
    global_variables: Mapping[str, Any] = field(default_factory=dict)
    flow_id: str = ""
    step_name: str = ""

    @classmethod
    def parse(cls, body: object) -> Ack:
        """The ack in `body`; AckError names the first field that is wrong."""
        if not isinstance(body, Mapping):
            raise AckError(
                "an ack must be a JSON object with uuid, ackState and done", field="body"
            )
        uuid = body.get("uuid")
        if not isinstance(uuid, str) or not uuid.strip():
            raise AckError("uuid must be the non-empty id of a step attempt", field="uuid")
        state = body.get("ackState", "")
        if not isinstance(state, str):
            raise AckError(
                "ackState must be a string (one of the action's states)", field="ackState"
            )
        done = body.get("done", False)
        if not isinstance(done, bool):
            raise AckError("done must be true or false", field="done")
        if done and not state:
            raise AckError("a final ack (done: true) needs an ackState", field="ackState")
        data = body.get("data", "")
        if data is None:
            data = ""
        if not isinstance(data, str):
            raise AckError("data must be a string", field="data")
        gv = body.get("globalVariables") or {}
        if not isinstance(gv, Mapping):
            raise AckError("globalVariables must be a JSON object", field="globalVariables")
        names = {}
        for key in ("flowId", "stepName"):
            value = body.get(key, "")
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise AckError(f"{key} must be a string", field=key)
            names[key] = value
        return cls(
            uuid=uuid.strip(),
            state=state,
            done=done,
            data=data,
            global_variables=dict(gv),
            flow_id=names["flowId"],
            step_name=names["stepName"],
        )
