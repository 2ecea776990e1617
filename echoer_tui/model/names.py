"""The one rule every resource name obeys, wherever the name comes from.

A name must be reachable everywhere it is used: in FSL (as an identifier or a quoted
string), in an API path segment (`GET /flowrun/NAME`), in a shell command line and in
the store's keys. FSL statement and step names, and names given from outside FSL (the
run name of `run flow F as RUN`), are all checked here so they agree.
"""

from __future__ import annotations

from typing import Final

MAX_NAME_LENGTH: Final = 253
"""As long as a DNS name: enough for any person, short enough for a URL path segment."""


def name_problem(name: str) -> str:
    """Why `name` cannot name a resource, or "" when it can.

    The FSL lexer reads a name as an identifier or as a "…" or `…` string that holds
    no line break; on top of that a name must not be blank, hold a `/` (it would split
    the API path) or a control character (it would garble a terminal), or be longer
    than MAX_NAME_LENGTH.
    """
    if not name.strip():
        return "a name must not be empty or blank"
    if len(name) > MAX_NAME_LENGTH:
        return f"a name may be at most {MAX_NAME_LENGTH} characters long, this one has {len(name)}"
    if "/" in name:
        return "a name must not contain '/' (it could not be used in an API path)"
    control = next((c for c in name if not c.isprintable() and c != " "), None)
    if control is not None:
        return f"a name must not contain control characters (found {control!r})"
    if '"' in name and "`" in name:
        return 'a name must not contain both " and ` (FSL could not quote it)'
    return ""


__all__ = ["MAX_NAME_LENGTH", "name_problem"]
