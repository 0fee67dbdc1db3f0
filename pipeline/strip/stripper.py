"""The stripper: one scored decision per line from patterns, corpus statistics and position.

Every non-blank line collects evidence, each piece with a kind, a rule id and a weight:

* pattern rules (``pipeline/rules/*.toml``) for the article's language and ``any``;
* corpus statistics (:mod:`pipeline.strip.stats`): the line recurs across unrelated stories;
* position and relevance: a short title-like line outside the article body whose vocabulary
  the body does not share is a link to another story; the headline repeated is a duplicate;
* context: lines under a list header ("Related stories") and weak hits next to strong ones.

A line goes when its evidence reaches 1.0. Content evidence lowers it: matches inside
quotation marks do not count, and a rule's weight is halved when the story itself is about
the rule's topic (its ``guard`` words run through the body).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from pipeline.gc_pause import cyclic_gc_paused
from pipeline.model import BodyKind, Line, Removal, Stripped
from pipeline.strip import lifted_values
from pipeline.strip.analysis import LineAnalyser
from pipeline.strip.item import THRESHOLD, Item
from pipeline.strip.linemodel import SHIPPED_MODEL, Decision, LineModel, load_model
from pipeline.strip.rule_files import RuleSet, base_language, load_rules
from pipeline.strip.stats import MAX_COUNTED_WORDS, LineStats
from pipeline.strip.text import (
    content_words,
    is_title_like,
    simple_key,
    words,
)

#: Prose lines (this many words or more, ending a sentence) delimit the article body.
BODY_MIN_WORDS = 12
#: An edge line sharing at most this share of its vocabulary with the body is unrelated.
UNRELATED_OVERLAP = 0.2
#: A line with a weak hit next to a removed line of the same kind gets this much more.
NEIGHBOUR_BONUS = 0.5
#: What a line that is neither prose nor removed costs the body segment (in words).
GAP_PENALTY = 6
#: The headline stands at most this many kept lines above the body.
TITLE_REACH = 6
#: This many consecutive menu-like lines at an edge are a menu whatever their words.
MENU_RUN = 4
_LABEL_VALUE = re.compile(r"[^\W\d][\w .'’-]{0,24}:\s*\S")


class Article(NamedTuple):
    """One article to strip, for :meth:`Stripper.strip_many`."""

    lines: Sequence[Line]
    outlet: str | None = None
    language: str | None = "en"
    title: str | None = None
    body_kind: BodyKind = "text"


class Stripper:
    """Removes page furniture from an article's lines and explains every removal.

    The rules' evidence (below) decides alone with ``model=None``; with a line model (by
    default the package's, :mod:`pipeline.strip.linemodel`) it becomes features, and the
    model decides text scrapes (``body_kind="text"``) in the languages it was trained on.
    Extracted HTML and other languages are decided by the rules: the model was not trained
    on an extractor's output, and its vocabulary is its training language's.

    Cheap to call per article, cheaper per batch (:meth:`strip_many`: one model call);
    picklable (rules recompile and the model reloads lazily after unpickling). Lines are
    analysed once per text and language (:mod:`pipeline.strip.analysis`).
    """

    def __init__(
        self,
        rules: RuleSet | None = None,
        stats: LineStats | None = None,
        model: LineModel | str | Path | None = SHIPPED_MODEL,
    ) -> None:
        self.rules = rules if rules is not None else load_rules()
        self.stats = stats
        self.model = model if model is None or isinstance(model, LineModel) else load_model(model)
        self._analysers: dict[tuple[str | None, str], LineAnalyser] = {}

    def __getstate__(self) -> tuple[RuleSet, LineStats | None, LineModel | str | None]:
        # A model read from a file travels as its path (each process loads it once)
        model = self.model
        return self.rules, self.stats, model if model is None or not model.path else str(model.path)

    def __setstate__(self, state: tuple[RuleSet, LineStats | None, LineModel | str | None]) -> None:
        self.rules, self.stats, model = state
        self.model = load_model(model) if isinstance(model, str) else model
        self._analysers = {}

    def _analyser(self, language: str | None, body_kind: str) -> LineAnalyser:
        key = (language, body_kind)
        if key not in self._analysers:
            compiled = self.rules.for_language(language, body_kind)
            self._analysers[key] = LineAnalyser(compiled, self.rules.stopwords_for(language))
        return self._analysers[key]

    def strip(
        self,
        lines: Sequence[Line],
        *,
        outlet: str | None = None,
        language: str | None = "en",
        title: str | None = None,
        body_kind: BodyKind = "text",
    ) -> Stripped:
        """Decide every line of one article. ``body_kind`` is where the lines come from:
        ``"text"`` (a scrape, one paragraph per line, page furniture and all) or ``"html"``
        (paragraphs an extractor already took from a page's main content). Extracted text
        is mostly body, so for ``"html"`` nothing is peeled off by position: its edges are
        where the extractor cut, and lists and short lines there are the article's.

        Runs with the cyclic garbage collector paused (:mod:`pipeline.gc_pause`): an article
        allocates hundreds of items, sets and removals, none in a cycle."""
        return self.strip_many([Article(lines, outlet, language, title, body_kind)])[0]

    def strip_many(self, articles: Sequence[Article]) -> list[Stripped]:
        """:meth:`strip` for several articles, with one model call for all their lines."""
        with cyclic_gc_paused():
            evidence = [self.evidence(*article) for article in articles]
            decisions = self._decisions(articles, evidence)
            return [
                _result(items, title_item, article.title, decided, self._version(decided))
                for article, (items, title_item), decided in zip(
                    articles, evidence, decisions, strict=True
                )
            ]

    def _decisions(
        self, articles: Sequence[Article], evidence: list[tuple[list[Item], Item | None]]
    ) -> list[list[Decision] | None]:
        """The model's decisions per article (``None`` where the rules decide)."""
        decided: list[list[Decision] | None] = [None] * len(articles)
        if self.model is None:
            return decided
        wanted = [n for n, article in enumerate(articles) if self._model_decides(article)]
        decisions = self.model.decide_all([evidence[n] for n in wanted])
        for n, article_decisions in zip(wanted, decisions, strict=True):
            decided[n] = article_decisions
        return decided

    def _model_decides(self, article: Article) -> bool:
        assert self.model is not None
        return article.body_kind == "text" and base_language(article.language) in (
            self.model.languages
        )

    def _version(self, decided: list[Decision] | None) -> str | None:
        return None if decided is None or self.model is None else self.model.version

    def weights(self, article: Article, top: int = 5) -> dict[int | None, list[tuple[str, float]]]:
        """Per source line the model removed, the features that weighed most (for
        ``explain``)."""
        if self.model is None or not self._model_decides(article):
            return {}
        items, title_item = self.evidence(*article)
        if not items:
            return {}
        decisions = self.model.decide_all([(items, title_item)])[0]
        weights = self.model.contributions(items, title_item, top)
        return {
            item.line.source_line: why
            for item, decision, why in zip(items, decisions, weights, strict=True)
            if decision.rule.startswith("model.") and item.line is not None
        }

    def evidence(
        self,
        lines: Sequence[Line],
        outlet: str | None,
        language: str | None,
        title: str | None,
        body_kind: BodyKind,
    ) -> tuple[list[Item], Item | None]:
        """The items of ``lines`` with every rule's evidence, and the headline's item: what
        the rules alone decide, and what the line model (:mod:`pipeline.strip.decide`)
        reads as features."""
        analyse = self._analyser(language, body_kind)
        items = analyse.items(lines)
        body = _mark_body(items)
        _apply_guards(items)
        body_vocab = content_words(chain.from_iterable(i.tokens for i in body), analyse.stopwords)
        title_item = _find_title(items, body_vocab, title)
        if title_item is not None:
            body_vocab |= title_item.vocab
        _mark_repeats(items, title_item)
        if body_kind == "html" and title and title_item is not None:
            title_item.add(THRESHOLD, "duplicate_headline", "position.title-in-body")
        if self.stats is not None:
            self._add_statistics(items, outlet)
        if len(body) >= 2 and body_kind != "html":
            _mark_unrelated_edges(items, body_vocab, title_item)
        _extend_lists(items)
        _add_neighbour_bonus(items)
        return items, title_item

    def _add_statistics(self, items: list[Item], outlet: str | None) -> None:
        assert self.stats is not None
        for item in items:
            if item.removed or item.n_words > MAX_COUNTED_WORDS:
                continue
            found = self.stats.furniture(item.stats_key, outlet)
            if found is not None:
                item.add(found.score, item.weak_kind or _shape_kind(item), found.rule)


def _mark_body(items: list[Item]) -> list[Item]:
    """Mark the article body: the stretch of lines with the most prose in it, where each
    prose line counts its words and every other line still standing costs
    ``GAP_PENALTY`` (a maximum-sum segment). Prose in menus, forms and footers of a whole
    page lies outside it."""
    prose = [item.score < 0.5 and item.n_words >= BODY_MIN_WORDS and item.ends for item in items]
    best, best_span, total, start = 0.0, (0, -1), 0.0, 0
    for n, item in enumerate(items):
        weight = item.n_words if prose[n] else (0 if item.removed else -GAP_PENALTY)
        if total <= 0:
            total, start = 0.0, n
        total += weight
        if total > best:
            best, best_span = total, (start, n)
    first, last = best_span
    body = []
    for n, item in enumerate(items):
        item.is_body = prose[n] and first <= n <= last
        if item.is_body:
            body.append(item)
    return body


def _apply_guards(items: list[Item]) -> None:
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


def _overlap(item: Item, body_vocab: set[str]) -> float:
    """Share of the content words of a line outside the body that occur in the body."""
    if not item.vocab:
        return 1.0
    return len(item.vocab & body_vocab) / len(item.vocab)


def _find_title(items: list[Item], body_vocab: set[str], title: str | None) -> Item | None:
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
    related = (item for item in candidates if not body_vocab or _overlap(item, body_vocab) >= 0.25)
    # Failing that, a title-like first line of the text is the headline, whatever its words.
    fallback = candidates[0] if whole_top and candidates and candidates[0] is standing[0] else None
    return next(related, fallback)


def _mark_repeats(items: list[Item], title_item: Item | None) -> None:
    """A repeated headline, and a teaser that is a cut-off copy of another line."""
    if title_item is not None:
        for item in items:
            if item is not title_item and item.key == title_item.key:
                item.add(THRESHOLD, "duplicate_headline", "position.repeated-headline")
    padded = [f" {item.key} " for item in items]
    everything = "\n".join(padded)
    # A line is never a cut-off copy of an identical line, so the distinct lines are enough
    # (a page of one line repeated thousands of times would otherwise be quadratic).
    distinct = list(dict.fromkeys(padded))
    occurrences = lru_cache(maxsize=None)(everything.count)
    for index, item in enumerate(items):
        if item is title_item or item.removed or item.n_words < 8 or item.ends:
            continue
        if not item.text[-1].isalnum():
            continue
        head = f" {simple_key(item.tokens[:-1])} "
        if occurrences(head) <= padded[index].count(head):
            continue  # no other line has these words: the usual case, one search
        last = item.tokens[-1]
        if any(other != padded[index] and _cut_off_copy(head, last, other) for other in distinct):
            item.add(THRESHOLD, "truncated_teaser", "position.cut-off-copy")


def _cut_off_copy(head: str, last: str, padded_key: str) -> bool:
    """Whether another line continues ``head`` (words joined by spaces, with a space at both
    ends) with a longer word than ``last`` that starts like it (``padded_key``: that line's
    words, padded the same way)."""
    at = padded_key.find(head)
    if at < 0:
        return False
    following = padded_key[at + len(head) :].split(" ", 1)[0]
    return following.isalpha() and len(following) > len(last) and following.startswith(last)


def _mark_unrelated_edges(items: list[Item], body_vocab: set[str], title_item: Item | None) -> None:
    """Peel lines off both ends of the article, from the outside in: menus, and title-like
    lines whose words the body does not use. Title-like lines that share the body's words
    and data-like lines (digits, "Label: value") are kept but do not stop the peeling; past
    a data line only menus go (an address: "Town Hall", "12 Mill Lane"). A sentence or the
    headline stops it."""
    positions = [n for n, item in enumerate(items) if item.is_body]
    top = range(positions[0])
    bottom = range(len(items) - 1, positions[-1], -1)
    for edge in (top, bottom):
        after_data = False
        for n in edge:
            item = items[n]
            if item is title_item:
                break
            if item.removed:
                continue
            if _in_menu_run(items, n, MENU_RUN):
                item.add(THRESHOLD, "navigation", "position.edge-menu")
            elif _is_data(item):
                after_data = True
            elif not after_data and _is_unrelated(items, n, body_vocab):
                kind = "related_link" if item.n_words >= 4 else "navigation"
                item.add(THRESHOLD, item.weak_kind or kind, "position.unrelated-edge-line")
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
    if _overlap(item, body_vocab) > UNRELATED_OVERLAP:
        return False
    return len(item.vocab) >= 2 or _in_menu_run(items, n, 3, body_vocab)


def _in_menu_run(
    items: list[Item], n: int, length: int, body_vocab: set[str] | None = None
) -> bool:
    """Whether line ``n`` is one of ``length`` or more consecutive menu-like lines: three
    words at most, no sentence end (and, given ``body_vocab``, unrelated to the body). A run
    with digits in it ("iPad mini 5", but also "12 Church Street") must be twice as long:
    an address or a short list in the story is not that long."""

    def menu_like(k: int, digits: bool) -> bool:
        other = items[k]
        return (
            0 < other.n_words <= 3
            and (digits or not any(ch.isdigit() for ch in other.text))
            and (not other.ends or len(other.tokens[-1]) == 1)
            and (body_vocab is None or _overlap(other, body_vocab) <= UNRELATED_OVERLAP)
        )

    def run_length(digits: bool) -> int:
        if not menu_like(n, digits):
            return 0
        start = end = n
        while start > 0 and menu_like(start - 1, digits):
            start -= 1
        while end + 1 < len(items) and menu_like(end + 1, digits):
            end += 1
        return end - start + 1

    if run_length(digits=False) >= length:
        return True
    return body_vocab is None and run_length(digits=True) >= 2 * length


def _extend_lists(items: list[Item]) -> None:
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


def _add_neighbour_bonus(items: list[Item]) -> None:
    """A weak hit next to a removed line of the same kind completes a block."""
    changed = True
    while changed:
        changed = False
        for n, item in enumerate(items):
            if item.removed or item.score < 0.4 or not item.weak_kind:
                continue
            neighbours = items[max(0, n - 1) : n] + items[n + 1 : n + 2]
            if any(o.removed and o.kind == item.weak_kind for o in neighbours):
                item.adjust(NEIGHBOUR_BONUS)
                changed = True


def _shape_kind(item: Item) -> str:
    """A kind for a line that statistics alone flagged, from its shape."""
    if is_title_like(item.text, item.n_words):
        return "related_link" if item.n_words >= 4 else "navigation"
    return "other"


def _result(
    items: list[Item],
    title_item: Item | None,
    title: str | None,
    decisions: list[Decision] | None = None,
    model: str | None = None,
) -> Stripped:
    kept: list[Line] = []
    removed: list[Removal] = []
    for n, item in enumerate(items):
        source = item.line.source_line
        decision = decisions[n] if decisions is not None else None
        if decision is not None and decision.removed:
            text = item.line.text.strip()
            removed.append(
                Removal(source, text, decision.kind, decision.rule, decision.probability)
            )
        elif decision is None and item.removed:
            removed.append(Removal(source, item.line.text.strip(), item.kind, item.rule))
        elif item.fragment is not None:
            fragment, rule = item.fragment
            removed.append(Removal(source, fragment, rule.kind, rule.id))
            kept.append(Line(source, item.text))
        else:
            kept.append(item.line)
    bylines = [r.text for r in removed if r.kind == "byline_or_publish_meta"]
    return Stripped(
        kept=kept,
        removed=removed,
        title=title or (title_item.text if title_item else None),
        author=lifted_values.author_from(bylines),
        published=lifted_values.published_from(bylines),
        credits=_credits(removed),
        model=model,
    )


def _credits(removed: list[Removal]) -> list[str]:
    credits: list[str] = []
    for r in removed:
        if r.kind == "syndication_credit" and len(r.text.split()) <= 12:
            credit = lifted_values.credit_from(r.text)
        elif r.kind == "photo_caption":
            credit = lifted_values.photo_credit_from(r.text)
        else:
            continue
        if credit and credit not in credits:
            credits.append(credit)
    return credits
