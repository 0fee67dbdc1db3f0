"""Arrow's system allocator around short-lived, allocation-heavy Arrow work."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

_lock = threading.Lock()
#: Blocks inside :func:`arrow_system_pool` now, and the pool in use before the first.
_inside = 0
_previous: pa.MemoryPool | None = None


@contextmanager
def arrow_system_pool() -> Iterator[None]:
    """Make the system allocator (malloc) Arrow's default memory pool while the block runs.

    For code that builds and drops many large Arrow buffers in turn (the dedup stage's
    texts, sentences and words): pyarrow's default pool, mimalloc, hands freed segments
    back to the kernel and faults fresh ones in, so that such a block spends as much time
    in the kernel as in its own code; malloc keeps freed memory for the next buffer.
    Buffers remember their pool, so those made inside the block may outlive it. The pool is
    process-wide: blocks may nest or overlap in threads, and the pool in use before the
    first of them is restored when the last ends."""
    global _inside, _previous
    with _lock:
        if _inside == 0:
            _previous = pa.default_memory_pool()
            pa.set_memory_pool(pa.system_memory_pool())
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _previous is not None:
                pa.set_memory_pool(_previous)
                _previous = None
