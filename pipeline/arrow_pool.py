"""Arrow's system allocator around short-lived, allocation-heavy Arrow work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa


@contextmanager
def arrow_system_pool() -> Iterator[None]:
    """Make the system allocator (malloc) Arrow's default memory pool while the block runs.

    For code that builds and drops many large Arrow buffers in turn (the dedup stage's
    texts, sentences and words): pyarrow's default pool, mimalloc, hands freed segments
    back to the kernel and faults fresh ones in, so that such a block spends as much time
    in the kernel as in its own code; malloc keeps freed memory for the next buffer.
    Buffers remember their pool, so those made inside the block may outlive it; the pool
    in use before is restored when the block ends."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
