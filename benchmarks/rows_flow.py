"""End-to-end rows: the Prefect ingest flow, and the same stage calls in a plain loop.

Both read the generated corpus from disk and commit a fresh CLEAN_DIR on every repetition.
The plain loop runs the flow's stage sequence (:func:`pipeline.stages.sequence.run_stages`)
with the same process pool size, so the difference between the two is what Prefect costs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from uuid import uuid4

from benchmarks.corpus import text_dir
from benchmarks.measure import Job
from flows.pool import process_pool, run_cpu, run_stage_call
from pipeline.discover import discover
from pipeline.readers import Limits
from pipeline.stages import DEFAULT_BATCH_SIZE, RunContext, batches_of
from pipeline.stages.read import stage_discovery
from pipeline.stages.sequence import run_stages
from pipeline.store import CommitPlan, Ledger, Root, commit

#: Files per batch task; the flow's default unless a quick run sets a smaller one.
BATCH_SIZE = int(os.environ.get("BENCH_BATCH_SIZE", DEFAULT_BATCH_SIZE))
R = TypeVar("R")


class _Loop:
    """The stages without Prefect (:class:`pipeline.stages.sequence.Executor`): each batch
    call in the process pool when one is open (:func:`flows.pool.run_cpu`), from threads as
    the flow's task runner calls it."""

    def map(self, stage: str, function: Callable[..., R], calls: Sequence[tuple]) -> list[R]:
        with ThreadPoolExecutor(max(1, len(calls))) as threads:
            return list(threads.map(lambda args: run_cpu(function, *args), calls))

    def call(self, stage: str, function: Callable[..., R], *args: object, cpu: bool) -> R:
        return run_stage_call(function, args, cpu=cpu)


def plain_ingest(
    raw_dir: str, clean_dir: str, workers: int = 1, batch_size: int = BATCH_SIZE
) -> None:
    """The flow's stage sequence without Prefect: discover, read, merge statistics, strip,
    link, finalize, commit."""
    raw, clean = Root.open(raw_dir), Root.open(clean_dir)
    ctx = RunContext(raw_dir, clean_dir, uuid4().hex, datetime.now(UTC), limits=Limits.from_env())
    with process_pool(workers):
        found = discover(raw, Ledger.load(clean))
        batches = batches_of(found.new, batch_size, workers)
        plan = CommitPlan(ctx.run_id)
        plan.staged += stage_discovery(ctx, found)
        reads = [ctx.scratch_file(f"read-{i:05d}") for i in range(len(batches))]
        done = run_stages(ctx, batches, reads, 1, workers, _Loop())
        plan.staged += done.staged
        plan.replaces += done.replaces
        commit(clean, plan)


def flow_ingest(
    raw_dir: str, clean_dir: str, workers: int = 1, batch_size: int = BATCH_SIZE
) -> object:
    from flows.ingest import ingest

    return ingest(raw_dir=raw_dir, clean_dir=clean_dir, workers=workers, batch_size=batch_size)


def _job(ingest: Callable, size: int, workdir: Path, workers: int) -> Job:
    raw = str(text_dir(workdir, size))
    clean = Path(tempfile.mkdtemp(dir=workdir, prefix="clean-"))

    def reset() -> None:
        shutil.rmtree(clean, ignore_errors=True)
        clean.mkdir()

    warm_up(ingest, workdir)
    return Job(size, lambda: ingest(raw, str(clean), workers), reset, cores=workers)


def warm_up(ingest: Callable, workdir: Path) -> None:
    """One untimed run on a handful of files: imports, and Prefect's API server, start here."""
    raw = Path(tempfile.mkdtemp(dir=workdir, prefix="warm-raw-"))
    for path in sorted(text_dir(workdir, min_size(workdir)).iterdir())[:10]:
        shutil.copy(path, raw / path.name)
    clean = tempfile.mkdtemp(dir=workdir, prefix="warm-clean-")
    ingest(str(raw), clean, 1)


def min_size(workdir: Path) -> int:
    return min(int(p.name.split("-")[1]) for p in workdir.glob("corpus-*"))


def flow_1(size: int, workdir: Path) -> Job:
    return _job(flow_ingest, size, workdir, 1)


def flow_2(size: int, workdir: Path) -> Job:
    return _job(flow_ingest, size, workdir, 2)


def plain_2(size: int, workdir: Path) -> Job:
    return _job(plain_ingest, size, workdir, 2)
