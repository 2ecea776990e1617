"""One list of diagnostics for an FSL document: the parser's and translation's, merged.

The parser checks each statement on its own; translation checks it against what
exists. Both sometimes find the same problem at the same place (a capem that is not
base64, a flow run without steps), and a person should read it once. The editor's
validation, the API and `echoer check` all merge here, so they always agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from echoer_tui.fsl.ast import Diagnostic, Document
from echoer_tui.model.translate import Catalog, translate

SpanKey = tuple[int, int]


def _at(diagnostic: Diagnostic) -> SpanKey:
    return (diagnostic.span.start, diagnostic.span.end)


def merge_diagnostics(
    parsed: Iterable[Diagnostic], translated: Iterable[Diagnostic]
) -> tuple[Diagnostic, ...]:
    """The parser's diagnostics plus translation's, one per underlined span where both
    found something: the parser's wins, unless translation's is an error and the parser
    only warned there (e.g. a capem that is not base64) — then the error replaces it."""
    parsed = list(parsed)
    by_span: dict[SpanKey, list[Diagnostic]] = {}
    for diagnostic in parsed:
        by_span.setdefault(_at(diagnostic), []).append(diagnostic)
    added: list[Diagnostic] = []
    superseded: set[SpanKey] = set()
    for diagnostic in translated:
        there = by_span.get(_at(diagnostic), [])
        if any(d.severity == "error" or d.severity == diagnostic.severity for d in there):
            continue
        if there:  # only warnings there, and this is an error: it says the same, more firmly
            superseded.add(_at(diagnostic))
        added.append(diagnostic)
    kept = [d for d in parsed if _at(d) not in superseded]
    return tuple(sorted([*kept, *added], key=lambda d: (d.span.start, d.span.end)))


def check_document(document: Document, catalog: Catalog | None = None) -> tuple[Diagnostic, ...]:
    """Everything wrong with a parsed document, translated against `catalog`.

    Without a catalog the document stands alone (an empty store): its steps may use
    only the actions it defines itself, as when its file is loaded into a new store.
    """
    translation = translate(document.statements, catalog or Catalog())
    return merge_diagnostics(document.diagnostics, translation.diagnostics)


__all__ = ["check_document", "merge_diagnostics"]
