"""No raw markup in extracted text: a generated hostile set (always) and every page of the
../shared HTML sets (skipped when absent)."""

from __future__ import annotations

import gzip
import itertools
import re
from pathlib import Path

import pytest
from conftest import SHARED
from lxml.html import document_fromstring

from pipeline.extract import extract
from pipeline.extract.markup import without_markup
from pipeline.extract.parse import parse_page
from pipeline.record_types import Document

#: An independent reading of "a tag": the markup a page's own source is made of.
RAW_TAG = re.compile(
    r"</?(?:html|head|body|script|style|link|meta|div|span|p|a|img|iframe|table|tr|td|br|form|input)"
    r"(?:\s[^<>]*)?/?>|<!--|<!\[CDATA\[",
    re.IGNORECASE,
)
ARTICLE = (
    "The ferry company said on Friday that crossings to the island would resume next week. "
    "Engineers replaced the damaged ramp and inspectors signed off the repairs on Thursday. "
    "Passengers with bookings for the cancelled sailings can claim a refund until May. "
)
#: Script and style source with words no article holds, put where extractors meet it as text.
SCRIPT = (
    "//<![CDATA[\nvar theForm = document.forms['aspnetForm'];\n"
    "function __doPostBack(eventTarget, eventArgument) { theForm.submit(); }\n//]]>"
)
STYLE = ".zzqstyle { color: #ff00ff; margin: 0 auto; }\n#zzqbox > li { display: none; }"
LEAKS = [
    f"<p>{ARTICLE}</p>",
    '<p>&lt;link rel="stylesheet" href="/zzq.css" type="text/css"&gt;</p>',
    f"<div><script type='text/javascript'>{SCRIPT}</script></div>",
    f"<style>{STYLE}</style>",
    f"<noscript>&lt;script&gt;{SCRIPT}&lt;/script&gt;</noscript>",
    f"<textarea>&lt;style&gt;{STYLE}&lt;/style&gt;</textarea>",
    f"<template><p>{SCRIPT}</p></template>",
    f"<table><tr><td><script>{SCRIPT}</script>{ARTICLE}</td></tr></table>",
    f"<p>{ARTICLE}<script>{SCRIPT}",  # never closed
    "<![if !IE]><link href='/zzq-ie.css' rel='stylesheet'><![endif]>",
    "<!-- <div class='zzq'>commented out</div> -->",
    '<iframe srcdoc="<p>zzqframe</p>">&lt;div&gt;zzqfallback&lt;/div&gt;</iframe>',
    f'<p>{ARTICLE}</p><p>&lt;/div&gt;&lt;/div&gt;&lt;script src="/zzq.js"&gt;&lt;/script&gt;</p>',
]
NOT_ARTICLE = ("theForm", "__doPostBack", "zzqstyle", "zzqbox", "zzq.css", "zzq.js", "zzqframe")


def hostile_pages() -> list[str]:
    pages = []
    for first, second in itertools.permutations(LEAKS, 2):
        body = f"<nav><a href='/'>Home</a></nav><article>{first}{ARTICLE}{second}</article>"
        pages.append(f"<html><head><title>Ferry</title></head><body>{body}</body></html>")
    return pages


def output_text(html: str) -> str:
    doc = Document("p.html", "sha", "html", None, html, "html")
    return "\n".join(line.text for line in extract(doc).lines)


def shown_tags(html: str) -> set[str]:
    """The tags a page shows as code (escaped in its source), which an article may quote."""
    tree = document_fromstring(html)
    code = tree.iter("pre", "code", "kbd", "samp", "tt", "xmp", "listing", "plaintext")
    return {
        " ".join(tag.split()) for element in code for tag in RAW_TAG.findall(element.text_content())
    }


def source_lines(html: str) -> set[str]:
    tree = document_fromstring(html)
    return {
        " ".join(line.split())
        for element in tree.iter("script", "style")
        for line in (element.text or "").split("\n")
        if len(" ".join(line.split())) >= 16
    }


@pytest.mark.parametrize("html", hostile_pages())
def test_no_markup_or_script_survives_a_hostile_page(html: str) -> None:
    text = output_text(html)
    assert "ferry company said on Friday" in text
    assert not {" ".join(tag.split()) for tag in RAW_TAG.findall(text)} - shown_tags(html)
    for word in NOT_ARTICLE:
        assert word not in text


def test_markup_the_page_shows_as_code_is_kept_and_leaked_markup_is_not() -> None:
    page = (
        "<html><body><article><p>Write <code>&lt;p&gt;</code> to start a paragraph.</p>"
        "<p>Real words</p></article></body></html>"
    )
    tree = parse_page(page)
    assert (
        without_markup("Write <p> to start a paragraph.", tree) == "Write <p> to start a paragraph."
    )
    assert without_markup("Real <link rel='x'> words <div class='a'>", tree) == "Real words"
    assert without_markup("<script>var x = 1;</script>\nRest", tree) == "Rest"
    assert without_markup("//<![CDATA[\nRest", tree) == "Rest"


def shared_pages() -> list[Path]:
    return sorted(SHARED.glob("html-*/html/*.html.gz"))


@pytest.mark.skipif(not shared_pages(), reason="../shared HTML sets absent (bare clone)")
def test_no_markup_in_any_shared_page() -> None:
    failures = []
    for path in shared_pages():
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        text = output_text(html)
        leaked = {" ".join(tag.split()) for tag in RAW_TAG.findall(text)} - shown_tags(html)
        source = source_lines(html)
        script = [line for line in text.split("\n") if " ".join(line.split()) in source]
        if leaked or script:
            failures.append((path.name, sorted(leaked)[:3], script[:2]))
    assert not failures
