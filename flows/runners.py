"""Task runners for the ingest flow: threads on this machine, or a Dask cluster.

With threads (the default) the batch tasks hand their CPU-bound work to a process pool
(:mod:`flows.pool`); with Dask every task runs in a Dask worker process, which is the
parallelism, so no pool is opened. Either way the flow run itself stays in this process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Literal

from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

Runner = Literal["threads", "dask"]
RUNNERS: tuple[Runner, ...] = ("threads", "dask")


def default_workers() -> int:
    return os.cpu_count() or 1


def thread_runner(workers: int = 0) -> ThreadPoolTaskRunner:
    """A bounded thread pool: enough threads to keep ``workers`` processes busy while one
    batch per thread waits on I/O, and never more than 32."""
    return ThreadPoolTaskRunner(max_workers=min(32, (workers or default_workers()) + 2))


def dask_runner(address: str | None = None, workers: int = 0) -> TaskRunner:
    """Prefect-dask's runner on the cluster at ``address`` (``tcp://host:8786``), else on a
    LocalCluster of ``workers`` single-threaded worker processes.

    The workers of an existing cluster need the project installed (``pip install
    article-pipeline[dask]``), ``PREFECT_API_URL`` pointing at the same Prefect API, and
    ``DASK_DISTRIBUTED__WORKER__DAEMON=False`` for the per-file read deadline (a daemonic
    worker may not start the child process a file is read in, and reads without one). The
    local cluster's workers are started that way.
    """
    try:
        import dask
        from prefect_dask import DaskTaskRunner
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise RuntimeError(
            "the dask runner needs the dask extra: pip install 'article-pipeline[dask]'"
        ) from error

    class SharedApiDaskTaskRunner(DaskTaskRunner):
        """Hands the flow's API to the Dask workers even in ephemeral mode.

        Without ``PREFECT_API_URL`` the flow talks to Prefect's temporary local server, and a
        worker given no URL would start a temporary server of its own, each paying
        the server's start-up.
        Task runs carry the flow's settings to the workers, so setting the URL of the
        flow's server for the duration of the run makes every worker report to it.
        """

        def __enter__(self):
            self._api = ExitStack()
            self._api.enter_context(_api_of_this_process())
            # Worker processes that are not daemonic may start children: the read stage's
            # per-file deadline runs each file in a killable child process (pipeline.reading).
            self._api.enter_context(dask.config.set({"distributed.worker.daemon": False}))
            return super().__enter__()

        def __exit__(self, *args) -> None:
            try:
                super().__exit__(*args)
            finally:
                self._api.close()

    if address:
        return SharedApiDaskTaskRunner(address=address)
    return SharedApiDaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers or default_workers(),
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )


@contextmanager
def _api_of_this_process() -> Iterator[None]:
    """Set PREFECT_API_URL to this process's temporary server when none is configured."""
    if PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the one the flow's client started (a singleton)
    server.start()  # a no-op when it runs already
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        yield


def task_runner(runner: Runner = "threads", workers: int = 0, address: str | None = None):
    """The task runner named ``runner`` (see :data:`RUNNERS`)."""
    if runner == "threads":
        if address:
            raise ValueError("--dask-address needs --runner dask")
        return thread_runner(workers)
    if runner == "dask":
        return dask_runner(address, workers)
    raise ValueError(f"unknown runner {runner!r}; choose one of {', '.join(RUNNERS)}")
