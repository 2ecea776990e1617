"""FSL, the flow script language: parse, check, format, complete and highlight it.

Text goes in; frozen dataclasses from `ast` (or diagnostics) come out. Nothing here
knows about storage, the engine or any user interface, and nothing here raises on bad
input: `parse` always returns a `Document`.
"""

from __future__ import annotations

from echoer_tui.fsl.ast import (
    DONE,
    ActionDecl,
    ArgValue,
    Diagnostic,
    Document,
    Edge,
    FlowDecl,
    FlowRunDecl,
    ParamDecl,
    Span,
    StateDecl,
    Statement,
    StepDecl,
)
from echoer_tui.fsl.completion import CompletionContext, completion_context
from echoer_tui.fsl.document import parse
from echoer_tui.fsl.excerpt import caret_excerpt
from echoer_tui.fsl.formatter import format_document, format_statement, format_text
from echoer_tui.fsl.incremental import IncrementalParser
from echoer_tui.fsl.split import StatementSource, split_statements

__all__ = [
    "DONE",
    "ActionDecl",
    "ArgValue",
    "CompletionContext",
    "Diagnostic",
    "Document",
    "Edge",
    "FlowDecl",
    "FlowRunDecl",
    "IncrementalParser",
    "ParamDecl",
    "Span",
    "StateDecl",
    "Statement",
    "StatementSource",
    "StepDecl",
    "caret_excerpt",
    "completion_context",
    "format_document",
    "format_statement",
    "format_text",
    "parse",
    "split_statements",
]
