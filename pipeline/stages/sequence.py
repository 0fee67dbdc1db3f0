"""The run's stage sequence, once: read, merge statistics, strip, link, finalize.

The flow and the plain loop (benchmarks, tests) both run :func:`run_stages`; they differ only
in their :class:`Executor`, which decides how a stage's calls run (Prefect tasks and a process
pool, or a loop), so the order of the stages and what passes between them cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from pipeline.discover import SourceFile
from pipeline.stages import RunContext
from pipeline.stages import finalize as finalize_stage
from pipeline.stages import link as link_stage
from pipeline.stages import read as read_stage
from pipeline.stages import stats as stats_stage
from pipeline.stages import strip as strip_stage
from pipeline.summary import Counters

R = TypeVar("R")


class Executor(Protocol):
    """How the stages' calls run; ``stage`` names the stage (``read``, ``merge-stats``,
    ``strip``, ``link``, ``finalize``) for progress and task names."""

    def map(self, stage: str, function: Callable[..., R], calls: Sequence[tuple]) -> list[R]:
        """``function(*args)`` for every ``args`` of ``calls`` (one batch each, CPU-bound:
        in the process pool when there is one), the results in order."""
        ...

    def call(self, stage: str, function: Callable[..., R], *args: object, cpu: bool) -> R:
        """``function(*args)`` once: in the process pool when ``cpu`` and there is one, else
        in the driver process."""
        ...


@dataclass
class StagesDone:
    """What the stages leave for the commit, in staging order, and their counters."""

    staged: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)


def run_stages(
    ctx: RunContext,
    batches: Sequence[Sequence[SourceFile]],
    read_dirs: Sequence[str],
    run_seq: int,
    threads: int,
    executor: Executor,
) -> StagesDone:
    """Run every stage over ``batches`` (batch ``i`` read into ``read_dirs[i]``); ``run_seq``
    orders this run's articles after earlier runs', ``threads`` share the single-task stages.
    Each stage's function is looked up when the stage starts."""
    done = StagesDone()
    reads = executor.map(
        "read",
        read_stage.read_batch,
        [
            (ctx, i, files, work)
            for i, (files, work) in enumerate(zip(batches, read_dirs, strict=True))
        ],
    )
    stats = executor.call(
        "merge-stats",
        stats_stage.merge_stats,
        ctx,
        [r.line_counts for r in reads],
        threads,
        cpu=False,
    )
    strips = executor.map(
        "strip",
        strip_stage.strip_batch,
        [(ctx, i, r.extracted, stats.snapshot) for i, r in enumerate(reads)],
    )
    links = executor.call(
        "link", link_stage.link_run, ctx, strips, run_seq, None, threads, cpu=True
    )
    finals = executor.map(
        "finalize",
        finalize_stage.finalize_batch,
        [(ctx, i, r, s, links) for i, (r, s) in enumerate(zip(reads, strips, strict=True))],
    )
    done.staged += [stats.snapshot, *links.staged]
    for final in finals:
        done.staged += final.staged
    done.replaces += stats.replaces
    for output in (*reads, *strips, links):
        done.counters.add(output.counters)
    return done
