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

import hashlib
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from pipeline.deadline import Alarm, DeadlineExceeded, alarm
from pipeline.gc_pause import cyclic_gc_paused
from pipeline.record_types import BodyKind, Line, Stripped
from pipeline.strip.analysis import LineAnalyser
from pipeline.strip.body import find_title, mark_body
from pipeline.strip.context import add_neighbour_bonus, apply_guards, extend_lists
from pipeline.strip.edges import link_kind, mark_unrelated_edges
from pipeline.strip.item import THRESHOLD, Item
from pipeline.strip.kinds import DUPLICATE_HEADLINE, OTHER
from pipeline.strip.linemodel import (
    SHIPPED_MODEL,
    ArticleFeatures,
    Decision,
    LineModel,
    load_model,
)
from pipeline.strip.repeats import mark_repeats
from pipeline.strip.rule_files import RuleSet, base_language, load_rules
from pipeline.strip.stats import MAX_COUNTED_WORDS, LineStats
from pipeline.strip.stripped import stripped_of
from pipeline.strip.text import is_title_like

#: Hex digits kept of :attr:`Stripper.rules_version`.
RULES_VERSION_DIGITS = 16


class Article(NamedTuple):
    """One article to strip, for :meth:`Stripper.strip_many`."""

    lines: Sequence[Line]
    outlet: str | None = None
    language: str | None = "en"
    title: str | None = None
    body_kind: BodyKind = "text"


class Prepared(NamedTuple):
    """An article's items with their rule evidence, its headline's item, and what the line
    model reads of them (``None`` where the rules alone decide)."""

    items: list[Item]
    title_item: Item | None
    features: ArticleFeatures | None


class Stripper:
    """Removes page furniture from an article's lines and explains every removal.

    The rules' evidence (below) decides alone with ``model=None``; with a line model (by
    default the package's, :mod:`pipeline.strip.linemodel`) it becomes features, and the
    model decides the articles in the languages it was trained on, text scrapes
    (``body_kind="text"``) and, when it was trained on an extractor's output (an ``html``
    expert), extracted HTML. Other languages are decided by the rules: its vocabulary is its
    training language's.

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

    @cached_property
    def rules_version(self) -> str:
        """What the articles it strips were stripped with: a content hash of the rule files
        and of the line model file (``rules`` without a model). The line statistics are
        data, not rules, and are left out."""
        model = self.model.version if self.model is not None else "rules"
        key = f"{self.rules.version}\x00{model}".encode()
        return hashlib.sha256(key).hexdigest()[:RULES_VERSION_DIGITS]

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
        # With no deadline every article is stripped: none is left out.
        return [s for s in self.strip_within(articles, 0) if s is not None]

    def strip_within(self, articles: Sequence[Article], seconds: float) -> list[Stripped | None]:
        """:meth:`strip_many`, each article's evidence and features gathered within
        ``seconds`` of wall time (0: no limit; enforced in a process's main thread, see
        :mod:`pipeline.deadline`). An article that takes longer is left out: ``None`` in its
        place. What follows (the batch's feature matrix and one booster call per expert for
        all the articles, the outcome) is linear in the lines and not timed."""
        with cyclic_gc_paused():
            # Returned from a call of its own: the items, features and decisions are freed
            # before the collector resumes, which then has the outcomes alone to look at
            return self._strip_within(articles, seconds)

    def _strip_within(self, articles: Sequence[Article], seconds: float) -> list[Stripped | None]:
        with alarm(wanted=seconds > 0) as clock:
            prepared = [self._prepare_within(clock, seconds, article) for article in articles]
        done = [n for n, found in enumerate(prepared) if found is not None]
        decisions = self._decisions([prepared[n] for n in done])
        stripped: list[Stripped | None] = [None] * len(articles)
        for n, decided in zip(done, decisions, strict=True):
            items, title_item, _ = prepared[n]
            title = articles[n].title
            stripped[n] = stripped_of(items, title_item, title, decided, self._version(decided))
        return stripped

    def _prepare_within(self, clock: Alarm, seconds: float, article: Article) -> Prepared | None:
        self._analyser(article.language, article.body_kind)  # rules compiled off the clock
        try:
            with clock.within(seconds):
                return self._prepare(article)
        except DeadlineExceeded:
            return None

    def _prepare(self, article: Article) -> Prepared:
        items, title_item = self.evidence(*article)
        if self.model is None or not self._model_decides(article):
            return Prepared(items, title_item, None)
        features = self.model.features(items, title_item, article.body_kind)
        return Prepared(items, title_item, features)

    def _decisions(self, prepared: Sequence[Prepared]) -> list[list[Decision] | None]:
        """The model's decisions per article (``None`` where the rules decide)."""
        decided: list[list[Decision] | None] = [None] * len(prepared)
        wanted = [n for n, found in enumerate(prepared) if found.features is not None]
        if not wanted:
            return decided
        assert self.model is not None
        decisions = self.model.decide_features([prepared[n].features for n in wanted])
        for n, article_decisions in zip(wanted, decisions, strict=True):
            decided[n] = article_decisions
        return decided

    def _model_decides(self, article: Article) -> bool:
        assert self.model is not None
        return article.body_kind in self.model.body_kinds and base_language(article.language) in (
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
        decisions = self.model.decide_all([(items, title_item)], article.body_kind)[0]
        weights = self.model.contributions(items, title_item, top, article.body_kind)
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
        the rules alone decide, and what the line model (:mod:`pipeline.strip.linemodel`)
        reads as features."""
        analyse = self._analyser(language, body_kind)
        items = analyse.items(lines)
        body = mark_body(items)
        apply_guards(items)
        body_vocab = set().union(*(i.vocab for i in body))
        title_item = find_title(items, body_vocab, title)
        if title_item is not None:
            body_vocab |= title_item.vocab
        mark_repeats(items, title_item)
        if body_kind == "html" and title and title_item is not None:
            title_item.add(THRESHOLD, DUPLICATE_HEADLINE, "position.title-in-body")
        if self.stats is not None:
            self._add_statistics(items, outlet)
        if len(body) >= 2 and body_kind != "html":
            mark_unrelated_edges(items, body_vocab, title_item)
        extend_lists(items)
        add_neighbour_bonus(items)
        return items, title_item

    def _add_statistics(self, items: list[Item], outlet: str | None) -> None:
        assert self.stats is not None
        for item in items:
            if item.removed or item.n_words > MAX_COUNTED_WORDS:
                continue
            found = self.stats.furniture(item.stats_key, outlet)
            if found is not None:
                item.add(found.score, item.weak_kind or _shape_kind(item), found.rule)


def _shape_kind(item: Item) -> str:
    """A kind for a line that statistics alone flagged, from its shape."""
    return link_kind(item) if is_title_like(item.text, item.n_words) else OTHER
