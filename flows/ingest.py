"""The ``ingest`` flow: RAW_DIR to CLEAN_DIR in batch tasks, committed atomically.

The flow owns orchestration only: it discovers what is new, fans the library's batch stages
out as tasks (one task per batch of files, never per article), publishes the run report and
commits. The stage sequence is :func:`pipeline.stages.sequence.run_stages`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

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
from flows.pool import process_pool, run_cpu, run_stage_call
from flows.report import explain_page, publish_report
from flows.retries import RETRIES
from flows.runners import thread_runner
from flows.stage_progress import BATCH_STAGES, StagesProgress, discovery_counter
from pipeline.discover import DEFAULT_MAX_FILE_BYTES, SourceFile, discover
from pipeline.progress import report
from pipeline.readers import Limits
from pipeline.stages import DEFAULT_BATCH_SIZE, ReadOutput, RunContext, batches_of
from pipeline.stages.read import discovery_counters, stage_discovery
from pipeline.stages.sequence import run_stages
from pipeline.store import CommitPlan, Ledger, Root, commit, recover, writer_lock
from pipeline.store.commit import last_sequence
from pipeline.store.compact import compact_min_files, optimize, vacuum_all
from pipeline.store.delta import all_tables_exist, check_delta_storage
from pipeline.store.layout import DEDUP_INDEX_DIR, read_cache_dir
from pipeline.summary import RunSummary
from pipeline.verify import unreadable_state_files

R = TypeVar("R")


class DamagedState(RuntimeError):
    """The line statistics or dedup index cannot be read; ``repair`` rebuilds them."""


@task(name="read-batch", cache_policy=NO_CACHE, persist_result=False, **RETRIES)
def read_batch(
    function: Callable[..., ReadOutput],
    ctx: RunContext,
    batch: int,
    files: list[SourceFile],
    work: str,
) -> ReadOutput:
    """Reuses a crashed run's batch when ``work`` holds one that passes every check (see
    :mod:`flows.cache`); else reads and extracts the files again."""
    clean = Root.open(ctx.clean_url)
    if (cached := cache.load(clean, work)) is not None:
        return cached
    result = run_cpu(function, ctx, batch, files, work)
    cache.store(clean, work, result)
    return result


@task(**RETRIES)
def _stage_task(function: Callable[..., R], *args: object, cpu: bool = True) -> R:
    """One call of a stage (:func:`flows.pool.run_stage_call`). merge-stats runs in the flow's
    process (``cpu`` False), in threads of its own, while the pool's workers wait for it;
    link is one task for the whole run, its threads sharing numpy and DuckDB work."""
    return run_stage_call(function, args, cpu=cpu)


#: The task of each stage; each takes the stage's function and its arguments.
TASKS = {
    "read": read_batch,
    **{
        stage: _stage_task.with_options(name=name)
        for stage, name in (
            ("merge-stats", "merge-line-stats"),
            ("strip", "strip-batch"),
            ("link", "link-duplicates"),
            ("finalize", "finalize-batch"),
        )
    },
}


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
        limits=Limits.from_env(),
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
        summary.counters.add(discovery_counters(found))
        logger.info(
            "%d files: %d new, %d already ingested, %d duplicates, %d rejected",
            found.files_seen,
            len(found.new),
            found.already_ingested,
            len(found.duplicates),
            len(found.rejected),
        )
        batches = batches_of(found.new, batch_size, pool_size)
        keys = [cache.read_key(ctx, files) for files in batches]
        if dropped := cache.prune(clean, keep=keys):
            logger.info("dropped %d cached read batch(es) this run does not need", len(dropped))
        plan = CommitPlan(ctx.run_id, base=last_sequence(clean), overwrite=reprocess)
        plan.staged += stage_discovery(ctx, found)
        if batches:
            progress = StagesProgress([len(files) for files in batches])
            reads = [read_cache_dir(key) for key in keys]
            done = run_stages(ctx, batches, reads, plan.base + 1, pool_size, _Tasks(progress))
            plan.staged += done.staged
            plan.replaces += done.replaces
            summary.counters.add(done.counters)
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


class _Tasks:
    """The stages as Prefect tasks (:class:`pipeline.stages.sequence.Executor`): batch calls
    submitted to the thread runner, each handing its work to the process pool; progress
    reported as batches and stages finish."""

    def __init__(self, progress: StagesProgress) -> None:
        self.progress = progress

    def map(self, stage: str, function: Callable[..., R], calls: Sequence[tuple]) -> list[R]:
        futures = [
            TASKS[stage].submit(function, *(_as_parameter(arg) for arg in args)) for args in calls
        ]
        results = _gather(futures, lambda batch, _: self.progress.batch_done(stage, batch))
        return self._done(stage, results)

    def call(self, stage: str, function: Callable[..., R], *args: object, cpu: bool) -> R:
        return self._done(stage, [TASKS[stage](function, *args, cpu=cpu)])[0]

    def _done(self, stage: str, results: list[R]) -> list[R]:
        if stage not in BATCH_STAGES:
            self.progress.step_done(stage)
        get_run_logger().info("stage %s done (%d task(s))", stage, len(results))
        return results


def _as_parameter(value: object) -> object:
    """A task parameter; a list (a batch's files) goes in ``quote``d on threads. Prefect
    walks every parameter for upstream futures, and walking thousands of files costs this
    process's CPU, on cores the pool's workers need. On Dask there is no pool
    here to compete with, and prefect-dask does not carry a quoted list intact (its files
    arrive as tuples)."""
    if isinstance(value, list) and isinstance(get_run_context().task_runner, ThreadPoolTaskRunner):
        return quote(value)
    return value


def _gather(futures: list, on_done: Callable[[int, object], None] | None = None) -> list:
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
