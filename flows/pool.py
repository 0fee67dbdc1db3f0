"""A process pool shared by the batch tasks of one flow run.

Prefect's thread runner starts tasks cheaply, but threads do not run Python code in parallel.
Each batch task therefore hands its CPU-bound library call to this pool, whose worker
processes keep their imports and compiled rules from one batch to the next.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_executor: Executor | None = None


@contextmanager
def process_pool(workers: int) -> Iterator[None]:
    """Run the CPU-bound stages in ``workers`` processes (in the task itself when 1)."""
    global _executor
    if workers <= 1:
        yield
        return
    _executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield
    finally:
        executor, _executor = _executor, None
        executor.shutdown(cancel_futures=True)


def run_cpu(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call ``function`` in the pool when one is open, else in the calling thread."""
    if _executor is None:
        return function(*args, **kwargs)
    return _executor.submit(function, *args, **kwargs).result()
