"""What the stripper needs to know about one line on its own: its words, its topic words and
the evidence of the rules that match it (a template :class:`pipeline.strip.item.Item`).
None of this depends on the article around the line, so it is
remembered per line text: page furniture (a newsletter prompt, a share bar, a sign-off)
recurs in every article of an outlet, and a worker strips many articles of one outlet.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache, partial

from pipeline.record_types import Line
from pipeline.strip.item import Item
from pipeline.strip.matching import CompiledRules
from pipeline.strip.text import content_words, words

#: Distinct lines remembered per language and body kind (least recently used go first);
#: at most about 30 MB, when all are story lines of ``CACHE_MAX_CHARS``.
CACHE_LINES = 4_096
#: Longer lines are story paragraphs, which seldom recur: they are not remembered.
CACHE_MAX_CHARS = 400


class LineAnalyser:
    """Analyses stripped lines with one language's compiled rules and stop words."""

    def __init__(self, compiled: CompiledRules, stopwords: frozenset[str]) -> None:
        self.compiled = compiled
        self.stopwords = stopwords
        # Not a bound method: its reference to self would make every analyser a cycle,
        # whose cached templates only a full collection frees once the analyser is gone.
        self._cached = lru_cache(maxsize=CACHE_LINES)(partial(analyse_line, compiled, stopwords))

    def items(self, lines: Iterable[Line]) -> list[Item]:
        """An item for every non-blank line: a copy (:meth:`Item.for_line`) of the line's
        template, which is never changed in place, since the articles the line occurs in
        share it."""
        cached = self._cached
        items = []
        for line in lines:
            if not (text := line.text.strip()):
                continue
            if len(text) <= CACHE_MAX_CHARS:
                items.append(cached(text).for_line(line))
            else:  # analysed for this occurrence alone: the template is the item
                item = analyse_line(self.compiled, self.stopwords, text)
                item.line = line
                items.append(item)
        return items


def analyse_line(compiled: CompiledRules, stopwords: frozenset[str], text: str) -> Item:
    """The template item of a line with ``text`` (stripped)."""
    tokens = words(text)
    template = Item.of(text, tokens, stopwords)
    if hits := compiled.match(text, tokens):
        template.apply_hits(tuple(hits))
    # Every article the line occurs in reads its content words (the body's vocabulary, the
    # line model's features): worked out once, for the template
    template.content = content_words(template.tokens, stopwords)
    return template
