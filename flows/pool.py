"""A process pool shared by the batch tasks of one flow run.

Prefect's thread runner starts tasks cheaply, but threads do not run Python code in parallel.
Each batch task therefore hands its CPU-bound library call to this pool, whose worker
processes keep their imports and compiled rules from one batch to the next.

The pool uses the ``spawn`` start method (``fork`` would copy the threads and locks of the
Prefect engine), so its children re-import the parent's ``__main__``: every entry point of
the project guards its top-level code with ``if __name__ == "__main__"``. Calls from inside
a pool child (or in a process that opened no pool, such as a Dask worker) run in place, and
an inner :func:`process_pool` reuses an outer one, so the pool never nests.
"""

from __future__ import annotations

import importlib
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from flows.interrupt import ignore_interrupts

P = ParamSpec("P")
R = TypeVar("R")

_executor: Executor | None = None
_lock = threading.Lock()


@contextmanager
def process_pool(workers: int) -> Iterator[None]:
    """Run the CPU-bound stages in ``workers`` processes (in the task itself when 1).

    The processes start at once and import the pipeline (about a second) while the caller
    goes on, so that work such as discovering the new files overlaps their start."""
    global _executor
    with _lock:
        owner = workers > 1 and _executor is None
        if owner:
            _executor = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=ignore_interrupts,
            )
            for _ in range(workers):  # no worker is idle yet, so each call starts one
                _executor.submit(importlib.import_module, "pipeline.stages.sequence")
    if not owner:
        yield
        return
    try:
        yield
    except BaseException:
        _kill_workers(_executor)  # a failed or interrupted run has nothing to wait for
        raise
    finally:
        with _lock:
            executor, _executor = _executor, None
        # The workers exit on their own (about half a second, freeing their heaps); the run
        # has nothing more to wait for.
        executor.shutdown(wait=False, cancel_futures=True)


def _kill_workers(executor: Executor | None) -> None:
    """Stop the pool's workers at once, in the middle of a batch if need be (the running
    tasks then fail with BrokenProcessPool instead of finishing their batches)."""
    processes = getattr(executor, "_processes", None) or {}  # no public API before 3.14
    for process in list(processes.values()):
        process.kill()


def run_cpu(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call ``function`` in the pool when one is open, else in the calling thread."""
    executor = _executor
    if executor is None:
        return function(*args, **kwargs)
    return executor.submit(function, *args, **kwargs).result()


def run_stage_call(function: Callable[..., R], args: tuple, *, cpu: bool) -> R:
    """A stage's call: in the pool (:func:`run_cpu`) when it is CPU-bound, else in the
    calling thread."""
    return run_cpu(function, *args) if cpu else function(*args)
