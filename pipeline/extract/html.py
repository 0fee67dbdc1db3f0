"""Article text and metadata from an HTML page: trafilatura for the main text (comments
excluded, paragraph structure kept), readability-lxml where trafilatura visibly missed part
of the article (see :mod:`.second_opinion`), page metadata trafilatura misses from the same
lxml tree, and a BeautifulSoup reading of the page's text blocks when nothing is found."""

from __future__ import annotations

import trafilatura
from bs4 import BeautifulSoup
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from pipeline.extract.lines import text_lines
from pipeline.extract.metadata import page_metadata
from pipeline.extract.second_opinion import needs_second_opinion, prefer_second, readability_html
from pipeline.model import Document, Extracted
from pipeline.outlet import choose_outlet
from pipeline.readers.errors import RejectedInput

#: Trafilatura's options, chosen on the html-dev pages (benchmarks/bench_html.py):
#: precision mode drops more link lists and teasers at almost no loss of recall.
TRAFILATURA_OPTIONS = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": True,
    "with_metadata": True,
}
#: Elements whose text is never the article, for the BeautifulSoup fallback.
_NOT_ARTICLE = (
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "template",
    "svg",
    "iframe",
    "button",
    "select",
)
_TEXT_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")
#: libxml2 drops elements nested deeper than this (without its "huge" option).
_LIBXML2_MAX_DEPTH = 255


def extract_html(doc: Document) -> Extracted:
    tree = load_html(doc.body)
    if tree is None:
        raise RejectedInput("extract", "not_html", "the HTML parser found no document")
    page = page_metadata(tree)
    result = trafilatura.bare_extraction(tree, url=doc.url, **TRAFILATURA_OPTIONS)
    text = result.text if result is not None and result.text else ""
    if text.strip() and needs_second_opinion(tree, text):
        other = text_blocks(readability_html(doc.body))
        if prefer_second(tree, text, other):
            text = other
    if not text.strip():
        text = text_blocks(doc.body)
    if not text.strip():
        raise _no_text(tree)
    url = doc.url or (result.url if result is not None else None) or page.url
    site_name = (result.sitename if result is not None else None) or page.site_name
    return Extracted(
        document=doc,
        lines=text_lines(text),
        title=(result.title if result is not None else None) or page.title,
        author=(result.author if result is not None else None) or page.author,
        published=doc.published or page.published or (result.date if result else None),
        url=url,
        outlet=choose_outlet(url, site_name, doc.outlet),
        description=(result.description if result is not None else None) or page.description,
    )


def text_blocks(html: str) -> str:
    """The text blocks of a page (or of an extractor's article HTML) outside navigation and
    page furniture, one per line."""
    soup = BeautifulSoup(html, "lxml")
    for element in soup(_NOT_ARTICLE):
        element.decompose()
    blocks = [b.get_text(" ", strip=True) for b in soup(_TEXT_BLOCKS) if not b.find(_TEXT_BLOCKS)]
    if not any(blocks):
        body = soup.body or soup
        blocks = body.get_text("\n", strip=True).split("\n")
    return "\n".join(b for b in blocks if b)


def _no_text(tree: HtmlElement) -> RejectedInput:
    depth, element = 0, tree
    while len(element):
        element, depth = element[-1], depth + 1
    if depth >= _LIBXML2_MAX_DEPTH:
        return RejectedInput(
            "extract",
            "too_deep",
            f"elements nested deeper than {_LIBXML2_MAX_DEPTH} levels are dropped by the parser, "
            "and no text was found above that depth",
        )
    return RejectedInput("extract", "no_text", "no article text found in the page")
