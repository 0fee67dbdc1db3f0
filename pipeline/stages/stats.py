"""The statistics stage: this run's line counts folded into the stored line statistics."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from pipeline.stages import RunContext, StatsOutput
from pipeline.store import LocalFiles, Root, staged_path, write_part_batches
from pipeline.store.layout import LINE_STATS_DIR
from pipeline.strip.merge import merged_count_files
from pipeline.strip.stats import LINE_STATS_SCHEMA


def merge_stats(ctx: RunContext, line_count_parts: Sequence[str], workers: int = 1) -> StatsOutput:
    """Fold this run's line counts into the stored statistics; stage the new snapshot.

    The stored snapshot is replaced, not appended to, when the run commits, so the table
    stays one file however many runs there have been. The merge streams the files within a
    fixed memory budget (:mod:`pipeline.strip.merge`), in ``workers`` threads: it runs
    while the pool's workers wait for the statistics.
    """
    clean = Root.open(ctx.clean_url)
    stored = clean.list_files(LINE_STATS_DIR, ".parquet")
    final = posixpath.join(LINE_STATS_DIR, f"line-stats-{ctx.run_id}.parquet")
    staged = staged_path(ctx.run_id, final)
    with (
        LocalFiles(clean, [*([] if ctx.reprocess else stored), *line_count_parts]) as local,
        merged_count_files(local.paths, threads=workers) as batches,
    ):
        write_part_batches(clean, staged, LINE_STATS_SCHEMA, batches)
    return StatsOutput(snapshot=staged, replaces=tuple(stored))
