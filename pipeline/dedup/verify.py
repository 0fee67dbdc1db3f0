"""Exact verification of candidate pairs on word-bigram sets.

Every link the stage records passes through here, so the stored ``similarity`` is an exact
set measure, never a MinHash estimate. Bigrams (not the trigrams used for MinHash) tolerate a
changed word: one substitution removes at most two of ~n bigrams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.params import DedupParams


def bigram_set(words: np.ndarray) -> frozenset[int]:
    if len(words) < 2:
        return frozenset(words.astype(np.uint64).tolist())
    w = words.astype(np.uint64)
    return frozenset(((w[:-1] << np.uint64(32)) | w[1:]).tolist())


@dataclass(frozen=True, slots=True)
class Match:
    """A verified link between nodes ``small`` and ``large`` (fewer and more words)."""

    small: int
    large: int
    kind: str  # "near" or "contained"
    similarity: float


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def containment(small: frozenset[int], large: frozenset[int]) -> float:
    return len(small & large) / len(small) if small else 0.0


def verify_pairs(
    pairs: np.ndarray,
    bigrams: Callable[[int], frozenset[int]],
    n_words: Callable[[int], int],
    cut_off: Callable[[int], bool],
    params: DedupParams,
) -> list[Match]:
    """The candidate pairs that are near duplicates or containments, with their similarity.

    A clearly shorter paragraph (``contain_min_ratio``) almost wholly inside a longer one is
    "contained" even when the Jaccard would pass, so that a paragraph merged from two wire
    paragraphs is never a "near" duplicate of one of them; a cut-off teaser of the longer one
    stays "near".
    """
    matches = []
    for u, v in pairs.tolist():
        if (n_words(u), u) > (n_words(v), v):
            u, v = v, u
        a, b = bigrams(u), bigrams(v)
        common = len(a & b)
        sim = common / (len(a) + len(b) - common) if a or b else 0.0
        contained = common / len(a) if a else 0.0
        longer = n_words(v) >= params.contain_min_ratio * n_words(u)
        if sim >= params.near_threshold and not (longer and not cut_off(u)):
            matches.append(Match(u, v, "near", sim))
        elif contained >= params.contain_threshold and longer:
            matches.append(Match(u, v, "contained", contained))
        elif sim >= params.near_threshold:
            matches.append(Match(u, v, "near", sim))
    return matches
