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
from pipeline.records import article_row, lines_of, paragraph_rows
from pipeline.stages import RunContext, StripOutput
from pipeline.store import Root, write_work_part
from pipeline.store.schema import ARTICLES, PARAGRAPHS
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
    rows = pq.read_table(clean.join(extracted_rel), filesystem=clean.fs).to_pylist()
    inputs = [
        Article(lines_of(r), r["outlet"], r["language"], r["title"], r["body_kind"]) for r in rows
    ]
    for row, article, stripped in zip(rows, inputs, stripper.strip_many(inputs), strict=True):
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
        _with_features(pa.Table.from_pylist(paragraphs, STRIPPED_PARAGRAPHS), ctx.dedup),
    )
    counters.counts.update(articles=len(articles), paragraphs=len(paragraphs))
    return StripOutput(articles_rel, paragraphs_rel, counters)


def _with_features(paragraphs: pa.Table, params: DedupParams) -> pa.Table:
    """The paragraphs with their dedup features beside them (finalize leaves them out)."""
    features = feature_columns(paragraphs["text"].to_pylist(), params)
    for field_, column in zip(features.schema, features.columns, strict=True):
        paragraphs = paragraphs.append_column(field_, column)
    return paragraphs
