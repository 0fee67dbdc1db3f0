"""Span keys: candidate keys for text shared below the paragraph (a quote reprinted inside a
longer paragraph, a teaser, two wire paragraphs merged into one, an edited sentence).

Wire copy reuses sentences and clauses, not only paragraphs. A paragraph's MinHash bands find
the paragraphs it resembles as a whole; a short paragraph inside a long one has a low Jaccard
with it and is missed. Span keys are word ``span_words``-grams chosen by winnowing (Schleimer,
Wilkerson and Aiken, 2003): in every window of ``span_window`` consecutive shingles the
smallest hash is a key. Two paragraphs sharing a run of ``span_words + span_window - 1``
words share at least one key whatever surrounds the run, and a paragraph keeps about
``2 / (span_window + 1)`` of its shingles, so the keys stay few.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np
import pyarrow as pa

from pipeline.dedup.features import offsets_of
from pipeline.dedup.minhash import shingle_hashes
from pipeline.normalize import normalize_for_match


def span_keys(
    word_hash: np.ndarray, word_offsets: np.ndarray, words: int, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct winnowed ``words``-gram keys of each paragraph (int64, sorted within a
    paragraph) and their offsets. A paragraph with fewer than ``window`` shingles keys on
    its smallest one; one without a shingle has no key."""
    shingles, offsets = shingle_hashes(word_hash, word_offsets, words)
    n = len(offsets) - 1
    counts = np.diff(offsets)
    values = shingles.view(np.int64)
    if not len(values):
        return np.zeros(0, np.int64), np.zeros(n + 1, np.int64)
    # minimum[i]: the smallest shingle of the window starting at i, cut at the paragraph's end.
    owner = np.repeat(np.arange(n), counts)
    end = offsets[1:][owner]
    minimum = values.copy()
    for j in range(1, window):
        ahead = np.r_[values[j:], np.zeros(j, np.int64)]
        inside = np.arange(len(values)) + j < end
        np.minimum(minimum, np.where(inside, ahead, minimum), out=minimum)
    # Windows that start late enough to run past the end are kept only as a paragraph's
    # first window (a paragraph shorter than one window keys on its minimum).
    start = np.arange(len(values)) - offsets[:-1][owner]
    keep = (np.arange(len(values)) + window <= end) | (start == 0)
    owner, minimum = owner[keep], minimum[keep]
    order = np.lexsort((minimum, owner))
    owner, minimum = owner[order], minimum[order]
    distinct = np.r_[True, (owner[1:] != owner[:-1]) | (minimum[1:] != minimum[:-1])]
    owner, minimum = owner[distinct], minimum[distinct]
    return minimum, offsets_of(np.bincount(owner, minlength=n))


#: The character spans of a containment link, in the links, the index and the paragraphs
#: table: the shared text in the paragraph itself, and in the paragraph it points at (null
#: when that one's text was not at hand: a stored paragraph); null on other links.
SPAN_FIELDS = pa.schema(
    [
        ("shared_start", pa.int32()),
        ("shared_end", pa.int32()),
        ("canonical_start", pa.int32()),
        ("canonical_end", pa.int32()),
    ]
)

#: Unmatched words bridged inside one shared span (an edited word, an added "he said").
SPAN_GAP_WORDS = 3


def shared_spans(
    small: np.ndarray, large: np.ndarray, gap: int = SPAN_GAP_WORDS
) -> tuple[int, int, int, int] | None:
    """Word ranges ``[lo, hi)`` in ``small`` and in ``large`` (word hashes) of the text they
    share: the words in a bigram the other side has, grouped into runs that bridge up to
    ``gap`` unmatched words; the run holding the most matched words on each side. None when
    they share no bigram."""
    own = _best_run(_matched_words(small, large), gap)
    other = _best_run(_matched_words(large, small), gap)
    if own is None or other is None:
        return None
    return (*own, *other)


def _bigram_codes(words: np.ndarray) -> np.ndarray:
    w = words.astype(np.int64)
    return (w[:-1] << 32) | w[1:]


def _matched_words(words: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Positions of ``words`` inside a bigram that ``other`` has too."""
    hit = np.isin(_bigram_codes(words), _bigram_codes(other))
    matched = np.zeros(len(words), bool)
    matched[:-1] |= hit
    matched[1:] |= hit
    return np.flatnonzero(matched)


def _best_run(positions: np.ndarray, gap: int) -> tuple[int, int] | None:
    if not len(positions):
        return None
    cuts = np.flatnonzero(np.diff(positions) > gap + 1) + 1
    runs = np.split(positions, cuts)
    best = max(runs, key=len)  # the first of the largest
    return int(best[0]), int(best[-1]) + 1


def word_char_spans(text: str) -> list[tuple[int, int]]:
    """The character range of each word of ``normalize_for_match(text)`` in ``text``: runs
    of characters that normalise to word characters (a combining mark continues its word;
    a character that normalises to several words, like a fraction, spans each)."""
    spans: list[tuple[int, int]] = []
    start = -1
    for i, ch in enumerate(text):
        folded = _folded(ch)
        if folded and " " not in folded:
            if start < 0:
                start = i
            continue
        if not folded and start >= 0 and unicodedata.combining(ch):
            continue
        if start >= 0:
            spans.append((start, i))
            start = -1
        spans.extend([(i, i + 1)] * (folded.count(" ") + 1 if folded else 0))
    if start >= 0:
        spans.append((start, len(text)))
    return spans


@cache
def _folded(ch: str) -> str:
    return normalize_for_match(ch)


def char_range(text: str, lo: int, hi: int, n_words: int) -> tuple[int, int] | None:
    """Characters of words ``[lo, hi)`` of ``text``, or None when its words do not line up
    with the ``n_words`` words it was matched on."""
    spans = word_char_spans(text)
    if len(spans) != n_words or not 0 <= lo < hi <= n_words:
        return None
    return spans[lo][0], spans[hi - 1][1]
