"""Reading one source file into extracted rows, within its budgets, always with an outcome.

:func:`read_file` reads and extracts one file and returns a :class:`FileOutcome`: the rows of
its articles and a bounded :class:`Tally` of its bad records (counts by kind and the first few
reasons, never one object per bad line). A file that yields neither an article nor a problem
is rejected as ``no_articles``, so every file ends as articles or a reject row.

:class:`ReadGuard` runs :func:`read_file` in a child process with a deadline per file
(``max_file_seconds``): a file that takes longer has its process killed and replaced and is
rejected as ``timeout``; a process that dies (a crash in native code, the kernel's OOM
killer) rejects its file as ``reader_died``. The rest of the batch goes on either way.

The recipe itself (reader, extractor, language) is :mod:`pipeline.documents`; the records
read inside a big file are reported while it is read (:mod:`pipeline.file_progress`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import multiprocessing
import resource
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from multiprocessing.connection import Connection

from pipeline.discover import SourceFile
from pipeline.documents import ExtractedDocument, read_sidecar, source_documents
from pipeline.file_progress import ProgressDir, Sink, counter_for, sink_from_env
from pipeline.readers import Limits, RejectedInput, Rejection
from pipeline.store import Root


@dataclass
class Tally:
    """The bad records of one file: how many of each kind, and the first ``keep`` of them."""

    keep: int
    kinds: Counter = field(default_factory=Counter)
    first: list[Rejection] = field(default_factory=list)

    def add(self, problem: Rejection) -> None:
        self.kinds[problem.error_kind] += 1
        if len(self.first) < self.keep:
            self.first.append(problem)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    def summary(self) -> Rejection | None:
        """One Rejection standing for all: the only one, or the first one's locator and
        stage, the commonest kind, and a message with the counts and the first reasons."""
        if not self.first:
            return None
        if self.total == 1:
            return self.first[0]
        counts = ", ".join(f"{n} {kind}" for kind, n in self.kinds.most_common())
        listed = "; ".join(f"[{p.record_locator}] {p.error_kind}: {p.message}" for p in self.first)
        more = self.total - len(self.first)
        message = f"{self.total} records rejected ({counts}); {listed}"
        if more:
            message += f"; and {more} more"
        first = self.first[0]
        return Rejection(
            first.record_locator, first.stage, self.kinds.most_common(1)[0][0], message
        )


@dataclass
class FileOutcome:
    rows: list[dict]
    tally: Tally
    #: Peak resident memory of the process that read the file, in bytes (0 when unknown).
    peak_rss: int = 0
    #: Its resident memory once the file was read (0 when unknown).
    rss_after: int = 0


def read_file(
    raw_url: str, source: SourceFile, limits: Limits, progress: Sink | None = None
) -> FileOutcome:
    """Read and extract ``source`` (relative to ``raw_url``); never raises for bad input.
    Its records read so far go to ``progress`` (if any) as it is read."""
    tally = Tally(limits.max_reasons_listed)
    rows: list[dict] = []
    counter = counter_for(source.path, progress)
    try:
        for item in _documents(_root(raw_url), source, limits):
            counter.count()
            if isinstance(item, Rejection):
                tally.add(item)
            else:
                rows.append(item.row())
    except RejectedInput as error:
        rows, tally = [], _single(limits, error.at(None))
    # A bug in a reader or extractor is this file's problem, not the run's: it is reported
    # (the fuzz tests fail on it) and the other files are read.
    except Exception as error:
        rows, tally = [], _single(limits, Rejection(None, "read", "reader_error", _short(error)))
    finally:
        counter.close()
    if not rows and not tally.total:
        tally.add(Rejection(None, "read", "no_articles", "the file holds no article"))
    return FileOutcome(rows, tally)


def _single(limits: Limits, problem: Rejection) -> Tally:
    tally = Tally(limits.max_reasons_listed)
    tally.add(problem)
    return tally


def _short(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 300 else text[:300] + "..."


def _documents(
    raw: Root, source: SourceFile, limits: Limits
) -> Iterator[ExtractedDocument | Rejection]:
    try:
        data = raw.read_bytes(source.rel_path)
        sidecar = read_sidecar(raw, source.rel_path, limits)
    except OSError as error:
        raise RejectedInput("read", "unreadable", str(error)) from error
    if hashlib.sha256(data).hexdigest() != source.sha256:
        raise RejectedInput(
            "read",
            "changed_while_reading",
            "the file changed between discovery and reading; the next run ingests its new content",
        )
    yield from source_documents(source.path, source.sha256, data, sidecar=sidecar, limits=limits)


@lru_cache(maxsize=8)
def _root(url: str) -> Root:
    return Root.open(url)


# -- the guard: one child process per batch reader, replaced when it overruns ---------------


class ReadGuard:
    """Reads files in a child process, one at a time, each within ``max_file_seconds``.

    With ``max_file_seconds=0``, or in a daemonic process (which may not start children: a
    Dask worker unless started otherwise, see :mod:`flows.runners`), files are read in the
    calling process without a deadline. Records read inside a file are reported to
    ``progress`` (default: the directory of ``PIPELINE_PROGRESS_DIR``, if set; see
    :mod:`pipeline.file_progress`)."""

    def __init__(self, limits: Limits, progress: ProgressDir | None = None) -> None:
        self.limits = limits
        self.progress = progress or sink_from_env()
        self._child: _Child | None = None

    @property
    def isolated(self) -> bool:
        return self.limits.max_file_seconds > 0 and not multiprocessing.current_process().daemon

    def read(self, raw_url: str, source: SourceFile) -> FileOutcome:
        if not self.isolated:
            return read_file(raw_url, source, self.limits, self.progress)
        child = self._child or _take_child()
        self._child = None
        outcome, healthy = child.read(raw_url, source, self.limits, self.progress)
        if not healthy:
            child.stop()
            if self.progress:
                self.progress.forget(child.process.pid)
        else:
            self._child = child
        return outcome

    def close(self) -> None:
        """Hand the child process back for the next batch of this process."""
        if self._child is not None:
            _give_back(self._child)
            self._child = None


@contextmanager
def read_guard(limits: Limits) -> Iterator[ReadGuard]:
    guard = ReadGuard(limits)
    try:
        yield guard
    finally:
        guard.close()


class _Child:
    """A reader process and its end of the pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child_end = context.Pipe()
        # Daemonic: it ends with the process that started it, whatever that process's fate.
        self.process = context.Process(target=_serve, args=(child_end,), daemon=True)
        self.process.start()
        child_end.close()
        self.started = False

    def read(
        self, raw_url: str, source: SourceFile, limits: Limits, progress: ProgressDir | None
    ) -> tuple[FileOutcome, bool]:
        """The file's outcome, and whether this process may read the next file. The clock
        starts once the process has started (imported the readers and extractors)."""
        try:
            if not self.started:
                self.started = self.conn.recv() == _READY
            self.conn.send((raw_url, source, limits, progress))
            if self.conn.poll(limits.max_file_seconds):
                outcome = self.conn.recv()
                return outcome, outcome.rss_after < _RECYCLE_RSS
            problem = Rejection(
                None,
                "read",
                "timeout",
                f"reading took over max_file_seconds={limits.max_file_seconds:g}; stopped",
            )
        except (EOFError, OSError):
            problem = Rejection(
                None, "read", "reader_died", f"the reader process died ({self._exit_reason()})"
            )
        self.stop()
        return FileOutcome([], _single(limits, problem)), False

    def _exit_reason(self) -> str:
        self.process.join(5)
        code = self.process.exitcode
        return f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


