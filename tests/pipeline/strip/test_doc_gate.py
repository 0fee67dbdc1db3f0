"""The line model's gate: a whole page's text goes to the page expert, an article scrape to
the article expert, even when the article is a long list of short lines, or short with a
menu at both ends."""

from __future__ import annotations

import random

from pipeline.record_types import Line
from pipeline.strip import Stripper
from pipeline.strip.doc_gate import GATE_FEATURES, fit_gate, gate_features, is_whole_page

MENU = ["Home", "News", "Sport", "Weather", "Business", "Contact us", "About", "Jobs"]
NOUNS = ["council", "river", "school", "budget", "harbour", "museum", "bridge", "storm"]


def _items(texts: list[str]):
    items, _ = Stripper(model=None).evidence(
        [Line(n, t) for n, t in enumerate(texts)], None, "en", None, "text"
    )
    return items


def _sentence(rng: random.Random) -> str:
    a, b, c = rng.sample(NOUNS, 3)
    return f"The {a} said on Tuesday that the {b} would reopen after the {c} was repaired."


def _page(rng: random.Random) -> list[str]:
    """A whole page: menus around the story, and more of them in a sidebar and a footer."""
    furniture = [rng.sample(MENU, 6) for _ in range(4)]
    story = [_sentence(rng) for _ in range(rng.randint(20, 40))]
    return furniture[0] + furniture[1] + story + furniture[2] + furniture[3]


def _short_scrape(rng: random.Random) -> list[str]:
    """A short article scrape with a menu at both ends: shaped like a page, but short."""
    return rng.sample(MENU, 4) + [_sentence(rng) for _ in range(6)] + rng.sample(MENU, 4)


def _article(rng: random.Random) -> list[str]:
    return [_sentence(rng) for _ in range(rng.randint(5, 25))]


def _memo(rng: random.Random) -> list[str]:
    """A long article of short lines ending sentences, not in runs: a list, not a menu."""
    lines = []
    for _ in range(30):
        lines += [f"{rng.choice(NOUNS).title()}.", _sentence(rng), _sentence(rng)]
    return lines


def test_features_are_one_number_each():
    assert gate_features(_items(_article(random.Random(0)))).shape == (len(GATE_FEATURES),)


def test_a_learned_gate_tells_pages_from_articles_it_did_not_see():
    rng = random.Random(3)
    docs = [_items(_page(rng)) for _ in range(20)] + [_items(_article(rng)) for _ in range(20)]
    docs.append(_items(_memo(rng)))
    gate = fit_gate(docs, [True] * 20 + [False] * 21)
    unseen = random.Random(4)
    assert all(is_whole_page(gate, _items(_page(unseen))) for _ in range(10))
    assert not any(is_whole_page(gate, _items(_article(unseen))) for _ in range(10))
    assert not is_whole_page(gate, _items(_memo(unseen)))
    assert not is_whole_page(gate, _items(_short_scrape(unseen)))
    assert not is_whole_page(gate, [])


def test_a_gate_learns_from_pages_and_articles_that_their_length_alone_tells_apart():
    rng = random.Random(5)
    pages = [_items(_page(rng)) for _ in range(5)]
    articles = [_items(_article(rng)) for _ in range(5)]
    gate = fit_gate(pages + articles, [True] * 5 + [False] * 5)
    assert min(map(len, pages)) > gate["lines"] >= max(map(len, articles))
    assert is_whole_page(gate, _items(_page(rng)))
    assert not is_whole_page(gate, _items(_article(rng)))
