"""A non-blank line of an article and the evidence gathered about it.

What rules say about a line depends on its text alone, so :mod:`pipeline.strip.analysis`
builds one template item per distinct line (:meth:`Item.apply_hits`) and every article the
line occurs in starts from a copy (:meth:`Item.for_line`) that collects the evidence of
context: position, statistics, neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.record_types import Line
from pipeline.strip.matching import Rule, RuleHit
from pipeline.strip.text import (
    content_words,
    ends_sentence,
    has_letters,
    inside_quotes,
    line_key,
    simple_key,
    words,
)

#: A line goes when its evidence reaches this.
THRESHOLD = 1.0


@dataclass(slots=True)
class Item:
    """A non-blank line (``line``; ``None`` in a template) and the evidence about it.

    ``n_words``, ``key`` (:func:`simple_key` of the tokens), ``ends`` (whether the text
    ends a sentence) and ``stats_key`` (:func:`line_key` of the whole line, which a
    fragment cut off ``text`` does not change) follow from ``text`` and ``tokens``;
    templates hold them (see :meth:`of`) so that the articles a line recurs in do not
    recompute them. ``vocab``, the line's content words, is worked out when first asked
    for; :mod:`pipeline.strip.analysis` asks a template, whose copies then share it."""

    line: Line | None
    text: str
    tokens: list[str]
    stopwords: frozenset[str]
    n_words: int
    key: str
    ends: bool
    stats_key: int
    score: float = 0.0
    removed: bool = False  # score >= THRESHOLD, kept by add() and adjust()
    top: float = 0.0
    kind: str = ""
    rule: str = ""
    weak_kind: str = ""
    fragment: tuple[str, Rule] | None = None
    opens_list: bool = False
    is_body: bool = False
    guarded: tuple[Rule, ...] = ()
    content: set[str] | None = None  # vocab, once worked out

    @classmethod
    def of(cls, text: str, tokens: list[str], stopwords: frozenset[str]) -> Item:
        """The template of a line with ``text``, its ``tokens`` and its language's
        ``stopwords``."""
        key = simple_key(tokens)
        ends = ends_sentence(text)
        return cls(None, text, tokens, stopwords, len(tokens), key, ends, line_key(text, key))

    @property
    def vocab(self) -> set[str]:
        """The line's :func:`content_words`."""
        if self.content is None:
            self.content = content_words(self.tokens, self.stopwords)
        return self.content

    def add(self, weight: float, kind: str, rule: str) -> None:
        """Evidence of ``kind`` from ``rule``; the weightiest names the removal."""
        self.adjust(weight)
        if weight > self.top:
            self.top, self.kind, self.rule = weight, kind, rule

    def adjust(self, delta: float) -> None:
        """Change the score without new evidence (a guard, a neighbour's support)."""
        self.score += delta
        self.removed = self.score >= THRESHOLD

    def apply_hits(self, hits: tuple[RuleHit, ...]) -> None:
        """Add the evidence of the rules that matched the line. A match inside quotation
        marks does not count; a fragment rule's match is cut off the line (the first
        only), which then keeps the rest of its text."""
        for hit in hits:
            rule = hit.rule
            if rule.anchor != "full" and inside_quotes(self.text, hit.start):
                continue
            rest = self.text[: hit.start] + self.text[hit.end :]
            if rule.fragment and has_letters(rest):
                if self.fragment is None:
                    self.fragment = (self.text[hit.start : hit.end].strip(), rule)
                    self.text, self.tokens, self.content = rest.strip(), words(rest), None
                    self.n_words = len(self.tokens)
                    self.key, self.ends = simple_key(self.tokens), ends_sentence(self.text)
                continue
            if rule.guard:
                self.guarded += (rule,)
            self.add(rule.weight, rule.kind, rule.id)
            self.opens_list |= rule.opens_list
            if not self.weak_kind:
                self.weak_kind = rule.kind

    def for_line(self, line: Line) -> Item:
        """A copy of this template for one occurrence of its line. The copy shares the
        template's tokens, vocabulary and guarded rules, which no decision changes."""
        return Item(
            line,
            self.text,
            self.tokens,
            self.stopwords,
            self.n_words,
            self.key,
            self.ends,
            self.stats_key,
            self.score,
            self.removed,
            self.top,
            self.kind,
            self.rule,
            self.weak_kind,
            self.fragment,
            self.opens_list,
            False,
            self.guarded,
            self.content,
        )
