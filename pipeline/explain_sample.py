"""Stored articles of a CLEAN_DIR as :mod:`pipeline.explain_html` views: a seeded sample of
``articles`` rows, their kept paragraphs from ``paragraphs`` and, for the paragraphs that
nearly duplicate another, the canonical paragraph's text."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from pipeline.explain_html import ArticleView, Duplicate, Kept, article_view
from pipeline.store import Root
from pipeline.store.delta import dataset, is_table


def sample_views(
    clean_dir: str, sample: int, *, seed: int = 0, flow_run_id: str | None = None
) -> list[ArticleView]:
    """``sample`` articles of ``clean_dir`` (of one flow run's, if given), the same ones for
    the same data and seed, in source order; none when it holds no articles."""
    if sample < 1:
        raise ValueError(f"--sample must be at least 1, got {sample}")
    clean = Root.open(clean_dir)
    articles = _dataset(clean, "articles")
    if articles is None:
        return []
    wanted = None if flow_run_id is None else pc.field("flow_run_id") == flow_run_id
    ids = sorted(articles.to_table(columns=["article_id"], filter=wanted)["article_id"].to_pylist())
    chosen = sorted(random.Random(seed).sample(ids, min(sample, len(ids))))
    rows = articles.to_table(filter=pc.field("article_id").isin(chosen)).to_pylist()
    rows.sort(key=lambda r: (r["source_path"], r["record_locator"] or ""))
    paragraphs = _paragraphs(clean, chosen)
    return [article_view(row, paragraphs.get(row["article_id"], [])) for row in rows]


def _dataset(clean: Root, name: str) -> ds.Dataset | None:
    """The table's current Delta version (a glob would also take files it no longer holds)."""
    return dataset(clean, name) if is_table(clean, name) else None


def _paragraphs(clean: Root, article_ids: list[str]) -> dict[str, list[Kept]]:
    dataset = _dataset(clean, "paragraphs")
    if dataset is None:
        return {}
    rows = dataset.to_table(filter=pc.field("article_id").isin(article_ids)).to_pylist()
    canonical = _canonical_texts(dataset, rows)
    kept: dict[str, list[Kept]] = {}
    for row in sorted(rows, key=lambda r: (r["article_id"], r["idx"])):
        dup = None
        if row["duplicate_of_article"] is not None:
            key = (row["duplicate_of_article"], row["duplicate_of_idx"])
            dup = Duplicate(*key, row["dup_kind"], row["similarity"], canonical.get(key))
        kept.setdefault(row["article_id"], []).append(Kept(row["source_line"], row["text"], dup))
    return kept


def _canonical_texts(dataset: ds.Dataset, rows: list[dict]) -> dict[tuple[str, int], str]:
    keys = {(r["duplicate_of_article"], r["duplicate_of_idx"]) for r in rows}
    keys.discard((None, None))
    if not keys:
        return {}
    found = dataset.to_table(
        columns=["article_id", "idx", "text"],
        filter=pc.field("article_id").isin(pa.array(sorted({a for a, _ in keys}))),
    ).to_pylist()
    texts = {(r["article_id"], r["idx"]): r["text"] for r in found}
    return {key: texts[key] for key in keys if key in texts}
