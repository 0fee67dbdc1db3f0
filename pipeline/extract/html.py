"""Article text and metadata from an HTML page: trafilatura for the main text (comments
excluded, paragraph structure kept), readability-lxml where trafilatura visibly missed part
of the article (see :mod:`.second_opinion`), and a BeautifulSoup reading of the page's text
blocks when nothing is found. The metadata is trafilatura's (:mod:`.trafilatura_metadata`,
read once the page has text) completed by what its reader misses (:mod:`.metadata`), both
from the lxml tree parsed once for all."""

from __future__ import annotations

from copy import copy

import trafilatura
from bs4 import BeautifulSoup
from lxml.html import HtmlElement
from trafilatura.settings import Extractor

from pipeline.extract.lines import text_lines
from pipeline.extract.metadata import page_metadata
from pipeline.extract.parse import parse_page
from pipeline.extract.second_opinion import needs_second_opinion, prefer_second, readability_html
from pipeline.extract.trafilatura_metadata import trafilatura_date, trafilatura_metadata
from pipeline.model import Document, Extracted
from pipeline.outlet import choose_outlet
from pipeline.readers.errors import RejectedInput

#: Trafilatura's options, chosen on the html-dev pages (benchmarks/bench_html.py):
#: precision mode drops more link lists and teasers at almost no loss of recall. With its
#: metadata, as trafilatura alone would be asked for what an Extracted holds.
TRAFILATURA_OPTIONS = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": True,
    "with_metadata": True,
}
#: The same options without metadata (read by :mod:`.trafilatura_metadata`, skipping the
#: fields dropped; the text is the same), as the Extractor ``bare_extraction`` builds from
#: them. Built once: building one reads the configuration and costs 3% of an extraction.
TEXT_EXTRACTOR = Extractor(
    output_format="python",
    comments=TRAFILATURA_OPTIONS["include_comments"],
    precision=TRAFILATURA_OPTIONS["favor_precision"],
    tables=TRAFILATURA_OPTIONS["include_tables"],
)
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
    tree = parse_page(doc.body)
    if tree is None:
        raise RejectedInput("extract", "not_html", "the page holds no markup and no text")
    result = trafilatura.bare_extraction(tree, options=_text_options(doc.url))
    text = result.text if result is not None and result.text else ""
    if text.strip() and needs_second_opinion(tree, text):
        other = text_blocks(readability_html(doc.body))
        if prefer_second(tree, text, other):
            text = other
    if not text.strip():
        text = text_blocks(doc.body)
    if not text.strip():
        raise _no_text(tree)
    found, page = trafilatura_metadata(tree, doc.url), page_metadata(tree)
    url = doc.url or found.url or page.url
    return Extracted(
        document=doc,
        lines=text_lines(text),
        title=found.title or page.title,
        author=found.author or page.author,
        published=doc.published or page.published or trafilatura_date(tree, found.url),
        url=url,
        outlet=choose_outlet(url, found.sitename or page.site_name, doc.outlet),
        description=found.description or page.description,
    )


def _text_options(url: str | None) -> Extractor:
    options = copy(TEXT_EXTRACTOR)
    options.url = options.source = url
    return options


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
