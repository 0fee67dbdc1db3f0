"""The stripper on the shared development sets: dev-text (scored with its own score.py) and
the seed articles' line-level gold. Floors sit slightly below what the stripper reaches, so a
regression fails."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import seed_articles, seed_gold, shared_set

from pipeline.record_types import Line
from pipeline.strip import Stripper


def _lines(path: Path) -> list[Line]:
    return [Line(i, t) for i, t in enumerate(path.read_text(encoding="utf-8").split("\n"))]


@pytest.fixture(scope="module")
def dev_result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    dev = shared_set("dev-text")
    spec = importlib.util.spec_from_file_location("dev_score", dev / "score.py")
    assert spec and spec.loader
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    out = tmp_path_factory.mktemp("dev-out")
    # The rules alone: the shipped model is trained on dev-text, so its score here would be a
    # training score; its cross-validated figures are benchmarks/bench_strip_cv.py's.
    stripper = Stripper(model=None)
    for doc in sorted((dev / "docs").glob("*.txt")):
        kept = stripper.strip(_lines(doc)).kept
        (out / doc.name).write_text("\n".join(line.text for line in kept) + "\n", encoding="utf-8")
    return scorer.score(str(out), str(dev / "labels"))


def test_dev_text_line_f1_floor(dev_result: dict):
    assert dev_result["line"]["f1"] >= 0.95, dev_result["missed_boilerplate"]


def test_dev_text_loses_under_one_percent_of_content(dev_result: dict):
    content = dev_result["line"]["TN"] + dev_result["line"]["FP"]
    assert dev_result["content_lines_wrongly_removed"] <= 0.01 * content, dev_result[
        "wrongly_removed"
    ]


@pytest.fixture(scope="module")
def seeds() -> dict:
    paths = {path.name: path for path in seed_articles()}
    stripper = Stripper()
    return {
        name: (spec, _lines(paths[name]), stripper.strip(_lines(paths[name])))
        for name, spec in seed_gold()["documents"].items()
    }


def test_seed_gold_keep_and_strip_lines(seeds: dict):
    problems = []
    for name, (spec, _lines, out) in seeds.items():
        kept = {line.source_line for line in out.kept}
        problems += [f"{name}:{n} lost" for n in spec["keep"] if n - 1 not in kept]
        problems += [f"{name}:{n} kept" for n in map(int, spec["strip"]) if n - 1 in kept]
    assert not problems


def test_seed_gold_fragments_cut_and_recorded(seeds: dict):
    for name, (spec, _, out) in seeds.items():
        kept = {line.source_line: line.text for line in out.kept}
        for span in spec.get("strip_spans", []):
            assert span["text"] not in kept[span["line"] - 1], name
            assert any(r.text == span["text"] and r.kind == span["kind"] for r in out.removed)


def test_seed_gold_metadata_and_title(seeds: dict):
    for name, (spec, lines, out) in seeds.items():
        assert out.title == lines[spec["title_line"] - 1].text.strip(), name
        if published := spec.get("metadata", {}).get("published"):
            assert out.published and out.published.startswith(published), name


def test_seed_publish_line_recorded_as_byline_or_publish_meta(seeds: dict):
    _, _, out = seeds["004_d0b0afa9207d6635.txt"]
    kinds = {r.source_line: r.kind for r in out.removed}
    assert kinds[4] == "byline_or_publish_meta"
    assert kinds[0] == "dateline_header"
    assert kinds[5] == "photo_caption"


@pytest.fixture(scope="module")
def html_dev_scores() -> dict[str, tuple[float, float, float]]:
    """Mean shingle precision, recall and F1 on html-dev of the extracted lines and of what
    the stripper keeps of them (the metric of ``benchmarks/bench_html.py``)."""
    html_dev = shared_set("html-dev")
    from benchmarks.bench_html import load_pages, our_document, score

    stripper = Stripper()
    rows: dict[str, list[tuple[float, float, float]]] = {"extracted": [], "stripped": []}
    for page_id, html, gold in load_pages(html_dev):
        document = our_document(page_id, html)
        extracted = document.extracted if document else None
        lines = extracted.lines if extracted else []
        kept = stripper.strip(
            lines, title=extracted.title if extracted else None, body_kind="html"
        ).kept
        rows["extracted"].append(score("\n".join(line.text for line in lines), gold))
        rows["stripped"].append(score("\n".join(line.text for line in kept), gold))
    return {
        name: tuple(sum(s[i] for s in scores) / len(scores) for i in range(3))
        for name, scores in rows.items()
    }


def test_stripping_extracted_html_improves_f1_and_keeps_recall(html_dev_scores: dict):
    (_, extracted_r, extracted_f1), (_, stripped_r, stripped_f1) = (
        html_dev_scores["extracted"],
        html_dev_scores["stripped"],
    )
    assert stripped_f1 >= max(extracted_f1, 0.97), html_dev_scores
    assert stripped_r >= extracted_r - 0.005, html_dev_scores
