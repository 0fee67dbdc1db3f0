"""trafilatura's metadata, read without its passes for fields the pipeline drops: the same
values as ``bare_extraction(..., with_metadata=True)``, and the extracted text unchanged."""

from __future__ import annotations

import pytest
import trafilatura
from conftest import DATA
from lxml.html import tostring
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

import pipeline.extract.candidate_extractions as candidates
import pipeline.extract.trafilatura_metadata as readers
from pipeline.extract import extract
from pipeline.extract.html import TEXT_EXTRACTOR, TRAFILATURA_OPTIONS
from pipeline.extract.trafilatura_metadata import trafilatura_date, trafilatura_metadata
from pipeline.record_types import Document

ARTICLE = (DATA / "inputs" / "article.html").read_text()
PARAGRAPH = "<p>The harbour board approved the new ferry timetable after a long debate.</p>"
#: Pages whose metadata trafilatura finds in different places: meta tags and JSON-LD; only
#: the page's visible parts (h1, a byline element, a dated URL, a "Title | site" title); a
#: one-word meta author (a handle trafilatura drops) and an ``@handle`` site name.
PAGES = {
    "meta tags and JSON-LD": ARTICLE,
    "visible parts only": (
        "<html><head><title>Ferry timetable approved | harbour-news.example</title></head>"
        "<body><article><h1>Ferry timetable approved</h1>"
        '<div class="author">Jo Brennan</div>'
        '<p><a href="https://harbour-news.example/2023/05/17/ferry.html">link</a></p>'
        + PARAGRAPH * 4
        + "</article></body></html>"
    ),
    "handles": (
        '<html><head><meta name="author" content="jbrennan">'
        '<meta name="twitter:site" content="@harbournews">'
        '<meta name="publisher" content="@harbournews">'
        '<link rel="canonical" href="https://www.harbour-news.example/ferry"></head>'
        "<body><article><h2>Ferry</h2><p class='byline'>By Jo Brennan</p>"
        + PARAGRAPH * 4
        + "</article></body></html>"
    ),
}
FIELDS = ("title", "author", "url", "sitename", "description")


@pytest.mark.parametrize("html", PAGES.values(), ids=PAGES.keys())
@pytest.mark.parametrize("url", [None, "https://mirror.example.org/a/b"])
def test_fields_are_trafilaturas(html: str, url: str | None) -> None:
    full = trafilatura.bare_extraction(load_html(html), url=url, **TRAFILATURA_OPTIONS)
    tree = load_html(html)
    ours = trafilatura_metadata(tree, url)
    assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(full, f) for f in FIELDS}
    assert ours.date is None  # read apart, and only when the page's meta tags have none
    assert trafilatura_date(tree, ours.url) == full.date


@pytest.mark.parametrize("html", PAGES.values(), ids=PAGES.keys())
def test_text_extractor_extracts_the_same_text(html: str) -> None:
    full = trafilatura.bare_extraction(load_html(html), **TRAFILATURA_OPTIONS)
    text_only = trafilatura.bare_extraction(load_html(html), options=TEXT_EXTRACTOR)
    assert text_only.text == full.text
    assert text_only.title is None  # no metadata pass


def test_text_extractor_is_the_one_trafilatura_builds_from_the_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[Extractor] = []

    class Recorded(Extractor):
        def __init__(self, **options: object) -> None:
            super().__init__(**options)
            built.append(self)

    monkeypatch.setattr(trafilatura.core, "Extractor", Recorded)
    options = {**TRAFILATURA_OPTIONS, "with_metadata": False}
    trafilatura.bare_extraction(PAGES["visible parts only"], **options)
    [theirs] = built
    assert all(
        getattr(theirs, name) == getattr(TEXT_EXTRACTOR, name)
        for name in Extractor.__slots__
        if name != "date_params"  # holds the day it was built, unused without metadata
    )


def test_reading_metadata_leaves_the_tree_as_it_was() -> None:
    tree = load_html(PAGES["visible parts only"])
    before = tostring(tree)
    trafilatura_metadata(tree)
    trafilatura_date(tree, None)
    assert tostring(tree) == before


def test_extracted_fields_from_visible_parts() -> None:
    doc = Document("p.html", "sha", "html", None, PAGES["visible parts only"], "html")
    extracted = extract(doc)
    assert (extracted.title, extracted.author) == ("Ferry timetable approved", "Jo Brennan")
    assert extracted.published == "2023-05-17"
    assert extracted.outlet == "harbour-news.example"


def test_metadata_is_read_even_when_trafilatura_finds_no_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(candidates.trafilatura, "bare_extraction", lambda *a, **k: None)
    extracted = extract(Document("p.html", "sha", "html", None, ARTICLE, "html"))
    assert extracted.title == "Harbour town votes to rebuild its flood wall"
    assert extracted.author == "Mara Okafor"


def test_a_page_keeps_its_text_when_trafilaturas_metadata_readers_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*_: object, **__: object) -> None:
        raise ValueError("unreadable")

    monkeypatch.setattr(readers, "extract_title", fail)
    monkeypatch.setattr(readers, "find_date", fail)
    page = PAGES["visible parts only"]
    extracted = extract(Document("p.html", "sha", "html", None, page, "html"))
    assert "approved the new ferry timetable" in extracted.lines[-1].text
    assert (extracted.title, extracted.author, extracted.published) == (None, None, None)
