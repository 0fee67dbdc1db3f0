"""The link stage: every paragraph of the run linked to earlier near-duplicates.

The run's articles are taken in ``article_id`` order in chunks of about
:data:`LINK_CHUNK_PARAGRAPHS` paragraphs; each chunk is linked against the stored index and
the index rows of the chunks before it, so memory stays bounded and the links depend neither
on the batch size nor on the batch order. With several chunks, every batch's paragraphs are
read once and spilled per chunk; links are spilled per batch for finalize.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.arrays import join_on_key, split_by
from pipeline.dedup import link_paragraphs
from pipeline.dedup.paragraph_features import FEATURE_FIELDS, features_of_table
from pipeline.stages import LinkOutput, RunContext, StripOutput
from pipeline.stages.strip import PARAGRAPH_COUNT, STRIPPED_ARTICLES
from pipeline.store import LocalFiles, Root, staged_path, write_part
from pipeline.store.layout import DEDUP_INDEX_DIR
from pipeline.store.schema import ARTICLES, PARAGRAPHS
from pipeline.store.spill import SPILL_SUFFIX, read_spills, write_spill
from pipeline.summary import Counters

#: Paragraphs linked in one call: bounds the link stage's memory whatever the run's size.
LINK_CHUNK_PARAGRAPHS = 100_000
#: What the link stage reads of the articles: ids, dates and paragraph counts.
ARTICLE_INPUT = pa.schema(
    [
        ARTICLES.field("article_id"),
        ARTICLES.field("published"),
        STRIPPED_ARTICLES.field(PARAGRAPH_COUNT),
    ]
)
#: What the link stage reads of the paragraphs: ids, text and the features computed beside.
DEDUP_INPUT = pa.schema(
    [*(PARAGRAPHS.field(c) for c in ("article_id", "idx", "text")), *FEATURE_FIELDS]
)
_IN_ORDER = ("article_id", "idx")


def link_run(
    ctx: RunContext,
    strips: Sequence[StripOutput],
    run_seq: int,
    chunk_paragraphs: int | None = None,
    workers: int = 1,
    stored: Sequence[str] | None = None,
) -> LinkOutput:
    """Link every paragraph of the run (``strips[i]`` is batch ``i``'s) to earlier
    near-duplicates, this run's and stored, in chunks of about ``chunk_paragraphs``
    paragraphs (default :data:`LINK_CHUNK_PARAGRAPHS`).

    ``stored`` are the index parts to link against (relative to CLEAN_DIR); by default the
    committed index, or none when the run reprocesses everything. ``repair`` passes the
    parts it has rebuilt so far (:mod:`pipeline.index_rebuild`).

    Links are written per batch under ``links_dir/<batch>/``. ``workers`` threads compute
    signatures where the strip workers did not (numpy releases the GIL); links do not depend
    on it.
    """
    links_dir = ctx.scratch_file("links")
    if not strips:
        return LinkOutput(links_dir)
    clean = Root.open(ctx.clean_url)
    articles = _articles_in_order(clean, [s.articles for s in strips], run_seq)
    chunks = list(_chunks(articles, chunk_paragraphs or LINK_CHUNK_PARAGRAPHS))
    chunk_parts = _paragraphs_by_chunk(
        clean, [s.paragraphs for s in strips], chunks, ctx.scratch_file("link-in")
    )
    if stored is None:
        stored = [] if ctx.reprocess else clean.list_files(DEDUP_INDEX_DIR, ".parquet")
    staged: list[str] = []
    counters = Counters()
    with LocalFiles(clean, stored) as index:
        for chunk, members in enumerate(chunks):
            dedup_input = _dedup_input(clean, chunk_parts[chunk], members)
            features = features_of_table(dedup_input, ctx.dedup)
            linked = link_paragraphs(
                dedup_input, index.paths, params=ctx.dedup, workers=workers, features=features
            )
            if len(linked.index_rows):
                name = f"part-{ctx.run_id}-{chunk:04d}.parquet"
                part = staged_path(ctx.run_id, posixpath.join(DEDUP_INDEX_DIR, name))
                staged.append(write_part(clean, part, linked.index_rows, dictionary=False))
                index.add(part)
            _write_links_by_batch(clean, links_dir, chunk, linked.links, dedup_input)
            counters.add(_link_counters(linked.links))
            del dedup_input, features, linked  # not held while the next chunk is linked
    return LinkOutput(links_dir, tuple(staged), counters)


def _articles_in_order(clean: Root, article_parts: Sequence[str], run_seq: int) -> pa.Table:
    """article_id, published, batch, paragraphs and ingest_order of the run, by article_id.

    ``ingest_order`` puts every article of this run after those of earlier runs."""
    tables = []
    for batch, part in enumerate(article_parts):
        table = pq.read_table(
            clean.join(part),
            columns=ARTICLE_INPUT.names,
            filesystem=clean.fs,
        )
        tables.append(
            table.drop_columns([PARAGRAPH_COUNT])
            .append_column("batch", pa.array([batch] * len(table), pa.int32()))
            .append_column("paragraphs", table[PARAGRAPH_COUNT])
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
        # In article order, a chunk's rows are contiguous: split_by only slices.
        paragraphs = _read_paragraphs(clean, part)
        table = join_on_key(paragraphs, chunk_of, "article_id", order_by=_IN_ORDER)
        for chunk, rows in split_by(table, "chunk"):
            rel = posixpath.join(work, f"{chunk:04d}", f"{batch:05d}{SPILL_SUFFIX}")
            out[chunk].append(write_spill(clean, rel, rows))
    return out


def _read_paragraphs(clean: Root, rel: str) -> pa.Table:
    """The link stage's columns of a batch's paragraphs (Parquet) or of a chunk's share of
    them (a spill file)."""
    if rel.endswith(SPILL_SUFFIX):
        return read_spills(clean, [rel], DEDUP_INPUT)
    return pq.read_table(clean.join(rel), columns=DEDUP_INPUT.names, filesystem=clean.fs)


def _dedup_input(clean: Root, parts: Sequence[str], members: pa.Table) -> pa.Table:
    """The paragraphs of one chunk's articles as link_paragraphs takes them, with the
    features the strip stage computed beside them."""
    tables = [_read_paragraphs(clean, p) for p in parts]
    paragraphs = pa.concat_tables(tables) if tables else DEDUP_INPUT.empty_table()
    members = members.drop_columns(["paragraphs"])
    joined = join_on_key(paragraphs, members, "article_id", order_by=_IN_ORDER)
    return joined.append_column("is_truncated", pa.nulls(len(joined), pa.bool_()))


def _write_links_by_batch(
    clean: Root, links_dir: str, chunk: int, links: pa.Table, dedup_input: pa.Table
) -> None:
    """``links`` (one row per row of ``dedup_input``, in its order) split by batch."""
    links = links.append_column("batch", dedup_input["batch"])
    for batch, part in split_by(links, "batch"):
        write_spill(
            clean, posixpath.join(links_dir, f"{batch:05d}", f"{chunk:04d}{SPILL_SUFFIX}"), part
        )


def _link_counters(links: pa.Table) -> Counters:
    duplicates = int(pc.sum(pc.is_valid(links["duplicate_of_article"])).as_py() or 0)
    return Counters(
        counts=Counter(duplicate_paragraphs=duplicates),
        duplicates_by_kind=Counter(links["dup_kind"].drop_null().to_pylist()),
    )
