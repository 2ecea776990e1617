"""The cyclic garbage collector kept out of bulk building.

Parsing a 10,000-step document or loading a store's snapshots allocates millions of
small acyclic containers; the collector scanned the growing tree again and again
(quadratic parses, 4x slower loads measured). Those trees hold no cycles, so
reference counting frees them anyway.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block (it nests: an outer pause stays paused)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
