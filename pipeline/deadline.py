"""Wall-clock deadlines for work in a process's main thread, raised as an exception.

A deadline is a ``SIGALRM`` timer (``setitimer``): its handler raises
:class:`DeadlineExceeded` in the middle of whatever Python is running, a regular expression
match included (the ``re`` engine checks for signals as it backtracks). Only a process's main
thread receives signals, so elsewhere (a task runner's thread, a Dask worker's thread) a
deadline is not enforced and the work runs to its end: :attr:`Alarm.enforced` says which.
The pipeline's pool workers run their stages in their main thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class DeadlineExceeded(Exception):
    """The work ran past its deadline and was stopped where it was."""


class Alarm:
    """Deadlines for blocks of this thread's work (see :func:`alarm`)."""

    def __init__(self, enforced: bool) -> None:
        self.enforced = enforced

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        """Raise :class:`DeadlineExceeded` in the block once ``seconds`` have passed (0: no
        limit). The exception may also leave the ``with`` statement itself, when the timer
        fires as the block ends."""
        if not self.enforced or seconds <= 0:
            yield
            return
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)


@contextmanager
def alarm(wanted: bool = True) -> Iterator[Alarm]:
    """An :class:`Alarm` for the calling thread: enforced when ``wanted`` and in the main
    thread, where the handler of ``SIGALRM`` is then this module's for the duration of the
    block (else the caller's handler is left alone)."""
    if not wanted or threading.current_thread() is not threading.main_thread():
        yield Alarm(enforced=False)
        return
    previous = signal.signal(signal.SIGALRM, _raise_exceeded)
    try:
        yield Alarm(enforced=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _raise_exceeded(signum: int, frame: FrameType | None) -> None:
    raise DeadlineExceeded
