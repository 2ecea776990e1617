"""The minimal action service the README shows really works with echoer, unchanged."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from pathlib import Path

from echoer_tui.config import Listen
from echoer_tui.demo.main import wait_until_finished
from echoer_tui.runtime import embedded

README = Path(__file__).resolve().parents[3] / "README.md"

FSL = """
action ci
    addr = "http://127.0.0.1:{port}/ci";
    method = http;
    args = (str project);
    return = (SUCCESS | FAIL);
action_end
/
flow_run readme_service_run
    step A => (SUCCESS->done | FAIL->A) {{
        action = "ci";
        args = (project = "shop");
    }};
flow_run_end
/
"""


def readme_service_code() -> str:
    text = README.read_text("utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return code


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_readme_action_service_is_dispatched_and_acks(tmp_path: Path) -> None:
    port = free_port()
    script = tmp_path / "service.py"
    script.write_text(readme_service_code().replace("port=18080", f"port={port}"), "utf-8")
    service = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert service.stdout is not None
        async with asyncio.timeout(20):
            while b"Running on" not in await service.stdout.readline():
                pass
        async with embedded(tmp_path / "data", Listen("127.0.0.1", 0)) as workbench:
            replies = await workbench.apply_fsl(FSL.format(port=port))
            assert all(r.status != "error" for r in replies), [r.render() for r in replies]
            resource = await wait_until_finished(workbench, "readme_service_run", limit=20)
        assert resource["spec"]["current_state"] == "done", resource["spec"]["last_err"]
    finally:
        service.terminate()
        await service.wait()
