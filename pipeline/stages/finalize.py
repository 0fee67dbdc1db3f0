"""The finalize stage: a batch's articles and paragraphs with their links, staged for commit."""

from __future__ import annotations

import posixpath

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.dedup import LINK_SCHEMA
from pipeline.dedup.unique import unique_part
from pipeline.stages import FinalizeOutput, LinkOutput, ReadOutput, RunContext, StripOutput
from pipeline.stages.read import stage_read
from pipeline.stages.strip import STRIPPED_PARAGRAPHS
from pipeline.store import Root, write_part
from pipeline.store.schema import ARTICLES, PARAGRAPHS
from pipeline.store.spill import SPILL_SUFFIX, read_spills
from pipeline.strip.linemodel import models_metadata


def finalize_batch(
    ctx: RunContext, batch: int, read: ReadOutput, strip: StripOutput, links: LinkOutput
) -> FinalizeOutput:
    """Fill the dedup columns and ``text_unique``; stage the batch's final Parquet parts and
    its ledger and reject rows."""
    clean = Root.open(ctx.clean_url)
    articles = pq.read_table(
        clean.join(strip.articles), columns=ARTICLES.names, filesystem=clean.fs
    )
    paragraphs = pq.read_table(
        clean.join(strip.paragraphs), columns=STRIPPED_PARAGRAPHS.names, filesystem=clean.fs
    )
    batch_links = read_spills(
        clean,
        clean.list_files(posixpath.join(links.links_dir, f"{batch:05d}"), SPILL_SUFFIX),
        LINK_SCHEMA,
    )
    linked = (
        paragraphs.join(batch_links, ["article_id", "idx"], join_type="left outer")
        .select(PARAGRAPHS.names)
        .cast(PARAGRAPHS)
        .sort_by([("article_id", "ascending"), ("idx", "ascending")])
    )
    unique = text_unique_by_article(linked)
    articles = articles.set_column(
        ARTICLES.get_field_index("text_unique"),
        "text_unique",
        pa.array([unique.get(a, "") for a in articles["article_id"].to_pylist()], pa.string()),
    )
    name = f"part-{ctx.run_id}-{batch:05d}.parquet"
    metadata = models_metadata(articles["strip_model"].to_pylist())
    staged = (
        write_part(clean, ctx.staged_part("articles", name), articles, metadata),
        write_part(clean, ctx.staged_part("paragraphs", name), linked),
        *stage_read(ctx, batch, read, strip.rejected),
    )
    return FinalizeOutput(staged)


def text_unique_by_article(paragraphs: pa.Table) -> dict[str, str]:
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
