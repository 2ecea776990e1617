"""What the API shows of a resource: everything but secrets, which become fingerprints.

An https action's CA PEM is its own trust root; a client listing actions only needs
to tell two certificates apart, so it gets `sha256:<hex>` instead of the PEM.
"""

from __future__ import annotations

import hashlib
from typing import Any

SECRET_KEYS = frozenset({"ca_pem"})
FINGERPRINT_PREFIX = "sha256:"


def fingerprint(secret: str) -> str:
    return FINGERPRINT_PREFIX + hashlib.sha256(secret.encode()).hexdigest()


def redact(value: Any) -> Any:
    """A copy of `value` (resource dicts, lists of them, replies) with secrets fingerprinted."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in SECRET_KEYS and isinstance(item, str) and item:
                out[key] = item if item.startswith(FINGERPRINT_PREFIX) else fingerprint(item)
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def secrets_in(value: Any) -> set[str]:
    """Every secret value held anywhere in `value`."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_KEYS and isinstance(item, str) and item:
                if not item.startswith(FINGERPRINT_PREFIX):
                    found.add(item)
            else:
                found |= secrets_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= secrets_in(item)
    return found


def redact_text(text: str, data: Any) -> str:
    """`text` rendered from `data` (a shell reply) with the secrets of `data` fingerprinted."""
    for secret in secrets_in(data):
        text = text.replace(secret, fingerprint(secret))
    return text
