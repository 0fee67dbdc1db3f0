"""WARC input: HTML responses become Documents; damaged records are reported, not fatal."""

from __future__ import annotations

import io
import re

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.readers import Rejection, read_source
from pipeline.record_types import Document

PAGE = "<html><head><title>{0}</title></head><body><p>Story number {0}: café.</p></body></html>"


def warc(records: list[tuple[str, str, str, bytes]], compress: bool) -> bytes:
    """(url, HTTP status line, Content-Type, payload) per response record, plus a warcinfo."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=compress)
    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "tests"}))
    for url, status, content_type, payload in records:
        headers = StatusAndHeaders(
            status,
            [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
            protocol="HTTP/1.1",
        )
        record = writer.create_warc_record(
            url, "response", payload=io.BytesIO(payload), http_headers=headers
        )
        writer.write_record(record)
    return out.getvalue()


def pages(count: int) -> list[tuple[str, str, str, bytes]]:
    return [
        (
            f"https://news.example.com/{i}",
            "200 OK",
            "text/html; charset=utf-8",
            PAGE.format(i).encode(),
        )
        for i in range(count)
    ]


def read_all(name: str, data: bytes) -> list[Document | Rejection]:
    return list(read_source(name, "sha", data))


@pytest.mark.parametrize("compress", [False, True])
def test_every_html_response_is_a_document(compress: bool) -> None:
    records = [
        *pages(2),
        ("https://news.example.com/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n..."),
        ("https://news.example.com/gone", "404 Not Found", "text/html", b"<p>Not found</p>"),
        (
            "https://news.example.com/latin",
            "200 OK",
            "text/html; charset=iso-8859-1",
            "<html><body><p>Garçon!</p></body></html>".encode("latin-1"),
        ),
    ]
    items = read_all("crawl.warc.gz" if compress else "crawl.warc", warc(records, compress))
    docs = [i for i in items if isinstance(i, Document)]
    problems = [i for i in items if isinstance(i, Rejection)]
    assert [d.url for d in docs] == [
        "https://news.example.com/0",
        "https://news.example.com/1",
        "https://news.example.com/latin",
    ]
    assert "Story number 1: café." in docs[1].body
    assert "Garçon!" in docs[2].body
    assert all(d.source_format == "warc" and d.body_kind == "html" for d in docs)
    assert all(re.fullmatch(r"<urn:uuid:[0-9a-f-]+>", d.record_locator) for d in docs)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT.*", d.fetched_at) for d in docs)
    assert [(p.error_kind, p.message) for p in problems] == [
        ("http_error_status", "HTTP status 404")
    ]


def _record_starts(data: bytes, compress: bool) -> list[int]:
    marker = rb"\x1f\x8b\x08" if compress else rb"WARC/1\.[01]\r\n"
    return [m.start() for m in re.finditer(marker, data)]


@pytest.mark.parametrize("compress", [False, True])
def test_a_corrupt_record_in_the_middle_spares_the_others(compress: bool) -> None:
    data = bytearray(warc(pages(5), compress))
    starts = _record_starts(bytes(data), compress)  # warcinfo, then pages 0..4
    damaged = starts[3]  # page 2
    data[damaged + 12 : damaged + 40] = b"#" * 28
    items = read_all("crawl.warc", bytes(data))
    urls = [i.url for i in items if isinstance(i, Document)]
    assert urls == [f"https://news.example.com/{i}" for i in (0, 1, 3, 4)]
    problems = [i for i in items if isinstance(i, Rejection)]
    assert [(p.error_kind, p.record_locator) for p in problems] == [
        ("corrupt_record", f"byte {damaged}")
    ]


def test_a_truncated_warc_gz_keeps_the_complete_records() -> None:
    data = warc(pages(3), compress=True)
    items = read_all("crawl.warc.gz", data[: len(data) - 40])
    urls = [i.url for i in items if isinstance(i, Document)]
    assert urls == ["https://news.example.com/0", "https://news.example.com/1"]
    assert [i.error_kind for i in items if isinstance(i, Rejection)] == ["corrupt_record"]


def test_a_warc_gzipped_as_one_stream_yields_every_record() -> None:
    import gzip

    data = gzip.compress(warc(pages(3), compress=False))
    urls = [i.url for i in read_all("crawl.warc.gz", data) if isinstance(i, Document)]
    assert urls == [f"https://news.example.com/{i}" for i in range(3)]
