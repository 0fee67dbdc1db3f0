"""One writer at a time per CLEAN_DIR."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline.store.fs import Root
from pipeline.store.layout import LOCK_FILE


@contextmanager
def writer_lock(
    root: Root, on_wait: Callable[[str], None] | None = None, poll_seconds: float = 0.5
) -> Iterator[None]:
    """Hold an exclusive lock on CLEAN_DIR for a whole run; wait while another run holds it.

    On a local filesystem this is an ``flock`` on ``CLEAN_DIR/_lock``: the kernel releases it
    when the process dies, so a killed run never leaves a stale lock. Object stores have no
    such lock; there the deployment's ``concurrency_limit: 1`` keeps runs apart.
    """
    if not root.is_local:
        yield
        return
    root.fs.makedirs(root.path, exist_ok=True)
    fd = os.open(root.join(LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait and not told:
                    on_wait(f"another run holds {root.join(LOCK_FILE)}; waiting for it to finish")
                    told = True
                time.sleep(poll_seconds)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def lock_held(root: Root) -> bool:
    """Whether a run holds CLEAN_DIR's lock now (always False where there is no lock)."""
    path = root.join(LOCK_FILE)
    if not root.is_local or not os.path.exists(path):
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
