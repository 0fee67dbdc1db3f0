"""Progress of a run while it goes on: what the flow reports and who listens.

The flow reports each stage's progress in source files (discovery counts them as it walks
RAW_DIR; the batch stages add a batch's files when its task ends). Listeners registered with
:func:`listening` receive every report in the reporting process: the CLI's live terminal
display (:class:`TerminalProgress`), the flow's Prefect progress artifact. Nothing here
knows about Prefect.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from pipeline.file_progress import RecordsRead, watching


@dataclass(frozen=True, slots=True)
class StageProgress:
    """``done`` of ``total`` files of ``stage`` (``total`` is None while still unknown)."""

    stage: str
    done: int
    total: int | None
    unit: str = "files"


Listener = Callable[[StageProgress], None]
_RECORDS = "records"
_listeners: list[Listener] = []


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send every report made in this process to ``listener`` until the block ends."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def report(stage: str, done: int, total: int | None, unit: str = "files") -> None:
    if _listeners:
        update = StageProgress(stage, done, total, unit)
        for listener in tuple(_listeners):
            listener(update)


class _RateColumn(ProgressColumn):
    """A stage's units per second since it started (rich's speed column shows bytes, from
    recent samples only, and nothing for a stage done in one step); a file's records per
    second since its reading started."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        if unit == _RECORDS:
            rate = task.fields["rate"]
        else:
            elapsed = task.finished_time if task.finished else task.elapsed
            if not elapsed or not task.completed or unit != "files":
                return Text("")
            rate = task.completed / elapsed
        return Text(f"{rate:,.0f} {unit}/s", style="progress.data.speed")


class TerminalProgress:
    """One live line per stage, with its count, rate and time, on ``console``; below them a
    line per big file being read, with its records read so far (:mod:`pipeline.file_progress`).
    """

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._files: dict[str, TaskID] = {}

    def __call__(self, update: StageProgress) -> None:
        """Show ``update``. A stage's clock starts when the stage before it ends (or when it
        reports work done), not when the flow announces it."""
        task = self._tasks.get(update.stage)
        if task is None:
            running = any(t.started and not t.finished for t in self._stage_tasks())
            task = self._progress.add_task(
                update.stage, total=update.total, unit=update.unit, start=not running
            )
            self._tasks[update.stage] = task
        if update.done:
            self._progress.start_task(task)
        self._progress.update(task, completed=update.done, total=update.total)
        if update.total is not None and update.done >= update.total:
            waiting = [t.id for t in self._stage_tasks() if not t.started]
            if waiting:
                self._progress.start_task(waiting[0])

    def show_files(self, reading: list[RecordsRead]) -> None:
        """Show the files being read now, and no longer those that ended."""
        current = {read.source: read for read in reading}
        for source in set(self._files) - set(current):
            self._progress.remove_task(self._files.pop(source))
        for source, read in current.items():
            rate = read.records / read.seconds if read.seconds else 0.0
            if source not in self._files:
                self._files[source] = self._progress.add_task(
                    f"  {posixpath.basename(source)}", total=None, unit=_RECORDS, rate=rate
                )
            self._progress.update(self._files[source], completed=read.records, rate=rate)

    def _stage_tasks(self) -> list[Task]:
        stages = set(self._tasks.values())
        return [t for t in self._progress.tasks if t.id in stages]

    @contextmanager
    def shown(self) -> Iterator[None]:
        """Show the stages while the block runs (listening to this process's reports), and
        the big files that processes started in the block are reading."""
        with self._progress, listening(self):
            try:
                with watching(self.show_files):
                    yield
            finally:
                self.show_files([])  # before the display's last frame
