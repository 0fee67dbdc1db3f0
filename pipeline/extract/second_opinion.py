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
#: The fewest characters a paragraph of SUBSTANTIAL_WORDS words can have (one-letter words).
_MIN_CHARS = 2 * SUBSTANTIAL_WORDS - 1
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
    paragraphs = _substantial(_long_paragraphs(tree))
    return _coverage(paragraphs, text.lower()), sum(len(words) for _, words in paragraphs)


def needs_second_opinion(tree: HtmlElement, text: str) -> bool:
    """Whether ``text`` lacks much of the page's substantial paragraphs."""
    lowered, candidates = text.lower(), _long_paragraphs(tree)
    missing = ((element, own) for element, own in candidates if not _occurs(own, lowered))
    if not any(_substantial_words(element, own) for element, own in missing):
        return False  # the common case, cheaply: all substantial paragraphs are in the text
    paragraphs = _substantial(candidates)
    if sum(len(words) for _, words in paragraphs) < TRIGGER_WORDS:
        return False
    return _coverage(paragraphs, lowered) < TRIGGER_COVERAGE


def _substantial(candidates: list[tuple[HtmlElement, str]]) -> list[tuple[str, list[str]]]:
    """The substantial ones of :func:`_long_paragraphs`: (text, words)."""
    with_words = ((text, _substantial_words(element, text)) for element, text in candidates)
    return [(text, words) for text, words in with_words if words]


def _substantial_words(element: HtmlElement, text: str) -> list[str]:
    """The words of a paragraph (``text`` is its text) if it is substantial, else none."""
    words = _WORD.findall(text)
    if len(words) < SUBSTANTIAL_WORDS:
        return []
    link_words = sum(len(_WORD.findall(a.text_content())) for a in element.iter("a"))
    return words if link_words <= MAX_LINK_SHARE * len(words) else []


def _long_paragraphs(tree: HtmlElement) -> list[tuple[HtmlElement, str]]:
    """The ``<p>`` elements long enough to be substantial, with their lower-cased text."""
    paragraphs = ((element, element.text_content().lower()) for element in tree.iter("p"))
    return [(element, text) for element, text in paragraphs if len(text) >= _MIN_CHARS]


def _occurs(paragraph: str, lowered: str) -> bool:
    """Whether ``paragraph`` occurs whole in ``lowered``, as it is or with its whitespace runs
    made single spaces, as an extractor's output has them (the same words either way)."""
    return paragraph in lowered or " ".join(paragraph.split()) in lowered


def _coverage(paragraphs: list[tuple[str, list[str]]], lowered: str) -> float:
    """The share of the paragraphs' words in paragraphs found in a (lower-cased) text: those
    with :data:`PARAGRAPH_FOUND` of their words among its words.

    A paragraph that occurs whole in the text is found without looking at words: only its
    first and last word can run on into the text's neighbouring words, and all but two of
    :data:`SUBSTANTIAL_WORDS` words is over the share. This is the common case.
    """
    extracted: set[str] | None = None
    total = found = 0
    for paragraph, words in paragraphs:
        total += len(words)
        if _occurs(paragraph, lowered):
            found += len(words)
            continue
        if extracted is None:
            extracted = set(_WORD.findall(lowered))
        if sum(map(extracted.__contains__, words)) >= PARAGRAPH_FOUND * len(words):
            found += len(words)
    return found / total if total else 1.0


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
    paragraphs = _substantial(_long_paragraphs(tree))
    gain = _coverage(paragraphs, second.lower()) - _coverage(paragraphs, first.lower())
    return gain >= COVERAGE_GAIN
