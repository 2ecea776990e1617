"""`echoer check FILE…`: every problem a file would meet when loaded, found offline.

A file that parses can still be refused when loaded (an action no one defines, an
arg no action declares, a capem that is no certificate), so each file is translated
against the actions it defines itself — as if loaded into an empty store — and the
parser's and translation's diagnostics are merged as the editor's validation merges
them. It lives above `fsl` (which knows nothing of resources) and stays light: no
Textual, prompt_toolkit, engine or store, since it runs in CI and save hooks.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from echoer_tui.fsl.document import parse
from echoer_tui.fsl.excerpt import caret_excerpt
from echoer_tui.fsl.tools import for_each_source
from echoer_tui.model.diagnose import check_document


def check_files(paths: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Print `file:line:col: severity: message` for every diagnostic; 1 on any error."""
    out = out or sys.stdout

    def check(path: str, text: str) -> bool:
        diagnostics = check_document(parse(text))
        for diagnostic in diagnostics:
            span = diagnostic.span
            print(
                f"{path}:{span.line}:{span.column}: {diagnostic.severity}: {diagnostic.message}",
                file=out,
            )
            for line in caret_excerpt(text, diagnostic).splitlines():
                print(f"    {line}", file=out)
            if diagnostic.hint:
                print(f"    hint: {diagnostic.hint}", file=out)
        return not any(d.severity == "error" for d in diagnostics)

    return for_each_source(paths, check, err or sys.stderr)


__all__ = ["check_files"]
