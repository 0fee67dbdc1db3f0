"""Where the article is: its body (the stretch with the most prose) and its headline."""

from __future__ import annotations

from pipeline.strip.item import Item
from pipeline.strip.text import is_title_like, simple_key, words

#: Prose lines (this many words or more, ending a sentence) delimit the article body.
BODY_MIN_WORDS = 12
#: What a line that is neither prose nor removed costs the body segment (in words).
GAP_PENALTY = 6
#: The headline stands at most this many kept lines above the body.
TITLE_REACH = 6
#: A headline found by position shares at least this share of its vocabulary with the body.
TITLE_OVERLAP = 0.25


def mark_body(items: list[Item]) -> list[Item]:
    """Mark the article body: the stretch of lines with the most prose in it, where each
    prose line counts its words and every other line still standing costs
    ``GAP_PENALTY`` (a maximum-sum segment). Prose in menus, forms and footers of a whole
    page lies outside it."""
    prose = [item.score < 0.5 and item.n_words >= BODY_MIN_WORDS and item.ends for item in items]
    first, last = _densest_stretch(items, prose)
    body = []
    for n, item in enumerate(items):
        item.is_body = prose[n] and first <= n <= last
        if item.is_body:
            body.append(item)
    return body


def _densest_stretch(items: list[Item], prose: list[bool]) -> tuple[int, int]:
    """The first and last index of the maximum-sum segment (``(0, -1)``: none)."""
    best, best_span, total, start = 0.0, (0, -1), 0.0, 0
    for n, item in enumerate(items):
        weight = item.n_words if prose[n] else (0 if item.removed else -GAP_PENALTY)
        if total <= 0:
            total, start = 0.0, n
        total += weight
        if total > best:
            best, best_span = total, (start, n)
    return best_span


def overlap(item: Item, body_vocab: set[str]) -> float:
    """Share of the content words of a line outside the body that occur in the body."""
    if not item.vocab:
        return 1.0
    return len(item.vocab & body_vocab) / len(item.vocab)


def find_title(items: list[Item], body_vocab: set[str], title: str | None) -> Item | None:
    """The headline: the line equal to the given title; else, before the body, the first
    title-like line of three words or more that shares the body's vocabulary and stands at
    most ``TITLE_REACH`` kept lines above it (menus of a whole page come earlier)."""
    if title:
        key = simple_key(words(title))
        return next((i for i in items if i.key == key), None)
    first_body = next((n for n, i in enumerate(items) if i.is_body), len(items))
    standing = [items[n] for n in range(first_body) if not items[n].removed]
    whole_top = not body_vocab or len(standing) <= TITLE_REACH + 1
    if not whole_top:
        standing = standing[-TITLE_REACH - 1 :]
    candidates = [
        item
        for item in standing
        if is_title_like(item.text, item.n_words, 25, questions=True) and item.n_words >= 3
    ]
    related = (
        item for item in candidates if not body_vocab or overlap(item, body_vocab) >= TITLE_OVERLAP
    )
    # Failing that, a title-like first line of the text is the headline, whatever its words.
    fallback = candidates[0] if whole_top and candidates and candidates[0] is standing[0] else None
    return next(related, fallback)
