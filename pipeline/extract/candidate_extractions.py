"""Candidate extractions of one page's article text, each from the one parsed tree.

Each extractor keeps a different idea of the article: trafilatura in precision mode drops
link lists and teasers but sometimes keeps only an ad block or nothing; its balanced and
recall modes keep more; readability-lxml scores and merges sibling blocks; jusText
classifies every paragraph by its stop words and links. The block model
(:mod:`pipeline.extract.article`) learns which blocks to keep from what they agree on.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy, deepcopy
from dataclasses import dataclass, field

import trafilatura
from bs4 import BeautifulSoup
from lxml.html import HtmlElement
from readability import Document as Readability
from trafilatura.baseline import basic_cleaning
from trafilatura.external import try_justext
from trafilatura.settings import Extractor

#: Elements whose text is never the article, for :func:`text_blocks`.
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


@dataclass
class Page:
    """A parsed page, shared by the candidates (each copies what it changes)."""

    html: str
    tree: HtmlElement
    url: str | None = None
    texts: dict[str, str] = field(default_factory=dict)

    def candidate(self, name: str) -> str:
        """The text of candidate ``name`` (run once, then kept)."""
        if name not in self.texts:
            self.texts[name] = CANDIDATES[name](self)
        return self.texts[name]


#: trafilatura's options for the project's main mode (chosen on html-dev: precision drops
#: more link lists and teasers), with its metadata, as trafilatura alone would be asked for
#: what an Extracted holds (the benchmarks' "trafilatura as configured").
TRAFILATURA_OPTIONS = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": True,
    "with_metadata": True,
}


def trafilatura_extractor(options: dict[str, bool]) -> Extractor:
    """The Extractor ``bare_extraction`` builds from these options, without metadata (read
    by :mod:`.trafilatura_metadata`; the text is the same). Built once per mode: building
    one reads the configuration."""
    return Extractor(
        output_format="python",
        comments=options.get("include_comments", True),
        precision=options.get("favor_precision", False),
        recall=options.get("favor_recall", False),
        tables=options.get("include_tables", True),
    )


#: The main mode's Extractor.
TEXT_EXTRACTOR = trafilatura_extractor(TRAFILATURA_OPTIONS)


def _trafilatura(extractor: Extractor) -> Callable[[Page], str]:
    """A trafilatura candidate with this Extractor (its tree is a copy of the page's)."""

    def run(page: Page) -> str:
        configured = copy(extractor)
        configured.url = configured.source = page.url
        result = trafilatura.bare_extraction(page.tree, options=configured)
        return result.text if result is not None and result.text else ""

    return run


def readability_text(page: Page) -> str:
    """readability-lxml's article, as text blocks ("" when it fails, as it may on odd markup)."""
    try:
        summary = Readability(deepcopy(page.tree), url=page.url).summary(html_partial=True)
    except Exception:  # readability raises bare Exception subclasses of its own on bad pages
        return ""
    return text_blocks(summary)


def justext_text(page: Page) -> str:
    """jusText's good paragraphs (trafilatura's call: all languages' stop words at once)."""
    body = try_justext(basic_cleaning(deepcopy(page.tree)), page.url, None)
    return "\n".join(paragraph.text for paragraph in body if paragraph.text)


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


CANDIDATES: dict[str, Callable[[Page], str]] = {
    "precision": _trafilatura(TEXT_EXTRACTOR),
    "balanced": _trafilatura(trafilatura_extractor({"include_comments": False})),
    "recall": _trafilatura(
        trafilatura_extractor({"include_comments": False, "favor_recall": True})
    ),
    "readability": readability_text,
    "justext": justext_text,
}
