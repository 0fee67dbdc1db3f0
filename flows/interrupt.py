"""Ctrl-C and SIGTERM: the run stops within seconds, cleans up and says so in one line.

:func:`interruptible` turns SIGINT and SIGTERM into :class:`Interrupted`, raised in the main
thread wherever it is; the flow catches it, its context managers kill the pool's workers,
roll forward or drop its staging (:func:`discarded_on_failure`) and release the lock, and the
flow run ends Cancelled. From the moment of the signal, logging is silenced: the engine and
the tasks whose workers were killed would otherwise print screens of tracebacks about an
exit that was asked for. The CLI prints the one line and exits 128 + the signal number.

Children must not take a terminal's Ctrl-C for themselves: the pool's workers and reader
processes ignore SIGINT (:func:`ignore_interrupts`), and Prefect's temporary API server runs
in a session of its own (:func:`start_api_server_detached`), so that it outlives the signal
long enough to record the Cancelled state.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from types import FrameType
from typing import Any
from unittest import mock

from prefect.exceptions import CancelledRun

from pipeline.store import Root, recover

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The run was asked to stop by ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@dataclass
class Stop:
    """What :func:`interruptible` caught, if anything."""

    signal: Interrupted | None = None


_active: list[Stop] = []


@contextmanager
def interruptible() -> Iterator[Stop]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (in the main thread;
    elsewhere signals cannot be handled and the block runs as it is). The exception ends the
    block and is kept in the yielded :class:`Stop`, and in those of the enclosing blocks (the
    CLI's, around the flow's)."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {signum: signal.signal(signum, _raise_interrupted) for signum in SIGNALS}
    _active.append(stop)
    try:
        yield stop
    except Interrupted as caught:
        for each in _active:
            each.signal = caught
    finally:
        _active.remove(stop)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    for other in SIGNALS:  # a second Ctrl-C must not interrupt the clean-up
        signal.signal(other, signal.SIG_IGN)
    logging.disable(logging.CRITICAL)
    raise Interrupted(signum)


@contextmanager
def discarded_on_failure(clean: Root) -> Iterator[None]:
    """When the block fails or is interrupted, roll forward a commit it cut short and remove
    its staged and scratch files (:func:`pipeline.store.recover`), so that no debris is left
    on the disk, full or not. Must run with CLEAN_DIR's lock held."""
    try:
        yield
    except BaseException:
        try:
            recover(clean)
        except Exception as error:  # the failure being raised matters more
            logging.getLogger(__name__).warning("could not clean up CLEAN_DIR: %s", error)
        raise


def ignore_interrupts() -> None:
    """For child processes: leave Ctrl-C to the process that runs the flow."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_interruptibly(flow: Callable[..., Any], **parameters: Any) -> Any:
    """Call ``flow`` (inside :func:`interruptible`) on an API server that a Ctrl-C does not
    reach; when a signal stopped it, the flow run is Cancelled and the Stop says why."""
    start_api_server_detached()
    try:
        return flow(**parameters)
    except CancelledRun:
        if not any(stop.signal for stop in _active):
            raise
        return None
    finally:
        logging.disable(logging.NOTSET)


def start_api_server_detached() -> None:
    """Start Prefect's temporary API server (when no PREFECT_API_URL is set) in a session of
    its own, out of reach of a Ctrl-C meant for the run. The flow's client then finds the
    server running and uses it."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return
    detached = partial(subprocess.Popen, start_new_session=True)
    with mock.patch.object(subprocess, "Popen", detached):
        SubprocessASGIServer().start()
