"""The ``ingest`` flow: RAW_DIR to CLEAN_DIR in batch tasks, committed atomically.

The flow owns orchestration only: it discovers what is new, fans the library's batch stages
out as tasks (one task per batch of files, never per article), publishes the run report and
commits. Every stage is a function of :mod:`pipeline.stages`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    update_progress_artifact,
)
from prefect.context import get_run_context
from prefect.futures import wait
from prefect.task_runners import ThreadPoolTaskRunner

from flows.pool import process_pool, run_cpu
from pipeline import stages
from pipeline.discover import DEFAULT_MAX_FILE_BYTES, Discovery, discover
from pipeline.stages import RunContext, StageResult
from pipeline.store import CommitPlan, Ledger, Root, commit, recover, write_part, writer_lock
from pipeline.store.commit import committed_sequences
from pipeline.store.schema import REJECTED, SOURCES
from pipeline.summary import RunSummary

DEFAULT_BATCH_SIZE = 500
RETRIES = dict(retries=2, retry_delay_seconds=[2, 10], retry_jitter_factor=0.5)


@task(name="read-batch", **RETRIES)
def read_batch(ctx: RunContext, batch: int, files: list) -> StageResult:
    return run_cpu(stages.read_batch, ctx, batch, files)


@task(name="merge-line-stats", **RETRIES)
def merge_stats(ctx: RunContext, parts: list[str]) -> StageResult:
    return stages.merge_stats(ctx, parts)


@task(name="strip-batch", **RETRIES)
def strip_batch(ctx: RunContext, batch: int, extracted: str, stats: str) -> StageResult:
    return run_cpu(stages.strip_batch, ctx, batch, extracted, stats)


@task(name="link-duplicates", **RETRIES)
def link_run(ctx: RunContext, articles: list[str], paragraphs: list[str], seq: int) -> StageResult:
    return run_cpu(stages.link_run, ctx, articles, paragraphs, seq)


@task(name="finalize-batch", **RETRIES)
def finalize_batch(
    ctx: RunContext, batch: int, articles: str, paragraphs: str, links: str
) -> StageResult:
    return run_cpu(stages.finalize_batch, ctx, batch, articles, paragraphs, links)


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=4))
def ingest(
    raw_dir: str = "raw",
    clean_dir: str = "clean",
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 0,
    rules_dirs: Sequence[str] = (),
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> RunSummary:
    """Ingest every new source file of ``raw_dir`` into ``clean_dir``.

    ``workers`` is the number of processes for CPU-bound stages (0: one per core).
    """
    started = time.perf_counter()
    logger = get_run_logger()
    raw, clean = Root.open(raw_dir), Root.open(clean_dir)
    if not raw.fs.isdir(raw.path):
        raise FileNotFoundError(f"RAW_DIR {raw_dir!r} is not a readable directory")
    ctx = RunContext(
        raw_url=raw_dir,
        clean_url=clean_dir,
        run_id=str(get_run_context().flow_run.id),
        ingested_at=datetime.now(UTC),
        rules_dirs=tuple(rules_dirs),
    )
    summary = RunSummary(raw_dir, clean_dir)
    with writer_lock(clean, on_wait=logger.info):
        rolled = recover(clean)
        if rolled:
            logger.warning("rolled forward interrupted commit(s) %s", rolled)
        found = discover(raw, Ledger.load(clean), max_file_bytes)
        summary.counts.update(
            files_seen=found.files_seen,
            files_known=found.already_ingested,
            files_duplicate=len(found.duplicates),
            files_rejected=len(found.rejected),
        )
        for reject in found.rejected:
            summary.counts[f"rejected:{reject.error_kind}"] += 1
        logger.info(
            "%d files: %d new, %d already ingested, %d duplicates, %d rejected",
            found.files_seen,
            len(found.new),
            found.already_ingested,
            len(found.duplicates),
            len(found.rejected),
        )
        plan = CommitPlan(ctx.run_id)
        plan.staged += _stage_discovery(ctx, clean, found)
        if found.new:
            seq = (committed_sequences(clean) or [0])[-1] + 1
            with process_pool(workers or os.cpu_count() or 1):
                _run_stages(ctx, found, batch_size, seq, plan, summary)
        if plan.staged:
            commit(clean, plan)
    summary.seconds = time.perf_counter() - started
    create_markdown_artifact(
        summary.to_markdown(), key="ingest-report", description="Ingest run report"
    )
    return summary


def _run_stages(
    ctx: RunContext,
    found: Discovery,
    batch_size: int,
    seq: int,
    plan: CommitPlan,
    summary: RunSummary,
) -> None:
    batches = [found.new[i : i + batch_size] for i in range(0, len(found.new), batch_size)]
    progress = create_progress_artifact(0.0, key="ingest-progress", description="batches done")
    steps = 3 * len(batches) + 2
    done = 0

    def advance(results: list[StageResult]) -> list[StageResult]:
        nonlocal done
        for result in results:
            plan.staged += result.staged
            summary.counts.update(result.counts)
        done += len(results)
        update_progress_artifact(progress, 100.0 * done / steps)
        get_run_logger().info("stage done: %d of %d steps", done, steps)
        return results

    reads = advance(_gather([read_batch.submit(ctx, i, b) for i, b in enumerate(batches)]))
    stats = advance([merge_stats(ctx, [r.work["line_counts"] for r in reads])])[0]
    plan.replaces += [p for p in stats.work["replaces"].split("\n") if p]
    strips = advance(
        _gather(
            [
                strip_batch.submit(ctx, i, r.work["extracted"], stats.work["line_stats"])
                for i, r in enumerate(reads)
            ]
        )
    )
    links = advance(
        [
            link_run(
                ctx,
                [s.work["articles"] for s in strips],
                [s.work["paragraphs"] for s in strips],
                seq,
            )
        ]
    )[0]
    advance(
        _gather(
            [
                finalize_batch.submit(
                    ctx, i, s.work["articles"], s.work["paragraphs"], links.work["links"]
                )
                for i, s in enumerate(strips)
            ]
        )
    )


def _gather(futures: list) -> list[StageResult]:
    wait(futures)
    return [f.result() for f in futures]


def _stage_discovery(ctx: RunContext, clean: Root, found: Discovery) -> list[str]:
    """Ledger rows for duplicate paths and rows for files rejected before reading."""
    staged = []
    name = f"part-{ctx.run_id}-discovery.parquet"
    sources = [
        {
            "source_path": source.path,
            "source_sha256": source.sha256,
            "size_bytes": source.size,
            "outcome": "duplicate",
            "duplicate_of_path": first,
            "articles": 0,
            "rejected_records": 0,
            "ingested_at": ctx.ingested_at,
            "flow_run_id": ctx.run_id,
        }
        for source, first in found.duplicates
    ]
    sources += [
        {
            "source_path": r.path,
            "source_sha256": r.sha256,
            "size_bytes": None,
            "outcome": "rejected",
            "duplicate_of_path": None,
            "articles": 0,
            "rejected_records": 1,
            "ingested_at": ctx.ingested_at,
            "flow_run_id": ctx.run_id,
        }
        for r in found.rejected
    ]
    rejected = [
        {
            "source_path": r.path,
            "source_sha256": r.sha256,
            "record_locator": None,
            "stage": "discover",
            "error_kind": r.error_kind,
            "message": r.message,
            "ingested_at": ctx.ingested_at,
            "flow_run_id": ctx.run_id,
        }
        for r in found.rejected
    ]
    if sources:
        staged.append(
            write_part(
                clean, ctx.staged_part("sources", name), pa.Table.from_pylist(sources, SOURCES)
            )
        )
    if rejected:
        staged.append(
            write_part(
                clean, ctx.staged_part("rejected", name), pa.Table.from_pylist(rejected, REJECTED)
            )
        )
    return staged
