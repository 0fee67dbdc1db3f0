"""Generated input thrown at the readers and the extractor: nothing but RejectedInput may
escape, and a text file's extracted lines are exactly its non-blank physical lines."""

from __future__ import annotations

import gzip

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.extract import extract
from pipeline.readers import RejectedInput, read_source
from pipeline.record_types import Document

NAMES = st.sampled_from(
    ["a.txt", "a.html", "a.htm", "a.jsonl", "a.warc", "a.txt.gz", "a.warc.gz", "noext"]
)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_and_extract(name: str, data: bytes) -> list:
    """Everything read_source and extract produce; RejectedInput counts as a result."""
    results: list = []
    try:
        for item in read_source(name, "sha", data):
            if isinstance(item, Document):
                try:
                    results.append(extract(item))
                except RejectedInput as problem:
                    results.append(problem)
            else:
                results.append(item)
    except RejectedInput as problem:
        results.append(problem)
    return results


@FAST
@given(name=NAMES, data=st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise_anything_else(name: str, data: bytes) -> None:
    if name.endswith(".gz"):
        data = gzip.compress(data)
    read_and_extract(name, data)


TAGS = st.sampled_from(
    [
        "p",
        "div",
        "article",
        "span",
        "h1",
        "li",
        "ul",
        "table",
        "td",
        "tr",
        "script",
        "style",
        "nav",
        "footer",
        "br",
        "a",
        "b",
        "!--",
        "html",
        "body",
    ]
)


@st.composite
def html_soup(draw: st.DrawFn) -> str:
    """Plausible and implausible markup: tags opened and closed in any order, with text."""
    parts = []
    for _ in range(draw(st.integers(0, 60))):
        tag = draw(TAGS)
        kind = draw(st.sampled_from(["open", "close", "text", "attr"]))
        if kind == "open":
            parts.append(f"<{tag}>")
        elif kind == "close":
            parts.append(f"</{tag}>")
        elif kind == "attr":
            parts.append(f'<{tag} class="{draw(st.text(max_size=8))}">')
        else:
            parts.append(draw(st.text(max_size=80)))
    return "".join(parts)


@FAST
@given(page=html_soup(), name=st.sampled_from(["a.html", "noext", "a.jsonl"]))
def test_generated_html_never_raises_anything_else(page: str, name: str) -> None:
    if name == "a.jsonl":
        import json

        data = (json.dumps({"url": "https://x.example.org/", "html": page}) + "\n").encode()
    else:
        data = page.encode("utf-8", "surrogatepass")
    read_and_extract(name, data)


LINE = st.text(
    st.one_of(st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from(" \t\r")),
    max_size=60,
)


@FAST
@given(lines=st.lists(LINE, max_size=30), crlf=st.booleans())
def test_text_lines_are_the_input_lines_in_order(lines: list[str], crlf: bool) -> None:
    body = ("\r\n" if crlf else "\n").join(lines)
    assume(not body.startswith("\ufeff"))
    results = read_and_extract("a.txt", body.encode())
    assume(results and not isinstance(results[0], RejectedInput))
    (extracted,) = results
    physical = body.split("\n")
    expected = [(i, line.strip()) for i, line in enumerate(physical) if line.strip()]
    assert [(line.source_line, line.text) for line in extracted.lines] == expected
    # ...which makes them a subsequence of the input's lines:
    stripped = iter(line.strip() for line in physical)
    assert all(any(text == candidate for candidate in stripped) for _, text in expected)


def _sample_warc() -> bytes:
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    for i in range(4):
        payload = f"<html><body><p>Report {i} on the harbour works.</p></body></html>".encode()
        headers = StatusAndHeaders(
            "200 OK",
            [("Content-Type", "text/html"), ("Content-Length", str(len(payload)))],
            protocol="HTTP/1.1",
        )
        writer.write_record(
            writer.create_warc_record(
                f"https://example.org/{i}",
                "response",
                payload=io.BytesIO(payload),
                http_headers=headers,
            )
        )
    return out.getvalue()


SAMPLE_WARC = _sample_warc()


@FAST
@given(
    cuts=st.lists(
        st.tuples(st.integers(0, len(SAMPLE_WARC) - 1), st.binary(max_size=20)), max_size=4
    ),
    compress=st.booleans(),
)
def test_damaged_warcs_never_raise_anything_else(
    cuts: list[tuple[int, bytes]], compress: bool
) -> None:
    data = bytearray(SAMPLE_WARC)
    for offset, garbage in cuts:
        data[offset : offset + len(garbage)] = garbage
    payload = gzip.compress(bytes(data)) if compress else bytes(data)
    results = read_and_extract("crawl.warc", payload)
    if not cuts:
        assert len(results) == 4