_idle: list[_Child] = []
_idle_lock = threading.Lock()


def _take_child() -> _Child:
    with _idle_lock:
        while _idle:
            child = _idle.pop()
            if child.process.is_alive():
                return child
    return _Child()


def _give_back(child: _Child) -> None:
    with _idle_lock:
        _idle.append(child)


_READY = "ready"
#: A reader process that holds more memory than this after a file is replaced: Python's heap
#: does not shrink, so one large file would otherwise keep it big for the rest of the run.
_RECYCLE_RSS = 512 << 20
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this process when its parent dies (a pool worker
    killed in the middle of a file would otherwise leave it reading on)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # elsewhere the pipe's EOF ends the child after its current file


def _serve(conn: Connection) -> None:
    """The child's loop: read each file it is sent until its parent goes away."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the run's driver
    conn.send(_READY)
    while True:
        try:
            raw_url, source, limits, progress = conn.recv()
        except (EOFError, OSError):
            return
        outcome = read_file(raw_url, source, limits, progress)
        outcome.peak_rss = _peak_resident_bytes()
        outcome.rss_after = _resident_bytes()
        conn.send(outcome)


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _peak_resident_bytes() -> int:
    """This process's peak resident memory. ``ru_maxrss`` is no measure of it here: Linux
    carries it across ``exec``, so a spawned child starts with the peak of the parent it was
    forked from. ``VmHWM`` is the high-water mark of this process's own memory."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
