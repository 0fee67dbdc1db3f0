"""Progress inside one big file (a WARC of 20,000 records): its records read so far, reported
while it is read, from whichever process reads it.

Files are read in pool processes and their reader children, so counts travel through a
directory: the thread reading a file keeps ``<dir>/<pid>-<thread>.json`` up to date, at most
once per ``interval`` seconds and the first time only after ``interval`` seconds (a small
file writes nothing), and removes it when the file ends. The live display polls the directory
(:func:`watching`). The directory is named by the environment variable
``PIPELINE_PROGRESS_DIR``, which every process started after it was set inherits; where it is
not set nothing is written. A record is what the file's reader yields: an article or a
rejected record.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

ENV_DIR = "PIPELINE_PROGRESS_DIR"
#: Seconds between two reports of one file (and before its first); tests set it lower.
ENV_INTERVAL = "PIPELINE_PROGRESS_INTERVAL"
INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class RecordsRead:
    """``records`` of the file ``source`` read in its first ``seconds``."""

    source: str
    records: int
    seconds: float


class Sink(Protocol):
    """Where a file's counts go."""

    interval: float

    def update(self, progress: RecordsRead) -> None: ...

    def finished(self, source: str) -> None: ...


class RecordCounter:
    """Counts the records of one file and tells ``sink``, throttled to its interval."""

    def __init__(self, source: str, sink: Sink, clock: Callable[[], float] = time.monotonic):
        self._source, self._sink, self._clock = source, sink, clock
        self._started = clock()
        self._next = self._started + sink.interval
        self._reported = False
        self.records = 0

    def count(self) -> None:
        self.records += 1
        now = self._clock()
        if now >= self._next:
            self._next = now + self._sink.interval
            self._reported = True
            self._sink.update(RecordsRead(self._source, self.records, now - self._started))

    def close(self) -> None:
        """The file has ended (read, rejected or failed)."""
        if self._reported:
            self._sink.finished(self._source)


@dataclass(frozen=True, slots=True)
class ProgressDir:
    """The sink of a reading thread: its file ``<directory>/<pid>-<thread>.json`` (named
    where it is written, so that the sink may be handed to another process)."""

    directory: str
    interval: float = INTERVAL

    def update(self, progress: RecordsRead) -> None:
        file = self._file()
        partial = file.with_suffix(".tmp")
        try:
            partial.write_text(json.dumps(asdict(progress)), encoding="utf-8")
            partial.replace(file)
        except OSError:
            pass  # progress is a courtesy: never a reason for a file to fail

    def finished(self, source: str) -> None:
        self._file().unlink(missing_ok=True)

    def forget(self, pid: int | None) -> None:
        """Remove the reports of a process that was stopped in the middle of a file."""
        for path in Path(self.directory).glob(f"{pid}-*.json"):
            path.unlink(missing_ok=True)

    def _file(self) -> Path:
        return Path(self.directory) / f"{os.getpid()}-{threading.get_ident()}.json"


class _Silent:
    """The sink where no one watches: it is never due."""

    interval = math.inf

    def update(self, progress: RecordsRead) -> None:
        pass

    def finished(self, source: str) -> None:
        pass


def counter_for(source: str, sink: Sink | None = None) -> RecordCounter:
    """A counter for the file ``source``, reporting to ``sink``, else nowhere."""
    return RecordCounter(source, sink or _Silent())


def sink_from_env() -> ProgressDir | None:
    """The sink of the directory ``PIPELINE_PROGRESS_DIR`` names, if it names one."""
    directory = os.environ.get(ENV_DIR)
    if not directory:
        return None
    return ProgressDir(directory, float(os.environ.get(ENV_INTERVAL) or INTERVAL))


def poll(directory: str) -> list[RecordsRead]:
    """The files being read now, as last reported."""
    found = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            found.append(RecordsRead(**json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            continue  # just removed
    return found


@contextmanager
def watching(on_poll: Callable[[list[RecordsRead]], None], every: float = 0.5) -> Iterator[str]:
    """Have processes started in the block report inside-file progress to a new directory
    (yielded), and call ``on_poll`` with its reports every ``every`` seconds."""
    directory = tempfile.mkdtemp(prefix="pipeline-progress-")
    saved = os.environ.get(ENV_DIR)
    os.environ[ENV_DIR] = directory
    stop = threading.Event()

    def poll_until_stopped() -> None:
        while not stop.wait(every):
            on_poll(poll(directory))

    poller = threading.Thread(target=poll_until_stopped, name="file-progress", daemon=True)
    poller.start()
    try:
        yield directory
    finally:
        stop.set()
        poller.join()
        if saved is None:
            os.environ.pop(ENV_DIR, None)
        else:
            os.environ[ENV_DIR] = saved
        shutil.rmtree(directory, ignore_errors=True)
