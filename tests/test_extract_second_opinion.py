"""The readability second opinion for pages where trafilatura missed part of the article."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml.html import fromstring

import pipeline.extract.html as html_extraction
from pipeline.extract import extract
from pipeline.extract.second_opinion import (
    PARAGRAPH_FOUND,
    SUBSTANTIAL_WORDS,
    needs_second_opinion,
    paragraph_coverage,
    prefer_second,
)
from pipeline.model import Document

SENTENCES = [
    "The river authority confirmed on Tuesday that the weir at Ashford Mill will be rebuilt",
    "Engineers found that the old stonework had been undermined by three winters of floods",
    "Anglers and canoeists were consulted on the design of a new fish pass beside the sluice",
    "The county council will contribute a quarter of the cost from its climate budget",
    "Residents of the lower village have been told to expect road closures in the spring",
    "A public exhibition of the plans opens at the parish hall at the end of the month",
]
PARAGRAPHS = [
    f"{s}, according to officials who briefed reporters at length about it. " * 2 for s in SENTENCES
]


def page(split: bool) -> str:
    first, second = PARAGRAPHS[:3], PARAGRAPHS[3:]
    body = "".join(f"<p>{p}</p>" for p in first)
    rest = "".join(f"<p>{p}</p>" for p in second)
    sections = (
        (
            f'<div class="body">{body}</div><div class="promo"><a href="/x">More</a></div>'
            f'<div class="body">{rest}</div>'
        )
        if split
        else f"<div>{body}{rest}</div>"
    )
    return (
        f"<html><head><title>Weir</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>Weir to be rebuilt</h1>{sections}</article>"
        "<footer>Copyright Ashford Gazette</footer></body></html>"
    )


def test_coverage_counts_only_substantial_paragraphs() -> None:
    tree = fromstring(page(split=True) + "<p>Short line.</p>")
    coverage, words = paragraph_coverage(tree, "\n".join(PARAGRAPHS[:3]))
    assert words == sum(len(p.split()) for p in PARAGRAPHS)
    assert coverage == pytest.approx(0.5, abs=0.02)
    assert paragraph_coverage(tree, "\n".join(PARAGRAPHS))[0] == 1.0


def test_second_opinion_is_asked_only_when_much_is_missing() -> None:
    tree = fromstring(page(split=True))
    assert needs_second_opinion(tree, PARAGRAPHS[0])
    assert not needs_second_opinion(tree, "\n".join(PARAGRAPHS[:5]))


def test_second_text_must_keep_the_first_and_cover_more() -> None:
    tree = fromstring(page(split=True))
    first = "\n".join(PARAGRAPHS[:2])
    assert prefer_second(tree, first, "\n".join(PARAGRAPHS))
    assert not prefer_second(tree, first, "\n".join(PARAGRAPHS[2:]))  # drops the first's text
    assert not prefer_second(tree, first, "\n".join(PARAGRAPHS[:3]))  # covers too little more


def test_readability_completes_a_split_article(monkeypatch: pytest.MonkeyPatch) -> None:
    partial = SimpleNamespace(
        text="\n".join(PARAGRAPHS[:2]),
        title=None,
        author=None,
        date=None,
        url=None,
        sitename=None,
        description=None,
    )
    monkeypatch.setattr(html_extraction.trafilatura, "bare_extraction", lambda *a, **k: partial)
    doc = Document("p.html", "sha", "html", None, page(split=True), "html")
    texts = [line.text for line in extract(doc).lines]
    for paragraph in PARAGRAPHS:
        assert paragraph.strip() in texts
    assert "Home" not in texts and not any("Copyright" in t for t in texts)


def test_paragraphs_are_found_whatever_their_spacing_and_case() -> None:
    tree = fromstring(page(split=False).replace(", ", ",\n      "))  # source line breaks
    words = sum(len(p.split()) for p in PARAGRAPHS)
    assert paragraph_coverage(tree, "\n".join(p.upper() for p in PARAGRAPHS)) == (1.0, words)
    assert not needs_second_opinion(tree, "\n".join(PARAGRAPHS))


def test_a_paragraph_inside_the_text_has_all_but_two_words_in_it() -> None:
    """Why a paragraph that occurs whole in the text is found without counting its words."""
    assert 1 - 2 / SUBSTANTIAL_WORDS >= PARAGRAPH_FOUND


_WORDS = st.text(alphabet="abcdeÜß9_", min_size=1, max_size=6)
_SEPARATORS = st.sampled_from([" ", "\u00a0", "  ", ", ", "\n", "-", ""])


@settings(max_examples=200, deadline=None)
@given(
    paragraph=st.lists(
        st.tuples(_WORDS, _SEPARATORS), min_size=30, max_size=45, unique_by=lambda t: t[0]
    ),
    before=st.text(alphabet="ab .\n", max_size=4),
    after=st.text(alphabet="ab .\n", max_size=4),
    cut=st.tuples(st.integers(0, 44), st.integers(0, 20)),
)
def test_coverage_is_the_share_of_words_in_found_paragraphs(
    paragraph: list[tuple[str, str]], before: str, after: str, cut: tuple[int, int]
) -> None:
    """The extraction holds the paragraph but for a cut-out run of words, and maybe other
    text glued to its ends."""
    source = "".join(word + sep for word, sep in paragraph)
    start, length = cut
    kept = "".join(word + sep for word, sep in paragraph[:start] + paragraph[start + length :])
    text = before + kept + after
    tree = fromstring(f"<div><p>{source}</p></div>")
    words = re.findall(r"\w+", source.lower())
    extracted = set(re.findall(r"\w+", text.lower()))
    found = sum(w in extracted for w in words) >= PARAGRAPH_FOUND * len(words)
    assert paragraph_coverage(tree, text)[0] == (
        float(found) if len(words) >= SUBSTANTIAL_WORDS else 1.0
    )
