"""Tuning knobs of the dedup stage, and their round trip through Parquet file metadata."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

#: Keys an index built with other values cannot be matched against (signatures would differ).
SIGNATURE_FIELDS: tuple[str, ...] = (
    "shingle_words",
    "bands",
    "rows",
    "seed",
    "min_words",
    "span_words",
    "span_window",
)


@dataclass(frozen=True, slots=True)
class DedupParams:
    """Parameters of near-duplicate linking.

    MinHash over word ``shingle_words``-grams with ``bands`` x ``rows`` permutations: a pair
    with trigram Jaccard 0.5 becomes a candidate with probability ~0.99, at 0.3 with ~0.58,
    and unrelated prose (trigram Jaccard < 0.01) almost never. Candidates are verified on
    word-bigram sets, which tolerate a changed word better than trigrams.
    """

    shingle_words: int = 3
    bands: int = 32
    rows: int = 3
    seed: int = 1
    #: Paragraphs with fewer words link only on an exact normalised match.
    min_words: int = 8
    #: Sentences of at least this many words are candidate keys (finds containment).
    min_sentence_words: int = 6
    #: Span keys (``spans.py``): winnowed word ``span_words``-grams, one per window of
    #: ``span_window`` shingles; a shared run of span_words + span_window - 1 words (7)
    #: makes a candidate pair even when the paragraphs are otherwise unlike.
    span_words: int = 4
    span_window: int = 4
    #: Word-bigram Jaccard at or above which a verified pair is a near duplicate.
    near_threshold: float = 0.5
    #: Share of the shorter paragraph's bigrams found in the other one for "near" at similar
    #: lengths (under ``contain_min_ratio``): an edited copy whose Jaccard falls short.
    near_share_threshold: float = 0.7
    #: Share of the shorter paragraph's bigrams found in the longer one for "contained".
    contain_threshold: float = 0.6
    #: Words one side has in place of the other's, as a share of the shorter's distinct
    #: words, at most (``verify.changed_words``): keeps template lines with other facts apart.
    max_changed_words: float = 0.2
    #: A contained paragraph needs this many words: a shorter one inside a long paragraph is
    #: mostly a name or a stock phrase ("U.S. House of Representatives").
    contain_min_words: int = 10
    #: The container must have at least this many times the contained paragraph's words.
    contain_min_ratio: float = 1.3
    #: A bucket (band or sentence key) keeps only its first members in canonical order.
    hot_bucket_cap: int = 50
    #: Candidate pairs verified per text: beyond it, those sharing the most keys with it.
    candidate_budget: int = 50
    #: A normalised text found in more distinct articles than this is furniture (a
    #: "Comments" line, a newsletter prompt): it still links exactly but skips the near stage.
    furniture_max_articles: int = 50

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DedupParams:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(text).items() if k in known})

    def signature_compatible(self, other: DedupParams) -> bool:
        return all(getattr(self, f) == getattr(other, f) for f in SIGNATURE_FIELDS)
