"""Lines that repeat another: the headline again, and teasers cut off from a longer line."""

from __future__ import annotations

from pipeline.strip.item import THRESHOLD, Item
from pipeline.strip.kinds import DUPLICATE_HEADLINE, TRUNCATED_TEASER
from pipeline.strip.memo import Memo
from pipeline.strip.text import simple_key

#: A teaser has at least this many words.
TEASER_MIN_WORDS = 8


def mark_repeats(items: list[Item], title_item: Item | None) -> None:
    """A repeated headline, and a teaser that is a cut-off copy of another line."""
    if title_item is not None:
        _mark_repeated_headline(items, title_item)
    _mark_cut_off_copies(items, title_item)


def _mark_repeated_headline(items: list[Item], title_item: Item) -> None:
    for item in items:
        if item is not title_item and item.key == title_item.key:
            item.add(THRESHOLD, DUPLICATE_HEADLINE, "position.repeated-headline")


def _mark_cut_off_copies(items: list[Item], title_item: Item | None) -> None:
    """Mark each line (not the headline) that stops mid-sentence where another line goes on
    with a longer word that starts like its last."""
    padded = [f" {item.key} " for item in items]
    everything = "\n".join(padded)
    # A line is never a cut-off copy of an identical line, so the distinct lines are enough
    # (a page of one line repeated thousands of times would otherwise be quadratic).
    distinct = list(dict.fromkeys(padded))
    occurrences = Memo(everything.count)  # a dict: an lru_cache per article costs more
    for index, item in enumerate(items):
        if item is title_item or not _may_be_teaser(item):
            continue
        head = f" {simple_key(item.tokens[:-1])} "
        if occurrences[head] <= padded[index].count(head):
            continue  # no other line has these words: the usual case, one search
        last = item.tokens[-1]
        if any(other != padded[index] and _cut_off_copy(head, last, other) for other in distinct):
            item.add(THRESHOLD, TRUNCATED_TEASER, "position.cut-off-copy")


def _may_be_teaser(item: Item) -> bool:
    """A line still standing, long enough, that ends on a word, not a sentence."""
    return (
        not item.removed
        and item.n_words >= TEASER_MIN_WORDS
        and not item.ends
        and item.text[-1].isalnum()
    )


def _cut_off_copy(head: str, last: str, padded_key: str) -> bool:
    """Whether another line continues ``head`` (words joined by spaces, with a space at both
    ends) with a longer word than ``last`` that starts like it (``padded_key``: that line's
    words, padded the same way)."""
    at = padded_key.find(head)
    if at < 0:
        return False
    following = padded_key[at + len(head) :].split(" ", 1)[0]
    return following.isalpha() and len(following) > len(last) and following.startswith(last)
