"""Rebuilding the dedup index from the stored paragraphs (``repair``).

The index holds what the link stage added, run by run. Replaying
:func:`pipeline.stages.link.link_run` over each run's stored articles and paragraphs, in
commit order, each run against the parts rebuilt before it, gives the same rows: a run's
``ingest_order`` comes from its commit sequence number and its articles' ``article_id``
order (both as the run had them), its features from
:func:`pipeline.stages.strip.with_features` (as its strip stage computed them).
The rebuilt parts are staged for one commit that replaces every part of the old index.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.arrays import split_by
from pipeline.dedup.params import DedupParams
from pipeline.stages import DEFAULT_BATCH_SIZE, RunContext, StripOutput
from pipeline.stages.link import ARTICLE_INPUT, DEDUP_INPUT, link_run
from pipeline.stages.strip import PARAGRAPH_COUNT, with_features
from pipeline.store import LocalFiles, Root, staged_path, write_work_part
from pipeline.store.commit import DamagedRecord, committed_sequences, read_record
from pipeline.store.delta import dataset
from pipeline.store.layout import DEDUP_INDEX_DIR, staging_prefix


@dataclass(frozen=True)
class RebuiltIndex:
    """The staged parts of the rebuilt index and what they were rebuilt from."""

    staged: list[str]
    paragraphs: int
    runs: int

    def line(self) -> str:
        return f"dedup_index: rebuilt from {self.paragraphs} paragraphs of {self.runs} runs"


def index_incomplete(clean: Root, parts: list[str]) -> bool:
    """Whether some stored paragraph has no row in the index parts ``parts`` (a part lost)."""
    con = duckdb.connect()
    con.register("paragraphs", dataset(clean, "paragraphs"))
    with LocalFiles(clean, parts) as index:
        if not index.paths:
            (missing,) = con.execute("SELECT count(*) > 0 FROM paragraphs").fetchone()
            return bool(missing)
        (missing,) = con.execute(
            "SELECT count(*) > 0 FROM paragraphs ANTI JOIN "
            "(SELECT article_id, idx FROM read_parquet($paths)) USING (article_id, idx)",
            {"paths": index.paths},
        ).fetchone()
    return bool(missing)


def stage_rebuilt_index(clean: Root, commit_id: str, params: DedupParams) -> RebuiltIndex:
    """Replay the link stage over every run's stored paragraphs; the parts are staged under
    ``commit_id`` (for :class:`pipeline.store.CommitPlan`)."""
    staged: list[str] = []
    paragraphs = 0
    runs = _runs_in_commit_order(clean)
    for seq, run_id in runs:
        replay = f"{commit_id}-{seq:08d}"
        ctx = RunContext(clean.url, clean.url, replay, datetime.now(UTC), dedup=params)
        strips, count = _stored_run_as_strips(clean, ctx, run_id)
        linked = link_run(ctx, strips, seq, stored=list(staged))
        staged += [_restage(clean, rel, commit_id) for rel in linked.staged]
        paragraphs += count
        clean.remove(staging_prefix(replay), recursive=True)
    return RebuiltIndex(staged, paragraphs, len(runs))


def _runs_in_commit_order(clean: Root) -> list[tuple[int, str]]:
    """(commit sequence number, run id) of every run whose articles are stored, oldest first."""
    column = dataset(clean, "articles").to_table(columns=["flow_run_id"])["flow_run_id"]
    with_articles = set(pc.unique(column).to_pylist())
    runs = []
    for seq in committed_sequences(clean):
        try:
            run_id = read_record(clean, seq)["run_id"]
        except DamagedRecord:
            continue  # verify reports it; its run's rows, if any, stay unindexed
        if run_id in with_articles:
            runs.append((seq, run_id))
    return runs


#: One run's stored articles as the strip stage handed them to the link stage.
_RUN_ARTICLES_SQL = f"""
SELECT a.article_id, a.published, count(p.idx)::BIGINT AS {PARAGRAPH_COUNT},
       ((row_number() OVER (ORDER BY a.article_id) - 1) // $batch)::INTEGER AS batch
FROM articles a LEFT JOIN paragraphs p USING (article_id)
WHERE a.flow_run_id = $run
GROUP BY a.article_id, a.published
"""
_RUN_PARAGRAPHS_SQL = """
SELECT p.article_id, p.idx, p.text, a.batch
FROM paragraphs p JOIN run_articles a USING (article_id)
ORDER BY p.article_id, p.idx
"""


def _stored_run_as_strips(
    clean: Root, ctx: RunContext, run_id: str
) -> tuple[list[StripOutput], int]:
    """The stored articles and paragraphs of run ``run_id`` as strip outputs (work files of
    :data:`DEFAULT_BATCH_SIZE` articles, the paragraphs with their features), and the number
    of paragraphs."""
    con = duckdb.connect()
    con.register("articles", dataset(clean, "articles"))
    con.register("paragraphs", dataset(clean, "paragraphs"))
    params = {"run": run_id, "batch": DEFAULT_BATCH_SIZE}
    articles = con.sql(_RUN_ARTICLES_SQL, params=params).arrow().read_all()
    con.register("run_articles", articles)
    paragraphs = con.sql(_RUN_PARAGRAPHS_SQL).arrow().read_all()
    by_batch = dict(split_by(paragraphs, "batch"))
    no_paragraphs = paragraphs.drop_columns(["batch"]).slice(0, 0)
    strips = [
        _write_strip(clean, ctx, batch, members, by_batch.get(batch, no_paragraphs))
        for batch, members in split_by(articles, "batch")
    ]
    return strips, paragraphs.num_rows


def _write_strip(
    clean: Root, ctx: RunContext, batch: int, articles: pa.Table, paragraphs: pa.Table
) -> StripOutput:
    """One batch's work files, of the link stage's input schemas."""
    paragraphs = with_features(paragraphs, ctx.dedup)
    work = ctx.scratch_file(f"rebuild-{batch:05d}")
    articles = articles.select(ARTICLE_INPUT.names).cast(ARTICLE_INPUT)
    paragraphs = paragraphs.select(DEDUP_INPUT.names).cast(DEDUP_INPUT)
    return StripOutput(
        write_work_part(clean, posixpath.join(work, "articles.parquet"), articles),
        write_work_part(clean, posixpath.join(work, "paragraphs.parquet"), paragraphs),
    )


def _restage(clean: Root, rel: str, commit_id: str) -> str:
    """Move a replay's staged index part to where commit ``commit_id`` publishes it from."""
    target = staged_path(commit_id, posixpath.join(DEDUP_INDEX_DIR, posixpath.basename(rel)))
    clean.fs.makedirs(posixpath.dirname(clean.join(target)), exist_ok=True)
    clean.fs.mv(clean.join(rel), clean.join(target))
    return target
