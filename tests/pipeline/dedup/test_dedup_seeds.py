"""The seed story's near-duplicate gold (five outlets, one story) against link_paragraphs."""

from __future__ import annotations

import pyarrow as pa
import pytest
from conftest import seed_articles, seed_gold

from pipeline.dedup import PARAGRAPH_INPUT, link_paragraphs


def seed_paragraphs() -> pa.Table:
    """Every non-blank line of every seed file as a paragraph; idx is the 1-based line."""
    rows: dict[str, list] = {name: [] for name in PARAGRAPH_INPUT.names}
    for order, path in enumerate(seed_articles()):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows["article_id"].append(path.name)
                rows["idx"].append(line_no)
                rows["text"].append(line.strip())
                rows["published"].append(None)
                rows["ingest_order"].append(order * 1000 + line_no)
                rows["is_truncated"].append(None)
    return pa.table(rows, schema=PARAGRAPH_INPUT)


@pytest.fixture(scope="module")
def clusters() -> dict[tuple[str, int], tuple[str, int]]:
    """(file, line) -> the (file, line) of its canonical (itself when unlinked)."""
    links = link_paragraphs(seed_paragraphs(), []).links.to_pylist()
    return {
        (r["article_id"], r["idx"]): (
            (r["duplicate_of_article"], r["duplicate_of_idx"])
            if r["duplicate_of_article"] is not None
            else (r["article_id"], r["idx"])
        )
        for r in links
    }


def gold_pairs(kind: str) -> list[tuple[tuple[str, int], tuple[str, int]]]:
    gold = seed_gold()["near_duplicates"]
    return [(tuple(a), tuple(b)) for a, b in gold[kind]]


def linked(clusters: dict, a: tuple[str, int], b: tuple[str, int]) -> bool:
    return clusters[a] == clusters[b]


@pytest.mark.parametrize("kind", ["must_match", "contained"])
def test_gold_pairs_are_linked(clusters: dict, kind: str) -> None:
    missed = [(a, b) for a, b in gold_pairs(kind) if not linked(clusters, a, b)]
    assert not missed


def test_gold_negatives_are_not_linked(clusters: dict) -> None:
    wrong = [(a, b) for a, b in gold_pairs("must_not_match") if linked(clusters, a, b)]
    assert not wrong


def test_contained_pair_points_at_the_container(clusters: dict) -> None:
    links = {
        (r["article_id"], r["idx"]): r
        for r in link_paragraphs(seed_paragraphs(), []).links.to_pylist()
    }
    for small, large in gold_pairs("contained"):
        row = links[small]
        assert (row["duplicate_of_article"], row["duplicate_of_idx"]) == clusters[large]
        assert row["dup_kind"] == "contained"


def test_unrelated_paragraphs_stay_unlinked(clusters: dict) -> None:
    """Only a handful of the ~100 seed paragraphs may belong to any cluster."""
    members = [k for k, canon in clusters.items() if canon != k]
    assert 0 < len(members) <= 8
