"""What a person or an API client sees of a secret: a fingerprint, never the value.

An https action's CA PEM is its own trust root. The engine reads it whole from the
store; everything that shows resources (shell replies, the workbench's screens, the
HTTP API, `/watch`) passes them through `redact` first, so the PEM never leaves
the process. Someone comparing two actions only needs to tell two certificates
apart, which `sha256:<hex prefix>…` does.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

SECRET_KEYS = frozenset({"ca_pem"})
FINGERPRINT_PREFIX = "sha256:"
FINGERPRINT_HEX = 16
"""Hex digits shown: 64 bits tell certificates apart without filling a table cell."""

SECRET_FREE_KINDS = frozenset({"flow", "flowrun", "step"})
"""Resources whose shape has no secret key: only actions carry a CA PEM. Skipping them
keeps listing 10,000 runs cheap (redact walked every step of every run)."""

T = TypeVar("T")


def fingerprint(secret: str) -> str:
    """`sha256:<first hex digits>…` of `secret`."""
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return f"{FINGERPRINT_PREFIX}{digest[:FINGERPRINT_HEX]}…"


def is_fingerprint(value: str) -> bool:
    return value.startswith(FINGERPRINT_PREFIX)


def redact(value: T) -> T:
    """`value` (a resource, a list of them, any JSON) with every secret fingerprinted.

    Containers that hold no secret come back as the same object, so redacting a long
    list of flow runs copies nothing.
    """
    if isinstance(value, dict):
        if _kind(value) in SECRET_FREE_KINDS:
            return value
        copied: dict[Any, Any] | None = None
        for key, item in value.items():
            shown = _shown_secret(item) if key in SECRET_KEYS else redact(item)
            if shown is not item:
                if copied is None:
                    copied = dict(value)
                copied[key] = shown
        return value if copied is None else copied  # type: ignore[return-value]
    if isinstance(value, list | tuple):
        items = [redact(item) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    return value


def _shown_secret(item: Any) -> Any:
    if isinstance(item, str) and item and not is_fingerprint(item):
        return fingerprint(item)
    return redact(item)


def _kind(value: dict[Any, Any]) -> object:
    metadata = value.get("metadata")
    return metadata.get("kind") if isinstance(metadata, dict) else None
