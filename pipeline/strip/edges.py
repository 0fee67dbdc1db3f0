"""The page around the article: menus and unrelated title-like lines at its edges."""

from __future__ import annotations

import re

from pipeline.strip.body import overlap
from pipeline.strip.item import THRESHOLD, Item
from pipeline.strip.kinds import NAVIGATION, RELATED_LINK
from pipeline.strip.text import is_title_like

#: An edge line sharing at most this share of its vocabulary with the body is unrelated.
UNRELATED_OVERLAP = 0.2
#: This many consecutive menu-like lines at an edge are a menu whatever their words.
MENU_RUN = 4
#: A title-like line of this many words or more links to a story; a shorter one navigates.
LINK_MIN_WORDS = 4
_LABEL_VALUE = re.compile(r"[^\W\d][\w .'’-]{0,24}:\s*\S")


def link_kind(item: Item) -> str:
    """The kind of a title-like line that goes: a link to a story, or navigation."""
    return RELATED_LINK if item.n_words >= LINK_MIN_WORDS else NAVIGATION


def mark_unrelated_edges(items: list[Item], body_vocab: set[str], title_item: Item | None) -> None:
    """Peel lines off both ends of the article, from the outside in: menus, and title-like
    lines whose words the body does not use. Title-like lines that share the body's words
    and data-like lines (digits, "Label: value") are kept but do not stop the peeling; past
    a data line only menus go (an address: "Town Hall", "12 Mill Lane"). A sentence or the
    headline stops it."""
    positions = [n for n, item in enumerate(items) if item.is_body]
    top = range(positions[0])
    bottom = range(len(items) - 1, positions[-1], -1)
    for edge in (top, bottom):
        _peel(items, edge, body_vocab, title_item)


def _peel(items: list[Item], edge: range, body_vocab: set[str], title_item: Item | None) -> None:
    """Peel the lines of one ``edge`` (indices from the outside in)."""
    after_data = False
    for n in edge:
        item = items[n]
        if item is title_item:
            break
        if item.removed:
            continue
        if _in_menu_run(items, n, MENU_RUN):
            item.add(THRESHOLD, NAVIGATION, "position.edge-menu")
        elif _is_data(item):
            after_data = True
        elif not after_data and _is_unrelated(items, n, body_vocab):
            item.add(THRESHOLD, item.weak_kind or link_kind(item), "position.unrelated-edge-line")
        elif not is_title_like(item.text, item.n_words, 25, questions=True):
            break


def _is_data(item: Item) -> bool:
    """Addresses, scores, credits lists: lines with digits or a "Label: value" form."""
    return any(ch.isdigit() for ch in item.text) or bool(_LABEL_VALUE.match(item.text))


def _is_unrelated(items: list[Item], n: int, body_vocab: set[str]) -> bool:
    """A title-like line whose vocabulary the body does not share."""
    item = items[n]
    if not is_title_like(item.text, item.n_words) or not item.vocab:
        return False
    if overlap(item, body_vocab) > UNRELATED_OVERLAP:
        return False
    return len(item.vocab) >= 2 or _in_menu_run(items, n, 3, body_vocab)


def _in_menu_run(
    items: list[Item], n: int, length: int, body_vocab: set[str] | None = None
) -> bool:
    """Whether line ``n`` is one of ``length`` or more consecutive menu-like lines: three
    words at most, no sentence end (and, given ``body_vocab``, unrelated to the body). A run
    with digits in it ("iPad mini 5", but also "12 Church Street") must be twice as long:
    an address or a short list in the story is not that long."""
    if _run_length(items, n, body_vocab, digits=False) >= length:
        return True
    return body_vocab is None and _run_length(items, n, body_vocab, digits=True) >= 2 * length


def _run_length(items: list[Item], n: int, body_vocab: set[str] | None, digits: bool) -> int:
    """How many consecutive menu-like lines line ``n`` stands among (0: it is not one)."""
    if not _menu_like(items[n], body_vocab, digits):
        return 0
    start = end = n
    while start > 0 and _menu_like(items[start - 1], body_vocab, digits):
        start -= 1
    while end + 1 < len(items) and _menu_like(items[end + 1], body_vocab, digits):
        end += 1
    return end - start + 1


def _menu_like(item: Item, body_vocab: set[str] | None, digits: bool) -> bool:
    """Three words at most, no digits unless ``digits``, no sentence end (a one-letter last
    word ends in a dot as an initial does), and unrelated to ``body_vocab`` when given."""
    return (
        0 < item.n_words <= 3
        and (digits or not any(ch.isdigit() for ch in item.text))
        and (not item.ends or len(item.tokens[-1]) == 1)
        and (body_vocab is None or overlap(item, body_vocab) <= UNRELATED_OVERLAP)
    )
