"""The core and the light commands never pay for (or depend on) the UI toolkits."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "echoer_tui",
    "echoer_tui.cli",
    "echoer_tui.fsl",
    "echoer_tui.fsl.tools",
    "echoer_tui.checking",
    "echoer_tui.model.diagnose",
    "echoer_tui.model.resources",
    "echoer_tui.model.translate",
    "echoer_tui.storage",
    "echoer_tui.engine",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_ui_toolkit(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in ('textual', 'prompt_toolkit') if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "", f"{module} pulled in {result.stdout.strip()}"


def test_version_is_light() -> None:
    code = (
        "import sys\n"
        "from echoer_tui.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('textual', 'prompt_toolkit', 'lark', 'httpx', 'aiohttp')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().endswith("[]"), result.stdout
    assert result.stdout.startswith("echoer ")
