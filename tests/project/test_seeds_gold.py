"""The five seed articles through the real flow, checked line by line against gold.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from pipeline.cli import main

KIND_ALIASES = {"publish_meta": "byline_or_publish_meta"}


@pytest.fixture(scope="module")
def output(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("seeds")
    raw = base / "raw"
    raw.mkdir()
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, raw / path.name)
    assert main(["ingest", str(raw), str(base / "clean"), "--workers", "1"]) == 0
    gold = json.loads((seeds_dir / "gold.json").read_text())

    def load(name):
        return ds.dataset(base / "clean" / name, partitioning="hive").to_table().to_pylist()

    articles = {a["source_path"]: a for a in load("articles")}
    paragraphs = {}
    for p in load("paragraphs"):
        paragraphs[(p["article_id"], p["source_line"])] = p
    return gold, articles, paragraphs


def documents(gold):
    return list(gold["documents"].items())


def paragraph(output, name: str, line: int):
    _, articles, paragraphs = output
    return paragraphs.get((articles[name]["article_id"], line - 1))


def removal(output, name: str, line: int):
    _, articles, _ = output
    return next((r for r in articles[name]["removed"] if r["source_line"] == line - 1), None)


def test_keep_lines_are_kept(output):
    gold, _, _ = output
    lost = [
        (name, line)
        for name, doc in documents(gold)
        for line in doc["keep"]
        if paragraph(output, name, line) is None
    ]
    assert lost == []


def test_strip_lines_are_removed_with_their_kind(output):
    gold, _, _ = output
    for name, doc in documents(gold):
        for line, kind in doc["strip"].items():
            assert paragraph(output, name, int(line)) is None, (name, line)
            found = removal(output, name, int(line))
            assert found is not None, (name, line)
            assert found["kind"] == KIND_ALIASES.get(kind, kind), (name, line, found)


def test_strip_spans_are_cut_from_kept_lines(output):
    gold, articles, _ = output
    for name, doc in documents(gold):
        for span in doc.get("strip_spans", []):
            kept = paragraph(output, name, span["line"])
            assert kept is not None and span["text"] not in kept["text"]
            assert span["text"] not in articles[name]["text"]
            cut = [r for r in articles[name]["removed"] if r["text"] == span["text"]]
            assert cut and cut[0]["kind"] == span["kind"]
            assert "BBC" in " ".join(articles[name]["credits"])


def test_metadata_lifted_from_removed_lines(output):
    gold, articles, _ = output
    for name, doc in documents(gold):
        if "published" in doc.get("metadata", {}):
            assert (articles[name]["published"] or "").startswith(doc["metadata"]["published"])


def canonical(output, name: str, line: int):
    """The canonical (article, idx) of a kept paragraph's cluster."""
    found = paragraph(output, name, line)
    if found is None:
        return None
    if found["duplicate_of_article"] is None:
        return (found["article_id"], found["idx"])
    return (found["duplicate_of_article"], found["duplicate_of_idx"])


def linked(output, a, b) -> bool:
    for (name, line), (other, other_line) in ((a, b), (b, a)):
        gone = removal(output, name, line)
        if gone and gone["kind"] in {"duplicate_headline", "truncated_teaser"}:
            return paragraph(output, other, other_line) is not None
    return canonical(output, *a) is not None and canonical(output, *a) == canonical(output, *b)


def test_near_duplicates_linked(output):
    gold, _, _ = output
    pairs = gold["near_duplicates"]["must_match"] + gold["near_duplicates"]["contained"]
    assert [pair for pair in pairs if not linked(output, *pair)] == []


def test_contained_pairs_say_so(output):
    gold, _, _ = output
    for a, b in gold["near_duplicates"]["contained"]:
        kinds = {(paragraph(output, *x) or {}).get("dup_kind") for x in (a, b)}
        assert "contained" in kinds


def test_must_not_match_pairs_stay_apart(output):
    gold, _, _ = output
    assert [p for p in gold["near_duplicates"]["must_not_match"] if linked(output, *p)] == []


def test_text_unique_drops_paragraphs_found_elsewhere(output):
    _, articles, paragraphs = output
    for article in articles.values():
        elsewhere = [
            p["text"]
            for (aid, _), p in paragraphs.items()
            if aid == article["article_id"] and p["duplicate_of_article"] not in (None, aid)
        ]
        for text in elsewhere:
            assert text not in article["text_unique"].split("\n")
        assert len(article["text_unique"]) <= len(article["text"])
