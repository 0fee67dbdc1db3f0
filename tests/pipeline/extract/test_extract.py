"""Extraction: text lines with their source line numbers, HTML text and metadata, outlets."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import DATA
from lxml.html import fromstring

import pipeline.extract.html as html_extraction
from pipeline.extract import extract, text_lines
from pipeline.extract.article import fuses_cells
from pipeline.extract.blocks import Block
from pipeline.extract.candidate_extractions import CANDIDATES
from pipeline.extract.page_metadata import page_metadata
from pipeline.outlet import choose_outlet, outlet_from_url
from pipeline.readers import RejectedInput
from pipeline.record_types import Document, Line

ARTICLE = (DATA / "inputs" / "article.html").read_text()


def html_doc(body: str, **hints: str) -> Document:
    return Document("p.html", "sha", "html", None, body, "html", **hints)


def test_text_lines_count_blank_lines_but_do_not_emit_them() -> None:
    body = "Title\r\n\r\n  First paragraph.  \n\t\nSecond.\n"
    assert text_lines(body) == [Line(0, "Title"), Line(2, "First paragraph."), Line(4, "Second.")]


def test_text_document_outlet_from_url_else_hint() -> None:
    doc = Document(
        "a.txt",
        "sha",
        "txt",
        None,
        "A\nB\n",
        "text",
        url="https://www.news.example.co.uk/x",
        outlet="Example",
    )
    assert extract(doc).outlet == "example.co.uk"
    doc.url = None
    assert extract(doc).outlet == "Example"


def test_html_article_text_without_comments_navigation_or_footer() -> None:
    texts = [line.text for line in extract(html_doc(ARTICLE)).lines]
    assert any(t.startswith("Residents of Port Elwin voted on Wednesday") for t in texts[:2])
    assert texts[-1].startswith("Work is due to start in the autumn")
    joined = "\n".join(texts)
    for furniture in (
        "About time too",
        "budget doubles",
        "Lifeboat crew",
        "All rights reserved",
        "Sport",
    ):
        assert furniture not in joined


FERRY = (
    "The harbour board approved a new ferry timetable on Monday after months of complaints.",
    "Commuters said the early sailings were often late, and the board promised two more boats.",
    "The first of the boats is due in spring, the chairman said, with the second a year later.",
    "Fares will stay the same until then, although the board warned that fuel costs are rising.",
)


def layout_table_page(paragraphs: int) -> str:
    """A page laid out by a table: a navigation cell, the article cell, an ad cell, and a
    footer row below them."""
    nav = (
        "Manage preferences<br>We use cookies to personalise content and ads and to analyse "
        "our traffic. By continuing to browse this site you agree to our use of cookies.<br>"
        "Sat 14 Oct 2023<br>Already a subscriber? Log in to continue reading."
    )
    story = "".join(
        f"<p>{i}. {' '.join(FERRY[i % 4 :] + FERRY[: i % 4])}</p>" for i in range(paragraphs)
    )
    footer = "".join(
        f"<p>{text}</p>"
        for text in (
            "I understand the Terms of Service.",
            "Join the conversation and see replies.",
            "© 2024 Example News. All Rights Reserved.",
        )
    )
    return (
        "<html><head><title>Ferry timetable approved | Example News</title></head><body>"
        f"<table><tr><td class='nav'>{nav}</td>"
        f"<td><h1>Ferry timetable approved</h1>{story}</td>"
        "<td class='right'><p>Advertisement</p><p>ADVERTISEMENT</p></td></tr>"
        f"<tr><td colspan='3'>{footer}</td></tr></table></body></html>"
    )


def test_a_layout_table_page_keeps_its_article_cell_as_paragraphs() -> None:
    texts = [line.text for line in extract(html_doc(layout_table_page(8))).lines]
    for i in range(8):
        assert sum(t.startswith(f"{i}. ") for t in texts) == 1
    assert not any(t.startswith("| ") or "\t" in t for t in texts)


def test_a_candidate_that_runs_table_cells_into_one_line_is_not_taken() -> None:
    nav, story = Block("Menu Sport", "td", 0, frozenset(), frozenset(), 3, 2, 1), []
    for text in FERRY[:2]:
        story.append(Block(text, "p", 0, frozenset(), frozenset(), 4, len(text.split()), 2))
    assert fuses_cells([nav, *story], f"| Menu Sport | {FERRY[0]} {FERRY[1]} |")
    assert not fuses_cells([nav, *story], f"Menu Sport\n{FERRY[0]}\n{FERRY[1]}")
    assert fuses_cells(story, f"| {FERRY[0]} {FERRY[1]} |")
    outside = [replace(block, cell=0) for block in story]
    assert not fuses_cells(outside, f"{FERRY[0]} {FERRY[1]}")
    team, points = (
        Block(t, "p", 0, frozenset(), frozenset(), 4, 1, n) for n, t in ((3, "Rovers"), (4, "42"))
    )
    assert not fuses_cells([team, points], "| Rovers | 42 |")  # a data row of wrapped cells


def test_html_paragraphs_are_numbered_lines_of_the_extracted_text() -> None:
    lines = extract(html_doc(ARTICLE)).lines
    assert [line.source_line for line in lines] == sorted({line.source_line for line in lines})
    assert sum("Residents of Port Elwin" in line.text for line in lines) == 1


def test_html_metadata() -> None:
    extracted = extract(html_doc(ARTICLE))
    assert extracted.title == "Harbour town votes to rebuild its flood wall"
    assert extracted.author == "Mara Okafor"
    assert extracted.published == "2024-03-14T08:30:00+00:00"
    assert extracted.url == "https://www.coastal-ledger.co.uk/news/2024/03/harbour-flood-wall"
    assert extracted.outlet == "coastal-ledger.co.uk"
    assert extracted.description.startswith("Residents of Port Elwin backed a plan")


def test_container_hints_win_for_url_and_published() -> None:
    doc = html_doc(ARTICLE, url="https://mirror.example.net/copy", published="2024-03-15")
    extracted = extract(doc)
    assert (extracted.url, extracted.outlet, extracted.published) == (
        "https://mirror.example.net/copy",
        "example.net",
        "2024-03-15",
    )


def test_site_name_is_the_outlet_when_no_url_is_known() -> None:
    page = ARTICLE.replace('<link rel="canonical"', '<link rel="alternate"')
    assert extract(html_doc(page)).outlet == "The Coastal Ledger"


def test_json_ld_fills_what_meta_tags_lack() -> None:
    page = (
        '<html><head><script type=\'application/ld+json\'>[{"@type": "NewsArticle", '
        '"headline": "Ferry strike ends", "datePublished": "2023-07-01T06:00:00Z", '
        '"author": "Sam Reyes", "publisher": {"name": "Island Post"}}]</script>'
        "<script type='application/ld+json'>{broken</script></head><body><article>"
        + "<p>Ferries will run again from Monday after crews accepted a new pay offer.</p>" * 3
        + "</article></body></html>"
    )
    extracted = extract(html_doc(page))
    assert extracted.published == "2023-07-01T06:00:00Z"
    assert extracted.outlet == "Island Post"
    assert extracted.author == "Sam Reyes"


def test_page_metadata_from_meta_link_and_script_elements_anywhere() -> None:
    tree = fromstring(
        "<html><head><meta name='Description' content=' First. '>"
        "<meta property='description' content='Second.'>"
        "<link rel='CANONICAL'><link rel='Canonical' href=' https://x.example.com/a '>"
        "<link rel='canonical' href='https://x.example.com/b'></head><body><p>Text.</p>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H"}</script>'
        "<meta itemprop='datePublished' content='2024-05-01T10:00:00Z'></body></html>"
    )
    found = page_metadata(tree)
    assert (found.description, found.url, found.title) == ("First.", "https://x.example.com/a", "H")
    assert found.published == "2024-05-01T10:00:00Z"


def test_beautifulsoup_fallback_when_the_model_and_every_candidate_find_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(html_extraction, "article_text", lambda *_: "")
    for name in html_extraction.FALLBACKS:
        monkeypatch.setitem(CANDIDATES, name, lambda _: "")
    texts = [line.text for line in extract(html_doc(ARTICLE)).lines]
    assert "Harbour town votes to rebuild its flood wall" in texts
    assert any(t.startswith("Residents of Port Elwin voted") for t in texts)
    assert not any("Home" in t or "All rights reserved" in t for t in texts)


def test_a_candidate_is_taken_when_the_model_keeps_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(html_extraction, "article_text", lambda *_: "")
    monkeypatch.setitem(CANDIDATES, "precision", lambda _: "")
    monkeypatch.setitem(CANDIDATES, "recall", lambda _: "Recall found this <b>line</b>.")
    assert [line.text for line in extract(html_doc(ARTICLE)).lines] == ["Recall found this line."]


def test_a_page_without_text_is_rejected() -> None:
    with pytest.raises(RejectedInput) as caught:
        extract(html_doc("<html><head><title>x</title></head><body><script>1</script></body>"))
    assert (caught.value.stage, caught.value.error_kind) == ("extract", "no_text")


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://www.bbc.co.uk/news/world-1", "bbc.co.uk"),
        ("http://EDITION.CNN.com/2024/a.html", "cnn.com"),
        ("https://127.0.0.1/a", None),
        ("not a url", None),
        (None, None),
    ],
)
def test_outlet_from_url(url: str | None, outlet: str | None) -> None:
    assert outlet_from_url(url) == outlet


def test_choose_outlet_order() -> None:
    assert choose_outlet("https://x.example.com/a", "Site", "Hint") == "example.com"
    assert choose_outlet(None, " Site ", "Hint") == "Site"
    assert choose_outlet("localhost", "", "Hint") == "Hint"
    assert choose_outlet(None, None, None) is None


def test_a_text_without_non_blank_lines_is_rejected() -> None:
    doc = Document("a.txt", "sha", "txt", None, "\u3000\n \u00a0\n", "text")
    with pytest.raises(RejectedInput) as caught:
        extract(doc)
    assert caught.value.error_kind == "no_text"
