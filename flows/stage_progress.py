"""The run's progress while it goes on: the Prefect artifact ``ingest-progress`` and the
reports of :mod:`pipeline.progress` (which the CLI shows live in the terminal)."""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.logging.handlers import PrefectConsoleHandler

from pipeline.progress import report

PROGRESS_KEY = "ingest-progress"
#: The stages in run order: the batch stages count files, the others are one step each.
BATCH_STAGES = ("read", "strip", "finalize")
STAGES = ("read", "merge-stats", "strip", "link", "finalize")


def discovery_counter() -> Callable[[], None]:
    """An ``on_file`` callback for :func:`pipeline.discover.discover`: reports the count."""
    seen = itertools.count(1)
    return lambda: report("discover", next(seen), None)


class StagesProgress:
    """Files done per batch stage, and the share of all stage steps done as the artifact."""

    def __init__(self, batch_files: list[int]) -> None:
        self._batch_files = batch_files
        self._files = sum(batch_files)
        self._done: Counter[str] = Counter()
        self._steps = len(BATCH_STAGES) * len(batch_files) + len(STAGES) - len(BATCH_STAGES)
        self._steps_done = 0
        self._artifact = create_progress_artifact(
            0.0, key=PROGRESS_KEY, description=f"ingest of {self._files} files: starting"
        )
        for stage in STAGES:
            report(stage, 0, *((self._files, "files") if stage in BATCH_STAGES else (1, "steps")))

    def batch_done(self, stage: str, batch: int) -> None:
        self._done[stage] += self._batch_files[batch]
        report(stage, self._done[stage], self._files)
        self._step(f"{stage}: {self._done[stage]} of {self._files} files")

    def step_done(self, stage: str) -> None:
        report(stage, 1, 1, "steps")
        self._step(f"{stage}: done")

    def _step(self, description: str) -> None:
        self._steps_done += 1
        update_progress_artifact(
            self._artifact, 100.0 * self._steps_done / self._steps, description=description
        )


@contextmanager
def console_logs_at_least(level: int) -> Iterator[None]:
    """Prefect's terminal log handlers show only records of ``level`` and above in the block.

    While a live display shows the stages, their INFO lines would only repeat it (and cut
    through it: the handlers write to the stream they were configured with, not through the
    display). The run's logs still reach the Prefect API in full."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    handlers = {
        handler
        for logger in loggers
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        if isinstance(handler, PrefectConsoleHandler)
    }
    saved = [(handler, handler.level) for handler in handlers]
    for handler in handlers:
        handler.setLevel(max(level, handler.level))
    try:
        yield
    finally:
        for handler, old in saved:
            handler.setLevel(old)
