"""Format detection, the text/HTML readers, sidecars and encodings."""

from __future__ import annotations

import codecs
import gzip
import hashlib

import pytest
from conftest import DATA

from pipeline.readers import detect_format, is_sidecar, read_source, sidecar_path
from pipeline.readers.decode import decode
from pipeline.record_types import Document

INPUTS = DATA / "inputs"
ARTICLE = (INPUTS / "article.html").read_bytes()


def read_one(name: str, data: bytes, **kwargs: object) -> Document:
    items = list(read_source(name, hashlib.sha256(data).hexdigest(), data, **kwargs))
    assert len(items) == 1
    assert isinstance(items[0], Document)
    return items[0]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.txt", b"Just a line.\n", "txt"),
        ("a.html", b"Not really markup\n", "html"),
        ("a.HTM", ARTICLE, "html"),
        ("a.txt", ARTICLE, "html"),
        ("noext", b"  <!-- saved page -->\n<html><body>x</body></html>", "html"),
        ("noext", b'{"url": "https://x.org/a", "text": "t"}\n', "jsonl"),
        ("a.jsonl.gz", gzip.compress(b'{"text": "t"}\n'), "jsonl"),
        ("a.txt", b"WARC/1.0\r\nWARC-Type: warcinfo\r\n", "warc"),
        ("a.warc.gz", gzip.compress(b"WARC/1.1\r\n"), "warc"),
        ("a.dat", b"plain words", "txt"),
    ],
)
def test_detect_format_by_content_then_extension(name: str, data: bytes, expected: str) -> None:
    assert detect_format(name, data) == expected


def test_text_file_keeps_its_body_and_provenance() -> None:
    data = b"Headline\n\nFirst paragraph.\r\nSecond paragraph.\n"
    doc = read_one("dir/story.txt", data)
    assert doc.body == "Headline\n\nFirst paragraph.\r\nSecond paragraph.\n"
    assert (doc.source_format, doc.body_kind, doc.record_locator) == ("txt", "text", None)
    assert doc.source_sha256 == hashlib.sha256(data).hexdigest()
    assert doc.source_path == "dir/story.txt"


def test_gzip_compressed_text_is_read_transparently() -> None:
    doc = read_one("story.txt.gz", gzip.compress("Überschrift\nText.\n".encode()))
    assert doc.body == "Überschrift\nText.\n"


def test_sidecar_fills_provenance() -> None:
    sidecar = (
        b'{"url": "https://news.example.org/a", "outlet": "Example News", '
        b'"published": "2024-01-02", "fetched_at": "2024-01-03T10:00:00Z", "extra": 1}'
    )
    doc = read_one("a.txt", b"Body line\n", sidecar=sidecar)
    assert (doc.url, doc.outlet, doc.published, doc.fetched_at) == (
        "https://news.example.org/a",
        "Example News",
        "2024-01-02",
        "2024-01-03T10:00:00Z",
    )


@pytest.mark.parametrize("sidecar", [b"{not json", b"[1, 2]", b'{"url": 5}'])
def test_malformed_sidecar_rejects_the_file_with_its_reason(sidecar: bytes) -> None:
    from pipeline.readers import RejectedInput

    with pytest.raises(RejectedInput) as caught:
        read_one("a.txt", b"Body line\n", sidecar=sidecar)
    assert caught.value.error_kind == "malformed_sidecar"


def test_sidecar_names() -> None:
    assert sidecar_path("x/Story 1.txt") == "x/Story 1.meta.json"
    assert sidecar_path("x/story.TXT.gz") == "x/story.meta.json"
    assert sidecar_path("x/page.html") is None
    bad_bytes_name = b"caf\xe9.txt".decode("utf-8", "surrogateescape")
    assert sidecar_path(bad_bytes_name) == b"caf\xe9.meta.json".decode("utf-8", "surrogateescape")
    assert is_sidecar("a/b.meta.json") and not is_sidecar("a/b.json")


def test_html_file_is_read_as_html() -> None:
    doc = read_one("page.html", ARTICLE)
    assert doc.body_kind == "html" and doc.source_format == "html"
    assert "Harbour town votes" in doc.body


# --- encodings ---------------------------------------------------------------------------

WORDS = "Café déjà vu: “smart quotes” — naïve señor"


@pytest.mark.parametrize(
    ("data", "method"),
    [
        (WORDS.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + WORDS.encode("utf-8"), "bom"),
        (WORDS.encode("utf-16"), "bom"),
        (codecs.BOM_UTF16_BE + WORDS.encode("utf-16-be"), "bom"),
    ],
)
def test_unicode_with_and_without_bom(data: bytes, method: str) -> None:
    decoded = decode(data)
    assert decoded.text == WORDS
    assert decoded.method == method


def test_cp1252_text_file() -> None:
    text = "Le café coûte 3 € — “très cher”, dit-il.\nÇa alors.\n" * 3
    assert read_one("a.txt", text.encode("cp1252")).body == text


def test_latin1_html_with_meta_charset() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        "</head><body><p>Garçon, señora, Müller.</p></body></html>"
    )
    doc = read_one("a.html", page.encode("latin-1"))
    assert "Garçon, señora, Müller." in doc.body
    assert decode(page.encode("latin-1"), html=True).method == "declared"


def test_shift_jis_page_with_meta_charset() -> None:
    text = "東京で新しい図書館が開館しました。市民は喜んでいます。"
    page = f'<html><head><meta charset="Shift_JIS"></head><body><p>{text}</p></body></html>'
    decoded = decode(page.encode("shift_jis"), html=True)
    assert text in decoded.text
    assert (decoded.encoding, decoded.method) == ("cp932", "declared")


def test_declared_charset_loses_to_valid_utf8() -> None:
    page = '<meta charset="iso-8859-1"><p>Zoë’s café</p>'
    assert "Zoë’s café" in decode(page.encode("utf-8"), html=True).text


def test_mostly_utf8_with_stray_legacy_bytes() -> None:
    data = ("Déjà vu, naïve façade, Größe. " * 5).encode("utf-8") + b"Prix: 5 \x80 net."
    decoded = decode(data)
    assert decoded.method == "mostly-utf-8"
    assert decoded.text.endswith("Prix: 5 € net.")
    assert "Déjà vu, naïve façade, Größe." in decoded.text


def test_undeclared_legacy_encoding_is_guessed_or_falls_back_without_error() -> None:
    text = "Zażółć gęślą jaźń. Pchnąć w tę łódź jeża lub ośm skrzyń fig. " * 20
    decoded = decode(text.encode("iso-8859-2"))
    assert decoded.method in ("guessed", "fallback")
    assert "Pchn" in decoded.text and "\ufffd" not in decoded.text


@pytest.mark.parametrize(
    ("encoding", "meta"),
    [("utf-16", ""), ("shift_jis", '<meta charset="shift_jis">'), ("cp1252", "")],
)
def test_legacy_and_utf16_pages_extract_the_right_text(encoding: str, meta: str) -> None:
    from pipeline.extract import extract

    paragraph = {
        "utf-16": "Straße, café, “quoted” — and 東京 in one UTF-16 page with a byte-order mark.",
        "shift_jis": "東京都は新しい図書館を開館し、多くの市民が初日に訪れたと発表した。",
        "cp1252": "Le café « Chez Zoë » a rouvert ses portes après trois mois de travaux.",
    }[encoding]
    page = f"<html><head>{meta}</head><body><article><p>{paragraph}</p></article></body></html>"
    doc = read_one("page.html", page.encode(encoding))
    assert [line.text for line in extract(doc).lines] == [paragraph]
