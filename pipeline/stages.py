"""The pipeline's batch stages as plain functions: paths and small counters in and out.

The Prefect flow in ``flows/`` wires these into tasks; a plain loop can call them as well
(the orchestration benchmark does). Every stage reads and writes through fsspec roots, so a
stage may run on another machine than the driver.

    read_batch     source files -> extracted documents, line counts, rejects, ledger rows
    stage_read     a read batch's rejects and ledger rows, stamped with the run -> staged parts
    stage_discovery  ledger rows of duplicate paths and files rejected by discovery
    merge_stats    line counts of this run + stored statistics -> new statistics snapshot
    strip_batch    extracted documents -> articles and paragraphs (not yet linked)
    link_run       every paragraph of the run + stored index -> duplicate links, index rows
    finalize_batch articles and paragraphs + links -> final staged Parquet parts
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.arrays import run_positions
from pipeline.dedup import LINK_SCHEMA as LINKS
from pipeline.dedup import link_paragraphs
from pipeline.dedup.features import (
    FEATURE_FIELDS,
    feature_columns,
    features_of_table,
)
from pipeline.dedup.link import DEFAULT_PARAMS as DEFAULT_DEDUP_PARAMS
from pipeline.dedup.unique import unique_part
from pipeline.discover import Discovery, SourceFile
from pipeline.readers import Limits, Rejection
from pipeline.reading import read_guard
from pipeline.records import EXTRACTED, article_row, lines_of, paragraph_rows
from pipeline.store import (
    PARTITION_COLUMN,
    LocalFiles,
    Root,
    read_parts,
    staged_path,
    work_dir,
    write_part,
    write_part_batches,
    write_work_part,
)
from pipeline.store.schema import ARTICLES, PARAGRAPHS, REJECTED, SOURCES
from pipeline.store.spill import SPILL_SUFFIX, read_spills, write_spill
from pipeline.strip import LineStats, Stripper, load_rules
from pipeline.strip.linemodel import load_model, models_metadata
from pipeline.strip.merge import merged_count_files
from pipeline.strip.stats import LINE_STATS_SCHEMA, count_lines
from pipeline.strip.stripper import Article

#: Source files per batch task. Large enough that orchestration costs little beside the work
#: (Prefect's driver spends ~10 ms of CPU per task on threads), small enough for progress,
#: resumable read batches and both workers busy until a stage's end.
DEFAULT_BATCH_SIZE = 1000
LINE_STATS_DIR = "line_stats"
DEDUP_INDEX_DIR = "dedup_index"


@dataclass(frozen=True)
class RunContext:
    """Everything a stage needs to know about the run; small and picklable."""

    raw_url: str
    clean_url: str
    run_id: str
    ingested_at: datetime
    rules_dirs: tuple[str, ...] = ()
    strip_model: str | None = None  # a line model file; None: the package's
    #: Reprocess everything (``restrip``): stored statistics and index are replaced, not used.
    reprocess: bool = False

    @property
    def ingest_date(self) -> str:
        return self.ingested_at.date().isoformat()

    def final_part(self, dataset: str, name: str) -> str:
        return posixpath.join(dataset, f"{PARTITION_COLUMN}={self.ingest_date}", name)

    def staged_part(self, dataset: str, name: str) -> str:
        return staged_path(self.run_id, self.final_part(dataset, name))

    def work_file(self, name: str) -> str:
        return posixpath.join(work_dir(self.run_id), name)


@dataclass
class StageResult:
    """Paths a stage wrote (relative to CLEAN_DIR) and counters for the run report."""

    work: dict[str, str] = field(default_factory=dict)
    staged: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def batches_of(
    files: Sequence[SourceFile], batch_size: int, workers: int
) -> list[list[SourceFile]]:
    """``files`` in batches of at most ``batch_size``, and small enough that every one of
    ``workers`` processes gets one (a run of 1,000 files on two workers: two batches)."""
    size = max(1, min(batch_size, -(-len(files) // max(1, workers))))
    return [list(files[i : i + size]) for i in range(0, len(files), size)]


# -- read --------------------------------------------------------------------------------


def read_batch(
    ctx: RunContext, batch: int, files: Sequence[SourceFile], work: str | None = None
) -> StageResult:
    """Read and extract a batch of source files into the directory ``work`` (relative to
    CLEAN_DIR; default: the run's scratch space).

    What it writes depends only on the files' content and the code, never on the run: the
    ledger and reject rows are left unstamped, and :func:`stage_read` stamps and stages them.
    A later run may therefore reuse the output of a run that crashed (the flow's read cache).
    """
    clean = Root.open(ctx.clean_url)
    work = work or ctx.work_file(f"read-{batch:05d}")
    rows, rejects, ledger = [], [], []
    kinds: Counter = Counter()
    with read_guard(Limits.from_env()) as guard:
        for source in files:
            outcome = guard.read(ctx.raw_url, source)
            rows += outcome.rows
            kinds.update(outcome.tally.kinds)
            summary = outcome.tally.summary()
            rejects += [_reject_row(source, summary)] if summary else []
            ledger.append(
                _source_row(
                    source,
                    outcome="rejected" if not outcome.rows else "ingested",
                    articles=len(outcome.rows),
                    rejected_records=outcome.tally.total,
                )
            )
    result = StageResult()
    counts = count_lines((row["outlet"], lines_of(row)) for row in rows)
    for name, table in (
        ("extracted", pa.Table.from_pylist(rows, schema=EXTRACTED)),
        ("line_counts", counts),
        ("sources", pa.Table.from_pylist(ledger, SOURCES)),
        ("rejected", pa.Table.from_pylist(rejects, REJECTED)),
    ):
        result.work[name] = write_work_part(clean, posixpath.join(work, f"{name}.parquet"), table)
    result.counts.update(
        files_read=len(files),
        documents=len(rows),
        files_rejected=sum(r["outcome"] == "rejected" for r in ledger),
        records_rejected=kinds.total(),
    )
    for kind, n in kinds.items():
        result.counts[f"rejected:{kind}"] += n
    return result


def stage_read(ctx: RunContext, batch: int, read: StageResult) -> list[str]:
    """Stamp this run onto a read batch's ledger and reject rows and stage them for commit."""
    clean = Root.open(ctx.clean_url)
    tables = {
        dataset: read_parts(clean, [read.work[dataset]], schema)
        for dataset, schema in (("sources", SOURCES), ("rejected", REJECTED))
    }
    return _stage_ledger(ctx, clean, f"{batch:05d}", tables)


def stage_discovery(ctx: RunContext, found: Discovery) -> list[str]:
    """Stage the ledger rows of duplicate paths and of files rejected before reading."""
    sources = [
        _source_row(
            source, outcome="duplicate", duplicate_of_path=first, articles=0, rejected_records=0
        )
        for source, first in found.duplicates
    ] + [
        {
            "source_path": r.path,
            "source_sha256": r.sha256,
            "outcome": "rejected",
            "articles": 0,
            "rejected_records": 1,
        }
        for r in found.rejected
    ]
    rejected = [
        {
            "source_path": r.path,
            "source_sha256": r.sha256,
            "stage": "discover",
            "error_kind": r.error_kind,
            "message": r.message,
        }
        for r in found.rejected
    ]
    tables = {
        "sources": pa.Table.from_pylist(sources, SOURCES),
        "rejected": pa.Table.from_pylist(rejected, REJECTED),
    }
    return _stage_ledger(ctx, Root.open(ctx.clean_url), "discovery", tables)


def _stage_ledger(
    ctx: RunContext, clean: Root, part: str, tables: dict[str, pa.Table]
) -> list[str]:
    name = f"part-{ctx.run_id}-{part}.parquet"
    return [
        write_part(clean, ctx.staged_part(dataset, name), _stamp(ctx, table))
        for dataset, table in tables.items()
        if len(table)
    ]


def _stamp(ctx: RunContext, table: pa.Table) -> pa.Table:
    for column, value in (("ingested_at", ctx.ingested_at), ("flow_run_id", ctx.run_id)):
        index = table.schema.get_field_index(column)
        values = pa.array([value] * len(table), table.schema.field(index).type)
        table = table.set_column(index, column, values)
    return table


def _reject_row(source: SourceFile, problem: Rejection) -> dict:
    return {
        "source_path": source.path,
        "source_sha256": source.sha256,
        "record_locator": problem.record_locator,
        "stage": problem.stage,
        "error_kind": problem.error_kind,
        "message": problem.message,
    }


def _source_row(source: SourceFile, **values) -> dict:
    return {
        "source_path": source.path,
        "source_sha256": source.sha256,
        "size_bytes": source.size,
        "duplicate_of_path": None,
        **values,
    }


# -- line statistics -----------------------------------------------------------------------


def merge_stats(ctx: RunContext, line_count_parts: Sequence[str], workers: int = 1) -> StageResult:
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
    result = StageResult(staged=[staged])
    result.work["line_stats"] = staged
    result.work["replaces"] = "\n".join(stored)
    return result


# -- strip ----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _stripper(
    rules_dirs: tuple[str, ...], clean_url: str, stats_rel: str, model: str | None
) -> Stripper:
    """One Stripper per process and run: rules compiled, model and statistics loaded once."""
    clean = Root.open(clean_url)
    stats = LineStats.from_table(pq.read_table(clean.join(stats_rel), filesystem=clean.fs))
    return Stripper(load_rules(rules_dirs), stats, load_model(model))


def strip_batch(ctx: RunContext, batch: int, extracted_rel: str, stats_rel: str) -> StageResult:
    clean = Root.open(ctx.clean_url)
    stripper = _stripper(ctx.rules_dirs, ctx.clean_url, stats_rel, ctx.strip_model)
    articles, paragraphs = [], []
    result = StageResult()
    rows = pq.read_table(clean.join(extracted_rel), filesystem=clean.fs).to_pylist()
    inputs = [
        Article(lines_of(r), r["outlet"], r["language"], r["title"], r["body_kind"]) for r in rows
    ]
    for row, article, stripped in zip(rows, inputs, stripper.strip_many(inputs), strict=True):
        lines = article.lines
        articles.append(
            {
                **article_row(row, stripped),
                "ingested_at": ctx.ingested_at,
                "flow_run_id": ctx.run_id,
                "pipeline_version": __version__,
            }
        )
        paragraphs.extend(paragraph_rows(row["article_id"], stripped.kept))
        result.counts["lines_in"] += len(lines)
        result.counts["articles_empty"] += not stripped.kept
        for removal in stripped.removed:
            result.counts[f"kind:{removal.kind}"] += 1
            result.counts[f"rule:{removal.rule}"] += 1
    result.work["articles"] = write_work_part(
        clean,
        ctx.work_file(f"articles-{batch:05d}.parquet"),
        pa.Table.from_pylist(articles, ARTICLES),
    )
    result.work["paragraphs"] = write_work_part(
        clean,
        ctx.work_file(f"paragraphs-{batch:05d}.parquet"),
        _with_features(pa.Table.from_pylist(paragraphs, PARAGRAPHS)),
    )
    result.counts["articles"] = len(articles)
    result.counts["paragraphs"] = len(paragraphs)
    return result


def _with_features(paragraphs: pa.Table) -> pa.Table:
    """The paragraphs with their dedup features beside them: computed here, in the batch's
    worker, they cost the one link task of the run nothing (finalize drops them)."""
    features = feature_columns(paragraphs["text"].to_pylist(), DEFAULT_DEDUP_PARAMS)
    for field_, column in zip(features.schema, features.columns, strict=True):
        paragraphs = paragraphs.append_column(field_, column)
    return paragraphs


# -- dedup ----------------------------------------------------------------------------------


#: Paragraphs linked in one call: bounds the link stage's memory whatever the run's size.
LINK_CHUNK_PARAGRAPHS = 100_000
#: What the link stage reads of the paragraphs: ids, text and the features computed beside.
_DEDUP_INPUT = pa.schema(
    [*(PARAGRAPHS.field(c) for c in ("article_id", "idx", "text")), *FEATURE_FIELDS]
)


def link_run(
    ctx: RunContext,
    article_parts: Sequence[str],
    paragraph_parts: Sequence[str],
    run_seq: int,
    chunk_paragraphs: int | None = None,
    workers: int = 1,
) -> StageResult:
    """Link every paragraph of the run to earlier near-duplicates (this run's and stored).

    ``article_parts[i]`` and ``paragraph_parts[i]`` are batch ``i``'s. The run's articles are
    taken in ``article_id`` order in chunks of about ``chunk_paragraphs`` paragraphs (default
    :data:`LINK_CHUNK_PARAGRAPHS`); each chunk is linked against the stored index and the index
    rows of the chunks before it, so memory stays bounded and the links depend neither on the
    batch size nor on the batch order.
    Links are written per batch under ``work["links"]/<batch>/``. ``workers`` threads compute
    signatures where the strip workers did not (numpy releases the GIL); links do not depend on
    it.
    """
    links_dir = ctx.work_file("links")
    result = StageResult(work={"links": links_dir})
    if not article_parts:
        return result
    clean = Root.open(ctx.clean_url)
    articles = _articles_in_order(clean, article_parts, run_seq)
    chunks = list(_chunks(articles, chunk_paragraphs or LINK_CHUNK_PARAGRAPHS))
    chunk_parts = _paragraphs_by_chunk(clean, paragraph_parts, chunks, ctx.work_file("link-in"))
    stored = [] if ctx.reprocess else clean.list_files(DEDUP_INDEX_DIR, ".parquet")
    with LocalFiles(clean, stored) as index:
        for chunk, members in enumerate(chunks):
            dedup_input = _dedup_input(clean, chunk_parts[chunk], members)
            features = features_of_table(dedup_input, DEFAULT_DEDUP_PARAMS)
            linked = link_paragraphs(dedup_input, index.paths, workers=workers, features=features)
            if len(linked.index_rows):
                name = f"part-{ctx.run_id}-{chunk:04d}.parquet"
                staged = staged_path(ctx.run_id, posixpath.join(DEDUP_INDEX_DIR, name))
                result.staged.append(write_part(clean, staged, linked.index_rows, dictionary=False))
                index.add(staged)
            _write_links_by_batch(clean, links_dir, chunk, linked.links, dedup_input)
            _count_links(result, linked.links)
            del dedup_input, features, linked  # not held while the next chunk is linked
    return result


def _articles_in_order(clean: Root, article_parts: Sequence[str], run_seq: int) -> pa.Table:
    """article_id, published, batch, paragraphs and ingest_order of the run, by article_id.

    ``ingest_order`` puts every article of this run after those of earlier runs."""
    tables = []
    for batch, part in enumerate(article_parts):
        table = pq.read_table(
            clean.join(part), columns=["article_id", "published", "text"], filesystem=clean.fs
        )
        paragraphs = pc.add(pc.count_substring(table["text"], "\n"), 1)
        paragraphs = pc.if_else(pc.equal(table["text"], ""), 0, paragraphs)
        tables.append(
            table.drop_columns(["text"])
            .append_column("batch", pa.array([batch] * len(table), pa.int32()))
            .append_column("paragraphs", pc.cast(paragraphs, pa.int64()))
        )
    articles = pa.concat_tables(tables).sort_by("article_id")
    order = pa.array(range(len(articles)), pa.int64())
    return articles.append_column("ingest_order", pc.add(order, pa.scalar(run_seq << 32)))


def _chunks(articles: pa.Table, chunk_paragraphs: int) -> Iterator[pa.Table]:
    start, total = 0, 0
    counts = articles["paragraphs"].to_pylist()
    for end, count in enumerate(counts, start=1):
        total += count
        if total >= chunk_paragraphs:
            yield articles.slice(start, end - start)
            start, total = end, 0
    if start < len(articles):
        yield articles.slice(start)


def _paragraphs_by_chunk(
    clean: Root, paragraph_parts: Sequence[str], chunks: Sequence[pa.Table], work: str
) -> list[list[str]]:
    """Per chunk, the files holding its articles' paragraphs (article_id, idx, text, features).

    With several chunks, every batch part is read once and split into per-chunk spill files:
    reading all batch parts again for each chunk would make linking quadratic in run size."""
    if len(chunks) <= 1:
        return [list(paragraph_parts) for _ in chunks]
    chunk_of = pa.concat_tables(
        pa.table({"article_id": c["article_id"], "chunk": pa.array([i] * len(c), pa.int32())})
        for i, c in enumerate(chunks)
    )
    out: list[list[str]] = [[] for _ in chunks]
    for batch, part in enumerate(paragraph_parts):
        # In article order, a chunk's rows are contiguous: _split_by only slices.
        table = _join_on_article(_read_paragraphs(clean, part), chunk_of, in_order=True)
        for chunk, rows in _split_by(table, "chunk"):
            rel = posixpath.join(work, f"{chunk:04d}", f"{batch:05d}{SPILL_SUFFIX}")
            out[chunk].append(write_spill(clean, rel, rows))
    return out


def _read_paragraphs(clean: Root, rel: str) -> pa.Table:
    """The link stage's columns of a batch's paragraphs (Parquet) or of a chunk's share of
    them (a spill file)."""
    if rel.endswith(SPILL_SUFFIX):
        return read_spills(clean, [rel], _DEDUP_INPUT)
    return pq.read_table(clean.join(rel), columns=_DEDUP_INPUT.names, filesystem=clean.fs)


def _dedup_input(clean: Root, parts: Sequence[str], members: pa.Table) -> pa.Table:
    """The paragraphs of one chunk's articles as link_paragraphs takes them, with their
    features (:func:`_with_features`)."""
    tables = [_read_paragraphs(clean, p) for p in parts]
    paragraphs = pa.concat_tables(tables) if tables else _DEDUP_INPUT.empty_table()
    joined = _join_on_article(paragraphs, members.drop_columns(["paragraphs"]), in_order=True)
    return joined.append_column("is_truncated", pa.nulls(len(joined), pa.bool_()))


def _join_on_article(paragraphs: pa.Table, other: pa.Table, *, in_order: bool = False) -> pa.Table:
    """``paragraphs.join(other, "article_id")`` for paragraphs with feature lists, which
    Arrow's hash join does not carry: the ids are joined with row numbers, the rows taken
    (in ``article_id``, ``idx`` order when ``in_order``; one take either way, of one chunk
    per column, since taking the feature lists is what costs)."""
    numbered = paragraphs.select(["article_id", "idx"]).append_column(
        "row", pa.array(np.arange(len(paragraphs)))
    )
    joined = numbered.join(other, "article_id")
    if in_order:
        joined = joined.sort_by([("article_id", "ascending"), ("idx", "ascending")])
    rows = paragraphs.combine_chunks().take(joined["row"])
    for name in other.column_names:
        if name != "article_id":
            rows = rows.append_column(other.field(name), joined[name])
    return rows


def _write_links_by_batch(
    clean: Root, links_dir: str, chunk: int, links: pa.Table, dedup_input: pa.Table
) -> None:
    """``links`` (one row per row of ``dedup_input``, in its order) split by batch."""
    links = links.append_column("batch", dedup_input["batch"])
    for batch, part in _split_by(links, "batch"):
        write_spill(
            clean, posixpath.join(links_dir, f"{batch:05d}", f"{chunk:04d}{SPILL_SUFFIX}"), part
        )


def _split_by(table: pa.Table, column: str) -> Iterator[tuple[int, pa.Table]]:
    """(value, rows) per distinct value of the integer ``column``, rows in table order and
    without the column; one take of the table, none when it is ordered by the column."""
    values = table[column].to_numpy()
    if len(values) == 0:
        return
    order = np.argsort(values, kind="stable")
    rows = table.drop_columns([column])
    if np.any(order != np.arange(len(order))):
        rows, values = rows.take(order), values[order]
    bounds = [*np.flatnonzero(run_positions(values) == 0).tolist(), len(values)]
    for lo, hi in pairwise(bounds):
        yield int(values[lo]), rows.slice(lo, hi - lo)


def _count_links(result: StageResult, links: pa.Table) -> None:
    result.counts["duplicate_paragraphs"] += int(
        pc.sum(pc.is_valid(links["duplicate_of_article"])).as_py() or 0
    )
    for kind, n in Counter(links["dup_kind"].drop_null().to_pylist()).items():
        result.counts[f"dup:{kind}"] += n


# -- finalize -------------------------------------------------------------------------------


def finalize_batch(
    ctx: RunContext, batch: int, articles_rel: str, paragraphs_rel: str, links_rel: str
) -> StageResult:
    """Fill the dedup columns and ``text_unique``; stage the batch's final Parquet parts.

    ``links_rel`` is the link stage's ``work["links"]`` directory."""
    clean = Root.open(ctx.clean_url)
    articles = pq.read_table(clean.join(articles_rel), filesystem=clean.fs)
    paragraphs = pq.read_table(
        clean.join(paragraphs_rel), columns=PARAGRAPHS.names, filesystem=clean.fs
    )
    batch_links = read_spills(
        clean, clean.list_files(posixpath.join(links_rel, f"{batch:05d}"), SPILL_SUFFIX), LINKS
    )
    linked = (
        paragraphs.drop_columns([n for n in LINKS.names if n not in ("article_id", "idx")])
        .join(batch_links, ["article_id", "idx"], join_type="left outer")
        .select(PARAGRAPHS.names)
        .cast(PARAGRAPHS)
        .sort_by([("article_id", "ascending"), ("idx", "ascending")])
    )
    unique = _text_unique_by_article(linked)
    articles = articles.set_column(
        ARTICLES.get_field_index("text_unique"),
        "text_unique",
        pa.array([unique.get(a, "") for a in articles["article_id"].to_pylist()], pa.string()),
    )
    name = f"part-{ctx.run_id}-{batch:05d}.parquet"
    result = StageResult()
    metadata = models_metadata(articles["strip_model"].to_pylist())
    result.staged.append(write_part(clean, ctx.staged_part("articles", name), articles, metadata))
    result.staged.append(write_part(clean, ctx.staged_part("paragraphs", name), linked))
    return result


def _text_unique_by_article(paragraphs: pa.Table) -> dict[str, str]:
    """Each article's paragraphs less the text whose canonical lies in another article."""
    kept: dict[str, list[str]] = {}
    columns = ("article_id", "text", "duplicate_of_article", "shared_start", "shared_end")
    for article, text, canonical, start, end in zip(
        *(paragraphs[c].to_pylist() for c in columns), strict=True
    ):
        part = unique_part(text, article, canonical, start, end)
        paragraphs_of_article = kept.setdefault(article, [])
        if part is not None:
            paragraphs_of_article.append(part)
    return {article: "\n".join(texts) for article, texts in kept.items()}
