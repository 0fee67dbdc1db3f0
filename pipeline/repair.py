"""``repair``: set damaged files aside and make CLEAN_DIR whole again.

1. Files of a table's current version that are missing, changed in place or unreadable leave
   the table (one Delta commit per table) and go to ``_quarantine/``, as do Parquet files in
   a table's directory that no version names.
2. The sources whose records were lost with them (articles, or paragraphs of an article)
   are forgotten: their remaining rows leave
   every table (their ledger rows last), so that the next ingest over RAW_DIR reads them
   again. The ``repair`` command runs that ingest.
3. Unreadable line statistics are quarantined and rebuilt from RAW_DIR (the ingested
   sources read again, their lines counted). When a dedup index part is unreadable, or
   some stored paragraph has no index row (a part lost), the whole index is rebuilt from
   the stored paragraphs (:mod:`pipeline.index_rebuild`, so that later runs still link to
   them); the damaged parts are quarantined and one commit replaces every other part.
4. Scratch that nothing reads again (an interrupted run's ``_staging/``, the ``_work/`` of
   earlier versions) is removed.

Runs with the writer lock held, after :func:`pipeline.store.recover`.
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.dedup.link import DEFAULT_PARAMS
from pipeline.discover import discover
from pipeline.index_rebuild import RebuiltIndex, index_incomplete, stage_rebuilt_index
from pipeline.readers import Limits
from pipeline.stages import DEFAULT_BATCH_SIZE, RunContext, batches_of
from pipeline.stages.read import read_batch
from pipeline.stages.stats import merge_stats
from pipeline.store import DATASETS, CommitPlan, Ledger, Root, commit, recover, write_part
from pipeline.store.commit import quarantine
from pipeline.store.compact import vacuum
from pipeline.store.delta import dataset, is_table, live_files, replace_files
from pipeline.store.layout import DEDUP_INDEX_DIR, LEGACY_WORK_DIR, LINE_STATS_DIR
from pipeline.verify import STATE_DIRS, check_part, leftover_scratch, removed_files


@dataclass
class Repaired:
    quarantined: list[str] = field(default_factory=list)
    forgotten_sources: list[str] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)
    rebuilt_index: str | None = None
    removed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return (
            [f"quarantined {rel}" for rel in self.quarantined]
            + [f"forgot source {sha} (its records were lost)" for sha in self.forgotten_sources]
            + [f"rebuilt {rel}" for rel in self.rebuilt]
            + ([self.rebuilt_index] if self.rebuilt_index else [])
            + [f"removed {rel}/ (scratch that nothing reads)" for rel in self.removed]
        )


def repair(clean: Root, raw: Root | None) -> Repaired:
    """Steps 1-4 of the module's description; the caller holds the lock and runs the
    ingest that reads the forgotten sources again."""
    done = Repaired(removed=leftover_scratch(clean, live=False))
    recover(clean)  # removes the staging
    clean.remove(LEGACY_WORK_DIR, recursive=True)
    for name in DATASETS:
        if is_table(clean, name):
            done.quarantined += _drop_damaged_files(clean, name)
    lost = _sources_missing_records(clean)
    if lost:
        _forget_sources(clean, lost)
        done.forgotten_sources = sorted(lost)
    done.quarantined += [quarantine(clean, rel) for rel in _damaged_state(clean, LINE_STATS_DIR)]
    if raw is not None and not clean.list_files(LINE_STATS_DIR, ".parquet"):
        done.rebuilt += _rebuild_line_stats(clean, raw)
    damaged = _damaged_state(clean, DEDUP_INDEX_DIR)
    sound = [rel for rel in clean.list_files(DEDUP_INDEX_DIR, ".parquet") if rel not in damaged]
    if damaged or index_incomplete(clean, sound):
        index, set_aside = _rebuild_index(clean, damaged, sound)
        done.quarantined += set_aside
        done.rebuilt_index = index.line()
    return done


def _damaged_state(clean: Root, directory: str) -> list[str]:
    """The files of a state directory (:data:`STATE_DIRS`) that do not read whole."""
    columns = STATE_DIRS[directory]
    return [
        rel
        for rel in clean.list_files(directory, ".parquet")
        if any(True for _ in check_part(clean, rel, columns)) or not _readable(clean, rel)
    ]


def _drop_damaged_files(clean: Root, name: str) -> list[str]:
    live = live_files(clean, name)
    damaged = [rel for rel, size in live.items() if not _sound(clean, rel, size)]
    if damaged:
        replace_files(clean, name, damaged, [], "repair")
    removed = removed_files(clean, name)
    strays = [
        rel
        for rel in clean.list_files(name, ".parquet")
        if not rel.startswith(posixpath.join(name, "_delta_log"))
        and rel not in live
        and rel not in removed
    ]
    return [quarantine(clean, rel) for rel in [*damaged, *strays] if clean.exists(rel)]


def _sound(clean: Root, rel: str, size: int) -> bool:
    """Whether the file is there, as the log recorded it, and every row group reads."""
    return clean.exists(rel) and clean.size(rel) == size and _readable(clean, rel)


def _readable(clean: Root, rel: str) -> bool:
    """Whether every row group of the Parquet file ``rel`` reads."""
    try:
        parquet = pq.ParquetFile(clean.join(rel), filesystem=clean.fs)
        for group in range(parquet.num_row_groups):
            parquet.read_row_group(group)
    except Exception:  # any failure to read is damage
        return False
    return True


def _sources_missing_records(clean: Root) -> set[str]:
    """Sources the ledger records as ingested with more articles than the table holds, and
    sources of articles that lack some of their paragraphs."""
    con = duckdb.connect()
    for name in ("articles", "paragraphs", "sources"):
        con.register(name, dataset(clean, name))
    rows = con.execute(
        """
        SELECT s.source_sha256 FROM
          (SELECT source_sha256, sum(articles) AS articles FROM sources
           WHERE outcome = 'ingested' GROUP BY 1) s
          LEFT JOIN (SELECT source_sha256, count(*) AS n FROM articles GROUP BY 1) a
          USING (source_sha256)
        WHERE coalesce(a.n, 0) < s.articles
        UNION
        SELECT a.source_sha256 FROM articles a
          LEFT JOIN (SELECT article_id, count(*) AS n FROM paragraphs GROUP BY 1) p
          USING (article_id)
        WHERE coalesce(p.n, 0) <> CASE WHEN a.text = '' THEN 0
              ELSE length(a.text) - length(replace(a.text, chr(10), '')) + 1 END
        """
    ).fetchall()
    return {sha for (sha,) in rows}


def _forget_sources(clean: Root, shas: set[str]) -> None:
    """Drop every row of the sources ``shas`` (data tables first, the ledger last) and the
    paragraphs left without their article."""
    keys = pa.array(sorted(shas), pa.string())
    _rewrite_where(clean, "articles", lambda t: pc.is_in(t["source_sha256"], keys))
    articles = dataset(clean, "articles").to_table(columns=["article_id"])["article_id"]
    _rewrite_where(clean, "paragraphs", lambda t: pc.invert(pc.is_in(t["article_id"], articles)))
    _rewrite_where(clean, "rejected", lambda t: pc.is_in(t["source_sha256"], keys))
    _rewrite_where(clean, "sources", lambda t: pc.is_in(t["source_sha256"], keys))


def _rewrite_where(clean: Root, name: str, drop: Callable[[pa.Table], pa.Array]) -> None:
    """Rewrite the files of ``name`` holding rows for which ``drop`` is true, without them,
    in one Delta commit; the old files are vacuumed."""
    removed, added = [], []
    for rel in live_files(clean, name):
        table = pq.read_table(clean.join(rel), filesystem=clean.fs)
        mask = pc.fill_null(drop(table), False)
        if not pc.any(mask).as_py():
            continue
        removed.append(rel)
        kept = table.filter(pc.invert(mask))
        if len(kept):
            target = posixpath.join(
                posixpath.dirname(rel), f"part-repair-{uuid.uuid4().hex}.parquet"
            )
            added.append(write_part(clean, target, kept.select(DATASETS[name].names)))
    if removed:
        replace_files(clean, name, removed, added, "repair")
        vacuum(clean, name, 0)


def _rebuild_line_stats(clean: Root, raw: Root) -> list[str]:
    """Count the lines of every ingested source again and commit them as the statistics."""
    first = Ledger.load(clean).first_path_by_hash
    files = [s for s in discover(raw, Ledger(frozenset(), {})).new if first.get(s.sha256) == s.path]
    ctx = RunContext(
        raw.url,
        clean.url,
        f"repair-{uuid.uuid4().hex}",
        datetime.now(UTC),
        limits=Limits.from_env(),
    )
    parts = _line_count_parts(ctx, batches_of(files, DEFAULT_BATCH_SIZE, 1))
    stats = merge_stats(ctx, parts)
    commit(clean, CommitPlan(ctx.run_id, staged=[stats.snapshot]))
    return [stats.snapshot.split("/", 2)[-1]]


def _rebuild_index(
    clean: Root, damaged: list[str], sound: list[str]
) -> tuple[RebuiltIndex, list[str]]:
    """Rebuild the dedup index from the stored paragraphs, then quarantine its ``damaged``
    parts and commit the new parts in place of the ``sound`` ones, in one commit (the old
    index stays whole to readers until the new one is staged). Returns the rebuilt index and
    where the damaged parts went."""
    commit_id = f"repair-{uuid.uuid4().hex}"
    index = stage_rebuilt_index(clean, commit_id, DEFAULT_PARAMS)
    set_aside = [quarantine(clean, rel) for rel in damaged]
    commit(clean, CommitPlan(commit_id, staged=index.staged, replaces=sound))
    return index, set_aside


def _line_count_parts(ctx: RunContext, batches: Sequence) -> list[str]:
    return [read_batch(ctx, i, files).line_counts for i, files in enumerate(batches)]
