"""End-to-end rows: the Prefect ingest flow, and the same stage calls in a plain loop.

Both read the generated corpus from disk and commit a fresh CLEAN_DIR on every repetition.
The plain loop makes the library calls the flow makes, in the same order and with the same
process pool size, so the difference between the two is what Prefect costs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from benchmarks.corpus import text_dir
from benchmarks.measure import Job
from flows.pool import process_pool, run_cpu
from pipeline import stages
from pipeline.discover import discover
from pipeline.stages import RunContext, StageResult
from pipeline.store import CommitPlan, Ledger, Root, commit

#: Files per batch task; the flow's default unless a quick run sets a smaller one.
BATCH_SIZE = int(os.environ.get("BENCH_BATCH_SIZE", stages.DEFAULT_BATCH_SIZE))


def _map(function: Callable, *iterables: Iterable) -> list:
    """``function`` over the zipped arguments, each call in the process pool when one is
    open (:func:`flows.pool.run_cpu`), from threads as the flow's task runner calls it."""
    calls = list(zip(*iterables, strict=True))
    with ThreadPoolExecutor(max(1, len(calls))) as threads:
        return list(threads.map(lambda args: run_cpu(function, *args), calls))


def plain_ingest(
    raw_dir: str, clean_dir: str, workers: int = 1, batch_size: int = BATCH_SIZE
) -> None:
    """The flow's stage calls without Prefect: discover, read, merge statistics, strip, link,
    finalize, commit."""
    raw, clean = Root.open(raw_dir), Root.open(clean_dir)
    ctx = RunContext(raw_dir, clean_dir, uuid4().hex, datetime.now(UTC))
    with process_pool(workers):
        found = discover(raw, Ledger.load(clean))
        batches = stages.batches_of(found.new, batch_size, workers)
        plan = CommitPlan(ctx.run_id)
        plan.staged += stages.stage_discovery(ctx, found)
        ids = range(len(batches))
        works = [ctx.work_file(f"read-{i:05d}") for i in ids]
        reads: list[StageResult] = _map(stages.read_batch, [ctx] * len(ids), ids, batches, works)
        stats = stages.merge_stats(ctx, [r.work["line_counts"] for r in reads], workers)
        plan.staged += stats.staged
        plan.replaces += [p for p in stats.work["replaces"].split("\n") if p]
        strips = _map(
            stages.strip_batch,
            [ctx] * len(ids),
            ids,
            [r.work["extracted"] for r in reads],
            [stats.work["line_stats"]] * len(ids),
        )
        links = _map(
            stages.link_run,
            [ctx],
            [[s.work["articles"] for s in strips]],
            [[s.work["paragraphs"] for s in strips]],
            [1],
            [None],
            [workers],
        )[0]
        plan.staged += links.staged
        finals = _map(
            stages.finalize_batch,
            [ctx] * len(ids),
            ids,
            [s.work["articles"] for s in strips],
            [s.work["paragraphs"] for s in strips],
            [links.work["links"]] * len(ids),
        )
        for i, (read, final) in enumerate(zip(reads, finals, strict=True)):
            plan.staged += final.staged + stages.stage_read(ctx, i, read)
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
