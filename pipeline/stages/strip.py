"""The strip stage: extracted documents to articles and paragraphs, not yet linked.

The paragraphs' dedup features are computed here, beside them, in the batch's worker: the
one link task of the run then only reads them.
"""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.dedup import LINK_SCHEMA
from pipeline.dedup.paragraph_features import feature_columns
from pipeline.dedup.params import DedupParams
from pipeline.readers import Limits, Rejection
from pipeline.reading import Tally
from pipeline.records import article_row, lines_of, paragraph_rows, reject_row
from pipeline.stages import RunContext, StripOutput
from pipeline.store import Root, write_work_part
from pipeline.store.schema import ARTICLES, PARAGRAPHS, REJECTED
from pipeline.strip import LineStats, Stripper, load_rules
from pipeline.strip.linemodel import load_model
from pipeline.strip.stripper import Article
from pipeline.summary import Counters

#: The column beside the articles that tells the link stage each article's paragraph count.
PARAGRAPH_COUNT = "paragraph_count"
#: The articles as strip writes them: the table's columns and the paragraph count.
STRIPPED_ARTICLES = ARTICLES.append(pa.field(PARAGRAPH_COUNT, pa.int64()))
#: The paragraphs as strip writes them: the table's columns less those the link stage fills.
STRIPPED_PARAGRAPHS = pa.schema(
    [f for f in PARAGRAPHS if f.name not in LINK_SCHEMA.names or f.name in ("article_id", "idx")]
)
#: The column of strip's reject rows that tells finalize how many articles each row stands
#: for (the ledger's counts are corrected by it).
ARTICLES_LEFT_OUT = "articles_left_out"
#: The reject rows of articles strip left out: the table's columns and that count.
STRIP_REJECTED = REJECTED.append(pa.field(ARTICLES_LEFT_OUT, pa.int64()))


@lru_cache(maxsize=4)
def _stripper(
    rules_dirs: tuple[str, ...], clean_url: str, stats_rel: str, model: str | None
) -> Stripper:
    """One Stripper per process and run: rules compiled, model and statistics loaded once."""
    clean = Root.open(clean_url)
    stats = LineStats.from_table(pq.read_table(clean.join(stats_rel), filesystem=clean.fs))
    return Stripper(load_rules(rules_dirs), stats, load_model(model))


def strip_batch(ctx: RunContext, batch: int, extracted_rel: str, stats_rel: str) -> StripOutput:
    clean = Root.open(ctx.clean_url)
    stripper = _stripper(ctx.rules_dirs, ctx.clean_url, stats_rel, ctx.strip_model)
    articles, paragraphs = [], []
    counters = Counters()
    timed_out = TimedOut(ctx.limits)
    rows = pq.read_table(clean.join(extracted_rel), filesystem=clean.fs).to_pylist()
    inputs = [
        Article(lines_of(r), r["outlet"], r["language"], r["title"], r["body_kind"]) for r in rows
    ]
    outcomes = stripper.strip_within(inputs, ctx.limits.max_strip_seconds)
    for row, article, stripped in zip(rows, inputs, outcomes, strict=True):
        if stripped is None:
            timed_out.add(row)
            continue
        articles.append(
            {
                **article_row(row, stripped),
                "ingested_at": ctx.ingested_at,
                "flow_run_id": ctx.run_id,
                "pipeline_version": __version__,
                "rules_version": stripper.rules_version,
                PARAGRAPH_COUNT: len(stripped.kept),
            }
        )
        paragraphs.extend(paragraph_rows(row["article_id"], stripped.kept))
        counters.counts["lines_in"] += len(article.lines)
        counters.counts["articles_empty"] += not stripped.kept
        counters.removals_by_kind.update(removal.kind for removal in stripped.removed)
        counters.removals_by_rule.update(removal.rule for removal in stripped.removed)
    articles_rel = write_work_part(
        clean,
        ctx.scratch_file(f"articles-{batch:05d}.parquet"),
        pa.Table.from_pylist(articles, STRIPPED_ARTICLES),
    )
    paragraphs_rel = write_work_part(
        clean,
        ctx.scratch_file(f"paragraphs-{batch:05d}.parquet"),
        with_features(pa.Table.from_pylist(paragraphs, STRIPPED_PARAGRAPHS), ctx.dedup),
    )
    counters.counts.update(articles=len(articles), paragraphs=len(paragraphs))
    rejected_rel = None
    if timed_out.count:
        rejected_rel = write_work_part(
            clean, ctx.scratch_file(f"strip-rejected-{batch:05d}.parquet"), timed_out.table()
        )
        counters.counts["records_rejected"] += timed_out.count
        counters.rejects_by_reason["timeout"] += timed_out.count
    return StripOutput(articles_rel, paragraphs_rel, rejected_rel, counters)


class TimedOut:
    """The articles left out for overrunning ``max_strip_seconds``: one reject row per
    source file (the first few articles named), whatever the number of its articles."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.by_source: dict[tuple[str, str], Tally] = {}

    @property
    def count(self) -> int:
        return sum(tally.total for tally in self.by_source.values())

    def add(self, row: dict) -> None:
        key = (row["source_path"], row["source_sha256"])
        tally = self.by_source.setdefault(key, Tally(self.limits.max_reasons_listed))
        seconds = f"{self.limits.max_strip_seconds:g}"
        message = f"stripping took over max_strip_seconds={seconds}; left out"
        tally.add(Rejection(row["record_locator"], "strip", "timeout", message))

    def table(self) -> pa.Table:
        """The reject rows (``rejected``' columns, not yet stamped with the run), with the
        number of articles each stands for in ``articles_left_out``."""
        rows = []
        for (path, sha), tally in self.by_source.items():
            problem = tally.summary()
            assert problem is not None  # a tally is made for its first article
            rows.append({**reject_row(path, sha, problem), ARTICLES_LEFT_OUT: tally.total})
        return pa.Table.from_pylist(rows, STRIP_REJECTED)


def with_features(paragraphs: pa.Table, params: DedupParams) -> pa.Table:
    """The paragraphs with their dedup features beside them (finalize leaves them out; the
    dedup index rebuild computes them the same way)."""
    features = feature_columns(paragraphs["text"].to_pylist(), params)
    for field_, column in zip(features.schema, features.columns, strict=True):
        paragraphs = paragraphs.append_column(field_, column)
    return paragraphs
