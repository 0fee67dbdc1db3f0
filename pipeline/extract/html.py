"""Article text and metadata from an HTML page.

The page is parsed once (:mod:`.parse`); the article is the text blocks the trained block
model keeps (:mod:`.article`), which reads candidate extractions of the same tree
(:mod:`.candidate_extractions`). When it keeps nothing, the first candidate with text is taken, and
last a reading of the page's text blocks, so no page that any extractor reads is rejected.
Markup the page does not show never reaches the text (:mod:`.markup`). The metadata is
trafilatura's (:mod:`.trafilatura_metadata`) completed by what its reader misses
(:mod:`.page_metadata`), both from the same tree.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from pipeline.extract.article import article_text
from pipeline.extract.candidate_extractions import (
    TEXT_EXTRACTOR,
    TRAFILATURA_OPTIONS,
    Page,
    text_blocks,
)
from pipeline.extract.lines import text_lines
from pipeline.extract.markup import without_markup
from pipeline.extract.page_metadata import page_metadata
from pipeline.extract.parse import parse_page
from pipeline.extract.trafilatura_metadata import trafilatura_date, trafilatura_metadata
from pipeline.extract.tree_model import TreeModel
from pipeline.outlet import choose_outlet
from pipeline.readers.errors import RejectedInput
from pipeline.record_types import Document, Extracted

__all__ = ["TEXT_EXTRACTOR", "TRAFILATURA_OPTIONS", "extract_html", "page_text"]

#: The candidates asked, in this order, when the block model keeps nothing.
FALLBACKS = ("precision", "recall", "balanced", "readability", "justext")
#: libxml2 drops elements nested deeper than this (without its "huge" option).
_LIBXML2_MAX_DEPTH = 255


def extract_html(doc: Document) -> Extracted:
    tree = parse_page(doc.body)
    if tree is None:
        raise RejectedInput("extract", "not_html", "the page holds no markup and no text")
    text = page_text(Page(doc.body, tree, doc.url))
    if not text:
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


def page_text(page: Page, model: TreeModel | None = None) -> str:
    """The article's text without markup: the block model's (``model``, by default the
    shipped one), else the first fallback's."""
    readings = (
        lambda: article_text(page, model),
        *(lambda name=name: page.candidate(name) for name in FALLBACKS),
        lambda: text_blocks(page.html),
    )
    for reading in readings:
        if text := without_markup(reading(), page.tree):
            return text
    return ""


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
