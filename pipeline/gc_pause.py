"""Pausing Python's cyclic garbage collector around allocation-heavy, cycle-free work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the block runs.

    For code that allocates many small objects and makes no reference cycles (the
    stripper's items and removals, line counts, the dedup stage's rows and pairs): every
    allocation counts towards the next collection, and each collection walks the young
    objects, and now and then the whole heap, for cycles that are not there. Reference
    counting still frees everything; collections resume when the block ends (nested blocks
    leave the collector as they found it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
