"""Tolerant detection and parsing: a page a browser renders is read as HTML, whatever the
state of its start; ``not_html`` is left for what holds no markup and no text."""

from __future__ import annotations

import codecs
import hashlib
import itertools

import pytest

from pipeline.extract import extract
from pipeline.readers import RejectedInput, detect_format, read_source
from pipeline.record_types import Document

DOCTYPE = "<!DOCTYPE html>"
PARAGRAPHS = [
    "The harbour board agreed on Monday to dredge the inner basin before the summer season.",
    "Fishermen had complained for two years that boats grounded at low tide near the slipway.",
    "Work will start in April and the quay will stay open to visitors throughout the project.",
]
BODY = (
    "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Basin to be dredged</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "</article><footer>Copyright Harbour News</footer>"
)
HEAD = "<head><meta charset='utf-8'><title>Basin to be dredged</title></head>"

#: Every way the start of a page is cut or decorated: doctypes cut at each character, none,
#: no ``<html>``, no ``<head>``, upper case, an XML declaration naming another encoding.
DOCTYPES = [DOCTYPE[:cut] + end for cut in range(9, len(DOCTYPE)) for end in (">", "")]
DOCTYPES += [DOCTYPE, ""]
SHELLS = [
    "<html>{head}<body>{body}</body></html>",
    "{head}<body>{body}</body>",
    "<html><body>{body}</body></html>",
    "{head}{body}",
    "<HTML>{head}<BODY>{body}",
]
PREFIXES = [
    "",
    "\n\n  ",
    "<!-- saved from url=(0042) -->\n",
    '<?xml version="1.0" encoding="iso-8859-1"?>',
]
JUNK = ["Warning: session_start() failed in /var/www/index.php\n", "ï»¿"]


def pages() -> list[str]:
    return [
        prefix + doctype + shell.format(head=HEAD, body=BODY)
        for prefix, doctype, shell in itertools.product(PREFIXES, DOCTYPES, SHELLS)
    ]


def read_and_extract(name: str, data: bytes) -> list[str]:
    (doc,) = read_source(name, hashlib.sha256(data).hexdigest(), data)
    assert isinstance(doc, Document) and doc.body_kind == "html"
    return [line.text for line in extract(doc).lines]


@pytest.mark.parametrize("page", pages())
def test_every_page_start_is_detected_and_read_as_html(page: str) -> None:
    data = page.encode()
    if page.lstrip().startswith(("<!DOCTYPE", "<?xml", "<!--", "<html", "<HTML", "<head")):
        assert detect_format("saved", data) == "html"
    texts = read_and_extract("page.html", data)
    for paragraph in PARAGRAPHS:
        assert paragraph in texts
    assert not any("Copyright" in t for t in texts)


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
@pytest.mark.parametrize("doctype", ["<!DOCTYPE htm>", DOCTYPE, "<html>"])
def test_a_byte_order_mark_does_not_hide_the_page(bom: bytes, encoding: str, doctype: str) -> None:
    data = bom + f"{doctype}{HEAD}<body>{BODY}</body></html>".encode(encoding)
    assert detect_format("saved.txt", data) == "html"
    assert PARAGRAPHS[1] in read_and_extract("saved.txt", data)


@pytest.mark.parametrize("junk", JUNK)
def test_leading_junk_before_the_page(junk: str) -> None:
    data = (junk + DOCTYPE + f"<html>{HEAD}<body>{BODY}</body></html>").encode()
    assert detect_format("saved", data) == "html"
    assert PARAGRAPHS[2] in read_and_extract("saved", data)


@pytest.mark.parametrize(
    "text",
    [
        "A line about <html> tags and how pages start.\nMore prose.",
        "Dear <name>, thank you for writing.",
        "<abbr> is not a tag a sniffer trusts.",
        "3 < 4 and 5 > 2",
    ],
)
def test_text_that_mentions_markup_stays_text(text: str) -> None:
    assert detect_format("notes", text.encode()) == "txt"


def test_a_fragment_with_text_is_a_page() -> None:
    doc = Document("f.html", "sha", "html", None, "<div>Just one line of text.</div>", "html")
    assert [line.text for line in extract(doc).lines] == ["Just one line of text."]


@pytest.mark.parametrize("body", ["<!-- nothing -->", "<!DOCTYPE htm", "  \n<!---->"])
def test_only_what_holds_no_markup_and_no_text_is_not_html(body: str) -> None:
    with pytest.raises(RejectedInput) as caught:
        extract(Document("e.html", "sha", "html", None, body, "html"))
    assert caught.value.error_kind == "not_html"
