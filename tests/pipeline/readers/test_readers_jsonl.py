"""JSONL input: one article per line; a bad line is reported and the others survive."""

from __future__ import annotations

import gzip
import json

import pytest

from pipeline.readers import Limits, Rejection, read_source
from pipeline.record_types import Document


def jsonl(*objects: object) -> bytes:
    return b"".join(
        (o if isinstance(o, bytes) else json.dumps(o).encode()) + b"\n" for o in objects
    )


def read_all(name: str, data: bytes, **kwargs: object) -> list[Document | Rejection]:
    return list(read_source(name, "sha", data, **kwargs))


GOOD_HTML = {
    "url": "https://a.example.org/1",
    "html": "<html><body><p>Hi</p></body></html>",
    "outlet": "A News",
    "published": "2024-05-01",
    "fetched_at": "2024-05-02T00:00:00Z",
}
GOOD_TEXT = {"url": "https://b.example.org/2", "text": "Title\nParagraph one.\n"}


@pytest.mark.parametrize("compress", [False, True])
def test_each_line_is_a_document_with_its_line_number(compress: bool) -> None:
    data = jsonl(GOOD_HTML, GOOD_TEXT)
    items = read_all("batch.jsonl", gzip.compress(data) if compress else data)
    assert [(d.record_locator, d.body_kind, d.url) for d in items] == [
        ("1", "html", "https://a.example.org/1"),
        ("2", "text", "https://b.example.org/2"),
    ]
    first = items[0]
    assert (first.outlet, first.published, first.fetched_at) == (
        "A News",
        "2024-05-01",
        "2024-05-02T00:00:00Z",
    )
    assert items[1].body == GOOD_TEXT["text"]
    assert all(d.source_format == "jsonl" for d in items)


def test_malformed_lines_are_reported_and_the_others_survive() -> None:
    data = jsonl(
        GOOD_TEXT,
        b'{"url": "https://c.example.org/3", "text": "unterminated',
        b"",
        [1, 2, 3],
        {"url": "https://d.example.org/4"},
        {"url": 7, "text": "x"},
        b"\xff\xfe not utf-8 \xff",
        GOOD_HTML,
    )
    items = read_all("batch.jsonl", data)
    assert [d.record_locator for d in items if isinstance(d, Document)] == ["1", "8"]
    problems = {(p.record_locator, p.error_kind) for p in items if isinstance(p, Rejection)}
    assert problems == {
        ("2", "malformed_record"),
        ("4", "malformed_record"),
        ("5", "empty"),
        ("6", "malformed_record"),
        ("7", "malformed_record"),
    }


def test_an_over_long_line_is_rejected_alone() -> None:
    data = jsonl(GOOD_TEXT, {"text": "x" * 5000}, GOOD_TEXT)
    items = read_all("batch.jsonl", data, limits=Limits(max_document_bytes=1000))
    assert [i.record_locator for i in items if isinstance(i, Document)] == ["1", "3"]
    assert [(i.record_locator, i.error_kind) for i in items if isinstance(i, Rejection)] == [
        ("2", "too_large")
    ]


def test_truncated_jsonl_gz_keeps_the_lines_before_the_cut() -> None:
    data = gzip.compress(jsonl(*[{"text": f"Article {i} " * 40} for i in range(50)]))
    items = read_all("batch.jsonl.gz", data[: len(data) // 2])
    docs = [i for i in items if isinstance(i, Document)]
    assert docs and all(d.body.startswith("Article") for d in docs)
    assert len(docs) < 50
    assert isinstance(items[-1], Rejection) and items[-1].error_kind == "corrupt_compression"


def test_a_text_record_with_an_over_long_line_is_rejected_alone() -> None:
    data = jsonl({"text": "Title\n" + "y" * 2000}, GOOD_TEXT)
    items = read_all("batch.jsonl", data, limits=Limits(max_text_line_chars=1000))
    assert [(i.record_locator, i.error_kind) for i in items if isinstance(i, Rejection)] == [
        ("1", "line_too_long")
    ]
    assert [i.record_locator for i in items if isinstance(i, Document)] == ["2"]
