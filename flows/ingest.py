"""The ``ingest`` flow: RAW_DIR to CLEAN_DIR in batch tasks, committed atomically.

The flow owns orchestration only: it discovers what is new, fans the library's batch stages
out as tasks (one task per batch of files, never per article), publishes the run report and
commits. Every stage is a function of :mod:`pipeline.stages`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.context import get_run_context
from prefect.futures import as_completed, wait
from prefect.states import Cancelled
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import cache
from flows.interrupt import discarded_on_failure, interruptible
from flows.pool import process_pool, run_cpu
from flows.progress import BATCH_STAGES, StagesProgress, discovery_counter
from flows.report import explain_page, publish_report
from flows.retries import RETRIES
from flows.runners import thread_runner
from pipeline import stages
from pipeline.discover import DEFAULT_MAX_FILE_BYTES, SourceFile, discover
from pipeline.progress import report
from pipeline.stages import DEDUP_INDEX_DIR, DEFAULT_BATCH_SIZE, RunContext, StageResult
from pipeline.store import CommitPlan, Ledger, Root, commit, recover, writer_lock
from pipeline.store.commit import last_sequence
from pipeline.store.compact import compact_min_files, optimize, vacuum_all
from pipeline.store.delta import all_tables_exist, check_delta_storage
from pipeline.summary import RunSummary
from pipeline.verify import unreadable_state_files


class DamagedState(RuntimeError):
    """The line statistics or dedup index cannot be read; ``repair`` rebuilds them."""


@task(name="read-batch", cache_policy=NO_CACHE, persist_result=False, **RETRIES)
def read_batch(ctx: RunContext, batch: int, files: list[SourceFile], work: str) -> StageResult:
    """Reuses a crashed run's batch when ``work`` holds one that passes every check (see
    :mod:`flows.cache`); else reads and extracts the files again."""
    clean = Root.open(ctx.clean_url)
    if (cached := cache.load(clean, work)) is not None:
        return cached
    result = run_cpu(stages.read_batch, ctx, batch, files, work)
    cache.store(clean, work, result)
    return result


@task(name="merge-line-stats", **RETRIES)
def merge_stats(ctx: RunContext, parts: list[str], threads: int) -> StageResult:
    """Runs in the flow's process, in ``threads`` threads: the pool's workers wait for it."""
    return stages.merge_stats(ctx, parts, threads)


@task(name="strip-batch", **RETRIES)
def strip_batch(ctx: RunContext, batch: int, extracted: str, stats: str) -> StageResult:
    return run_cpu(stages.strip_batch, ctx, batch, extracted, stats)


@task(name="link-duplicates", **RETRIES)
def link_run(
    ctx: RunContext, articles: list[str], paragraphs: list[str], seq: int, threads: int
) -> StageResult:
    """One task for the whole run (chunks are linked in order); ``threads`` share its numpy
    and DuckDB work, since the other pool workers idle meanwhile."""
    return run_cpu(stages.link_run, ctx, articles, paragraphs, seq, workers=threads)


@task(name="finalize-batch", **RETRIES)
def finalize_batch(
    ctx: RunContext, batch: int, read: StageResult, articles: str, paragraphs: str, links: str
) -> StageResult:
    result = run_cpu(stages.finalize_batch, ctx, batch, articles, paragraphs, links)
    result.staged += stages.stage_read(ctx, batch, read)
    return result


@flow(name="ingest", task_runner=thread_runner())
def ingest(
    raw_dir: str = "raw",
    clean_dir: str = "clean",
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 0,
    rules_dirs: tuple[str, ...] = (),
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    strip_model: str | None = None,
    reprocess: bool = False,
    explain_html: str | None = None,
    explain_sample: int = 20,
) -> RunSummary | State:
    """Ingest every new source file of ``raw_dir`` into ``clean_dir`` (paths or fsspec URLs).

    With ``explain_html`` (a local path), ``explain_sample`` of the run's articles are also
    written there as a page with their removals marked, and the run report links it.

    ``workers`` is the number of processes for CPU-bound stages (0: one per core) when the
    flow runs on its default thread runner; on a Dask runner the cluster's workers are the
    processes. ``batch_size`` is the number of source files per batch task. ``strip_model``
    is a line model file (``python -m pipeline train``); ``None``: the package's. Interrupted
    (SIGINT, SIGTERM), the run cleans up and ends Cancelled (see :mod:`flows.interrupt`).

    ``reprocess`` (``restrip``) reads every source of ``raw_dir`` again, with this run's
    rules and code, and replaces every table's rows, the statistics and the dedup index in
    one commit: a new version of each table.
    """
    started = time.perf_counter()
    logger = get_run_logger()
    raw, clean = Root.open(raw_dir), Root.open(clean_dir)
    if not raw.fs.isdir(raw.path):
        raise FileNotFoundError(f"RAW_DIR {raw_dir!r} is not a readable directory")
    check_delta_storage(clean)
    ctx = RunContext(
        raw_url=raw_dir,
        clean_url=clean_dir,
        run_id=str(get_run_context().flow_run.id),
        ingested_at=datetime.now(UTC),
        rules_dirs=tuple(rules_dirs),
        strip_model=strip_model,
        reprocess=reprocess,
    )
    summary = RunSummary(raw_dir, clean_dir, run_id=ctx.run_id)
    pool_size = _pool_size(workers)
    with (
        interruptible() as stop,
        writer_lock(clean, on_wait=logger.info),
        discarded_on_failure(clean),
        process_pool(pool_size),
    ):
        rolled = recover(clean)
        if rolled:
            logger.warning("rolled forward interrupted commit(s) %s", rolled)
        if damaged := unreadable_state_files(clean):
            raise DamagedState(
                f"{clean_dir}/{damaged[0]}; run `python -m pipeline repair {clean_dir} "
                f"--raw-dir {raw_dir}`"
            )
        ledger = Ledger.empty() if reprocess else Ledger.load(clean)
        found = discover(raw, ledger, max_file_bytes, on_file=discovery_counter())
        report("discover", found.files_seen, found.files_seen)
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
        batches = stages.batches_of(found.new, batch_size, pool_size)
        keys = [cache.read_key(ctx, files) for files in batches]
        if dropped := cache.prune(clean, keep=keys):
            logger.info("dropped %d cached read batch(es) this run does not need", len(dropped))
        plan = CommitPlan(ctx.run_id, base=last_sequence(clean), overwrite=reprocess)
        plan.staged += stages.stage_discovery(ctx, found)
        if batches:
            _run_stages(ctx, clean, batches, keys, plan.base + 1, pool_size, plan, summary)
        if reprocess:
            plan.replaces += clean.list_files(DEDUP_INDEX_DIR, ".parquet")
        if plan.staged or reprocess or not all_tables_exist(clean):
            commit(clean, plan)
        if reprocess:
            vacuum_all(clean)
        elif threshold := compact_min_files():
            for done in optimize(clean, min_files=threshold):
                logger.info("compacted %s %s: %d files", done.table, done.partition, done.files_in)
        cache.prune(clean)
    if stop.signal:
        return Cancelled(message=f"interrupted by {stop.signal}")
    page = explain_page(clean_dir, explain_html, explain_sample, ctx.run_id)
    summary.seconds = time.perf_counter() - started
    publish_report(summary, explain_page=page)
    return summary


def _pool_size(workers: int) -> int:
    """Processes for CPU-bound stages: none beside the task runner's own unless it is the
    thread runner (a Dask worker is already a process of its own)."""
    if not isinstance(get_run_context().task_runner, ThreadPoolTaskRunner):
        return 1
    return workers or os.cpu_count() or 1


def _run_stages(
    ctx: RunContext,
    clean: Root,
    batches: list[list[SourceFile]],
    keys: list[str],
    seq: int,
    threads: int,
    plan: CommitPlan,
    summary: RunSummary,
) -> None:
    progress = StagesProgress([len(files) for files in batches])

    def advance(stage: str, results: list[StageResult]) -> list[StageResult]:
        for result in results:
            plan.staged += result.staged
            summary.counts.update(result.counts)
        if stage not in BATCH_STAGES:
            progress.step_done(stage)
        get_run_logger().info("stage %s done (%d task(s))", stage, len(results))
        return results

    def batch_done(stage: str) -> Callable[[int, StageResult], None]:
        return lambda batch, _: progress.batch_done(stage, batch)

    reads = advance("read", _read(ctx, clean, batches, keys, progress))
    stats = advance(
        "merge-stats", [merge_stats(ctx, [r.work["line_counts"] for r in reads], threads)]
    )[0]
    plan.replaces += [p for p in stats.work["replaces"].split("\n") if p]
    strips = advance(
        "strip",
        _gather(
            [
                strip_batch.submit(ctx, i, r.work["extracted"], stats.work["line_stats"])
                for i, r in enumerate(reads)
            ],
            batch_done("strip"),
        ),
    )
    links = advance(
        "link",
        [
            link_run(
                ctx,
                [s.work["articles"] for s in strips],
                [s.work["paragraphs"] for s in strips],
                seq,
                threads,
            )
        ],
    )[0]
    advance(
        "finalize",
        _gather(
            [
                finalize_batch.submit(
                    ctx, i, r, s.work["articles"], s.work["paragraphs"], links.work["links"]
                )
                for i, (r, s) in enumerate(zip(reads, strips, strict=True))
            ],
            batch_done("finalize"),
        ),
    )


def _read(
    ctx: RunContext,
    clean: Root,
    batches: list[list[SourceFile]],
    keys: list[str],
    progress: StagesProgress,
) -> list[StageResult]:
    """Read every batch, reusing cached batches that pass their checks."""
    return _gather(
        [
            read_batch.submit(ctx, i, _as_parameter(files), cache.read_work_dir(key))
            for i, (files, key) in enumerate(zip(batches, keys, strict=True))
        ],
        lambda batch, _: progress.batch_done("read", batch),
    )


def _as_parameter(files: list[SourceFile]) -> list[SourceFile] | quote:
    """A batch's files as a task parameter. Prefect walks every parameter for upstream
    futures: for ten batches of 1,000 files that costs 0.55 s of this process's CPU, on cores
    the pool's workers need, so on threads the list goes in ``quote``d (not walked). On Dask
    there is no pool here to compete with, and prefect-dask does not carry a quoted list
    intact (its files arrive as tuples)."""
    if isinstance(get_run_context().task_runner, ThreadPoolTaskRunner):
        return quote(files)
    return files


def _gather(
    futures: list, on_done: Callable[[int, StageResult], None] | None = None
) -> list[StageResult]:
    """The futures' results in order; ``on_done(position, result)`` as each one succeeds.
    A failure is raised once every future is done, as without ``on_done``."""
    if on_done is not None:
        position = {future: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            result = future.result(raise_on_failure=False)
            if not isinstance(result, BaseException):
                on_done(position[future], result)
    wait(futures)
    return [f.result() for f in futures]
