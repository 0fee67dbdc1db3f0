"""Evidence from a line's context: the story's own topic, list headers and neighbours."""

from __future__ import annotations

from pipeline.strip.item import THRESHOLD, Item
from pipeline.strip.text import is_title_like

#: A line with a weak hit next to a removed line of the same kind gets this much more.
NEIGHBOUR_BONUS = 0.5
#: A weak hit scores at least this much.
WEAK_HIT = 0.4


def apply_guards(items: list[Item]) -> None:
    """Halve a rule's weight where the story itself is about its topic: the guard words
    occur in two or more body paragraphs that no rule matched."""
    guarded = [item for item in items if item.guarded]
    if not guarded:
        return
    # A guarded line has a hit, so its score stays above zero: it is never one of these.
    unmatched_body = [item.tokens for item in items if item.is_body and item.score == 0.0]
    about: dict[str, bool] = {}  # rule id -> whether the story is about its topic
    for item in guarded:
        for rule in item.guarded:
            if rule.id not in about:
                about[rule.id] = _in_two(rule.guard, unmatched_body)
            if about[rule.id]:
                item.adjust(-rule.weight / 2)


def _in_two(guard: tuple[str, ...], lines: list[list[str]]) -> bool:
    """Whether two or more of ``lines`` (their tokens) hold one of the ``guard`` words."""
    words = frozenset(guard)
    found = 0
    for tokens in lines:
        if not words.isdisjoint(tokens):
            found += 1
            if found == 2:
                return True
    return False


def extend_lists(items: list[Item]) -> None:
    """Title-like lines under a list header ("Related stories:") share the header's kind."""
    header: Item | None = None
    for item in items:
        if item.removed and item.opens_list:
            header = item
            continue
        if header is None:
            continue
        if item.is_body or not is_title_like(item.text, item.n_words):
            header = None
            continue
        if not item.removed:
            item.add(THRESHOLD, header.kind, f"{header.rule}:list")


def add_neighbour_bonus(items: list[Item]) -> None:
    """A weak hit next to a removed line of the same kind completes a block (repeated until
    no line changes: a completed line completes its neighbour)."""
    while _add_bonus_once(items):
        pass


def _add_bonus_once(items: list[Item]) -> bool:
    """One pass of :func:`add_neighbour_bonus`; whether a line got the bonus."""
    changed = False
    for n, item in enumerate(items):
        if item.removed or item.score < WEAK_HIT or not item.weak_kind:
            continue
        neighbours = items[max(0, n - 1) : n] + items[n + 1 : n + 2]
        if any(o.removed and o.kind == item.weak_kind for o in neighbours):
            item.adjust(NEIGHBOUR_BONUS)
            changed = True
    return changed
