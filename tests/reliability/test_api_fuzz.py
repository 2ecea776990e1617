"""API fuzzing: schemathesis generates requests from `/openapi.json` for every operation of a
real server (uvicorn on loopback, durable store, engine); no answer is a 5xx and every
answer fits the document.

The server runs `runtime.embedded` on its own thread and loop, as `echoer serve` does,
seeded with an action, a flow and a running flow run so that some generated names hit.
`/watch` is left out: it is an endless stream, tested in tests/unit/api/test_watch.py.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from echoer_tui.config import Listen
from echoer_tui.runtime import embedded
from tests.reliability.harness import action_fsl

SEED = """flow f
    step A => (SUCCESS->done | FAIL->A) { action = "ci"; };
flow_end
flow_run r
    step A => (SUCCESS->done | FAIL->A) { action = "ci"; args = (n = 1); };
flow_run_end
"""


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir: Path = tmp_path_factory.mktemp("api-fuzz") / "data"
    ready = threading.Event()
    found: dict[str, object] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        found["stop"], found["loop"] = stop, asyncio.get_running_loop()
        async with embedded(data_dir, Listen("127.0.0.1", 0)) as workbench:
            # `ci` points at a closed port: the run keeps retrying, so it stays live.
            await workbench.apply_fsl(action_fsl("ci", "http://127.0.0.1:9/ci") + SEED)
            found["url"] = workbench.api_url
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:  # the fixture reports it instead of hanging
            found["error"] = error
            ready.set()

    thread = threading.Thread(target=run, name="api-fuzz-server", daemon=True)
    thread.start()
    assert ready.wait(30), "the server did not start"
    assert "error" not in found, found.get("error")
    yield str(found["url"])
    loop, stop = found["loop"], found["stop"]
    assert isinstance(loop, asyncio.AbstractEventLoop) and isinstance(stop, asyncio.Event)
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
EXAMPLES = 20


def test_no_5xx_and_every_answer_fits_the_document(api_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json")
    failures: list[str] = []
    operations = 0
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/watch":
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call_and_validate(checks=CHECKS, timeout=10)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        try:
            fuzz()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {error}")
    assert operations >= 20
    # The fuzzer got past the validation layer too, not only 400s.
    assert statuses.get(200, 0) >= operations and statuses.get(404, 0) > 0, statuses
    assert not failures, "\n\n".join(failures)
