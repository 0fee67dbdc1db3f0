"""Learned boilerplate vocabulary: how strongly each word leans to boilerplate, and to which kind.

Counted over labelled lines, each word once per document and label (a word repeated down one
page's menu counts once), so a word weighs by how many documents use it in boilerplate
("subscribe", "photo", "menu"), not by one page's repetitions. Words seen in fewer than
``MIN_DOCS`` documents are dropped: they name one text, not a kind.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.strip.kinds import (
    BYLINE_OR_PUBLISH_META,
    LEGAL_NOTICE,
    NAVIGATION,
    OTHER,
    PHOTO_CAPTION,
    RELATED_LINK,
    SOCIAL_WIDGET,
    SUBSCRIPTION_PROMPT,
    SYNDICATION_CREDIT,
)

#: A word is kept when this many documents use it (in any label).
MIN_DOCS = 3
#: Kinds the vocabulary scores separately (the boilerplate kinds the labels use).
VOCAB_KINDS: tuple[str, ...] = (
    PHOTO_CAPTION,
    RELATED_LINK,
    BYLINE_OR_PUBLISH_META,
    SOCIAL_WIDGET,
    NAVIGATION,
    SUBSCRIPTION_PROMPT,
    SYNDICATION_CREDIT,
    LEGAL_NOTICE,
    OTHER,
)
#: Features per line: boilerplate lean (mean, max, share of known words), then a lean per kind.
N_VOCAB_FEATURES = 3 + len(VOCAB_KINDS)


@dataclass(slots=True)
class Vocabulary:
    """``lean[word]``: log-odds of boilerplate against content for lines holding the word;
    ``kind_lean[word]``: per kind of :data:`VOCAB_KINDS`, the log share of the word's
    boilerplate documents of that kind."""

    lean: dict[str, float]
    kind_lean: dict[str, tuple[float, ...]]

    @classmethod
    def learn(cls, docs: Iterable[Sequence[tuple[list[str], bool, str | None]]]) -> Vocabulary:
        """From documents given as (tokens, is boilerplate, kind) per line."""
        content: dict[str, int] = defaultdict(int)
        boiler: dict[str, int] = defaultdict(int)
        by_kind: dict[str, list[int]] = defaultdict(lambda: [0] * len(VOCAB_KINDS))
        kind_index = {k: i for i, k in enumerate(VOCAB_KINDS)}
        n_content = n_boiler = 0
        for doc in docs:
            seen_c: set[str] = set()
            seen_b: set[str] = set()
            seen_k: set[tuple[str, int]] = set()
            for tokens, is_boiler, kind in doc:
                (seen_b if is_boiler else seen_c).update(tokens)
                if is_boiler and kind in kind_index:
                    seen_k.update((t, kind_index[kind]) for t in tokens)
            for t in seen_c:
                content[t] += 1
            for t in seen_b:
                boiler[t] += 1
            for t, k in seen_k:
                by_kind[t][k] += 1
            n_content += bool(seen_c)
            n_boiler += bool(seen_b)
        prior = math.log((n_boiler + 1) / (n_content + 1))
        lean, kind_lean = {}, {}
        for word in sorted(set(content) | set(boiler)):
            b, c = boiler.get(word, 0), content.get(word, 0)
            if b + c < MIN_DOCS:
                continue
            lean[word] = round(math.log((b + 0.5) / (c + 0.5)) - prior, 3)
            if word in by_kind:
                counts = by_kind[word]
                kind_lean[word] = tuple(round(math.log((n + 0.1) / (b + 1)), 3) for n in counts)
        return cls(lean, kind_lean)

    def features(self, tokens: Sequence[str]) -> list[float]:
        """:data:`N_VOCAB_FEATURES` numbers for a line's tokens."""
        known = [v for v in map(self.lean.get, tokens) if v is not None]
        kinds = [v for v in map(self.kind_lean.get, tokens) if v is not None]
        if known:
            head = [sum(known) / len(known), max(known), len(known) / len(tokens)]
        else:
            head = [0.0, 0.0, 0.0]
        if kinds:
            per_kind = [sum(col) / len(kinds) for col in zip(*kinds, strict=True)]
        else:
            per_kind = [-5.0] * len(VOCAB_KINDS)
        return head + per_kind

    def to_json(self) -> dict:
        return {"lean": self.lean, "kind_lean": {k: list(v) for k, v in self.kind_lean.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Vocabulary:
        return cls(
            {str(k): float(v) for k, v in data["lean"].items()},
            {str(k): tuple(map(float, v)) for k, v in data["kind_lean"].items()},
        )
