"""A second extractor for pages where trafilatura visibly missed part of the article.

trafilatura keeps one main container; articles split over several sibling containers (a
common layout for long reads) lose everything after the first. The sign is cheap to see: the
page's substantial paragraphs (long, few links) that the extraction does not contain. Only
then readability-lxml, which scores and merges sibling blocks, is asked too, and its text
replaces trafilatura's when it keeps what trafilatura found and covers clearly more of the
page's substantial paragraphs.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement
from readability import Document as Readability

_WORD = re.compile(r"\w+")
#: A paragraph of at least this many words, under this share of link words, is substantial.
SUBSTANTIAL_WORDS = 30
MAX_LINK_SHARE = 0.3
#: A paragraph counts as extracted when this share of its words occurs in the extraction.
PARAGRAPH_FOUND = 0.8
#: Ask readability when the extraction covers less than this share of the substantial words
#: and at least this many substantial words are on the page.
TRIGGER_COVERAGE = 0.5
TRIGGER_WORDS = 150
#: readability wins when it keeps this share of trafilatura's words and covers this much more.
KEEP_SHARE = 0.9
COVERAGE_GAIN = 0.25


def paragraph_coverage(tree: HtmlElement, text: str) -> tuple[float, int]:
    """(share of the page's substantial-paragraph words found in ``text``, their number)."""
    extracted = set(_WORD.findall(text.lower()))
    total = found = 0
    for paragraph in tree.iter("p"):
        words = _WORD.findall(paragraph.text_content().lower())
        if len(words) < SUBSTANTIAL_WORDS:
            continue
        link_words = sum(len(_WORD.findall(a.text_content())) for a in paragraph.iter("a"))
        if link_words > MAX_LINK_SHARE * len(words):
            continue
        total += len(words)
        if sum(map(extracted.__contains__, words)) >= PARAGRAPH_FOUND * len(words):
            found += len(words)
    return (found / total if total else 1.0), total


def needs_second_opinion(tree: HtmlElement, text: str) -> bool:
    coverage, words = paragraph_coverage(tree, text)
    return coverage < TRIGGER_COVERAGE and words >= TRIGGER_WORDS


def readability_html(html: str) -> str:
    """readability-lxml's article HTML ("" when it fails, as it may on odd markup)."""
    try:
        return Readability(html).summary(html_partial=True)
    except Exception:  # readability raises bare Exception subclasses of its own on bad pages
        return ""


def prefer_second(tree: HtmlElement, first: str, second: str) -> bool:
    """Whether ``second`` keeps ``first``'s words and covers clearly more of the page."""
    first_words = _WORD.findall(first.lower())
    second_words = set(_WORD.findall(second.lower()))
    kept = sum(map(second_words.__contains__, first_words))
    if kept < KEEP_SHARE * len(first_words):
        return False
    return paragraph_coverage(tree, second)[0] >= paragraph_coverage(tree, first)[0] + COVERAGE_GAIN
