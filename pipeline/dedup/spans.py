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

import re
import unicodedata
from functools import cache

import numpy as np
import pyarrow as pa

from pipeline.arrays import distinct_sorted, offsets_of
from pipeline.dedup.minhash import shingle_hashes
from pipeline.dedup.paragraph_features import _BREAK_CHARS
from pipeline.normalize import normalize_for_match


def span_keys(
    word_hash: np.ndarray, word_offsets: np.ndarray, words: int, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """The winnowed ``words``-gram keys of each paragraph (int64, in text order, a key
    repeated by consecutive windows kept once) and their offsets. A paragraph with fewer
    than ``window`` shingles keys on its smallest one; one without a shingle has no key."""
    shingles, offsets = shingle_hashes(word_hash, word_offsets, words)
    n = len(offsets) - 1
    counts = np.diff(offsets)
    values = shingles.view(np.int64)
    if not len(values):
        return np.zeros(0, np.int64), np.zeros(n + 1, np.int64)
    # minimum[i]: the smallest of values[i : i + window] over the flat array; only windows
    # that lie inside one paragraph are kept.
    minimum = values[: len(values) - window + 1].copy() if len(values) >= window else values[:0]
    for j in range(1, window):
        np.minimum(minimum, values[j : j + len(minimum)], out=minimum)
    full = np.maximum(counts - window + 1, 0)  # whole windows per paragraph
    starts = np.repeat(offsets[:-1], full) + (
        np.arange(full.sum()) - np.repeat(offsets_of(full)[:-1], full)
    )
    owner = np.repeat(np.arange(n), full)
    keys = minimum[starts]
    short = np.flatnonzero((counts > 0) & (full == 0))
    if len(short):  # under one window: the paragraph's smallest shingle
        smallest = np.minimum.reduceat(values, offsets[short])
        keys, owner = np.r_[keys, smallest], np.r_[owner, short]
        order = np.argsort(owner, kind="stable")
        keys, owner = keys[order], owner[order]
    fresh = np.r_[True, (owner[1:] != owner[:-1]) | (keys[1:] != keys[:-1])]
    owner, keys = owner[fresh], keys[fresh]
    return keys, offsets_of(np.bincount(owner, minlength=n))


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
    small: tuple[np.ndarray, np.ndarray],
    large: tuple[np.ndarray, np.ndarray],
    gap: int = SPAN_GAP_WORDS,
) -> np.ndarray:
    """Per pair k of paragraphs (``small`` and ``large``: the pairs' word hashes, flat with
    offsets), the word ranges ``[lo, hi)`` in each of the text they share: the words in a
    bigram the other side has, grouped into runs that bridge up to ``gap`` unmatched words;
    the first run holding the most matched words on each side. Shape (k, 4): small lo, hi,
    large lo, hi; -1 where they share no bigram. All pairs at once, in numpy."""
    own = _best_runs(*_matched_words(small, large), len(small[1]) - 1, gap)
    other = _best_runs(*_matched_words(large, small), len(small[1]) - 1, gap)
    return np.concatenate([own, other], axis=1)


def _pair_bigrams(side: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(pair << 32 | 32-bit bigram hash, position of the bigram's first word) per bigram."""
    words, offsets = side
    grams, gram_offsets = shingle_hashes(words, offsets, 2)
    pair = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(gram_offsets))
    codes = (pair << 32) | (grams & np.uint64(0xFFFFFFFF)).astype(np.int64)
    position = np.arange(len(grams)) - gram_offsets[pair] + offsets[pair]  # flat word index
    return codes, position


def _matched_words(
    side: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Flat word indices of ``side`` inside a bigram the same pair's ``other`` has, sorted,
    and the pair of each."""
    codes, position = _pair_bigrams(side)
    theirs = np.sort(_pair_bigrams(other)[0], kind="stable")  # grouped by pair: runs merge
    at = np.minimum(np.searchsorted(theirs, codes), max(len(theirs) - 1, 0))
    hit = position[theirs[at] == codes] if len(theirs) else position[:0]
    matched = distinct_sorted(np.r_[hit, hit + 1])
    pair = np.searchsorted(side[1], matched, side="right") - 1
    return matched - side[1][pair], pair


def _best_runs(positions: np.ndarray, pair: np.ndarray, n_pairs: int, gap: int) -> np.ndarray:
    """Per pair, [first, last + 1] of its first run with the most positions (positions
    sorted by pair, then ascending; runs break where two are more than ``gap + 1`` apart)."""
    out = np.full((n_pairs, 2), -1, np.int64)
    if not len(positions):
        return out
    starts = np.r_[True, (pair[1:] != pair[:-1]) | (np.diff(positions) > gap + 1)]
    first = np.flatnonzero(starts)
    size = np.diff(np.r_[first, len(positions)])
    last = np.r_[first[1:], len(positions)] - 1
    run_pair = pair[first]
    # per pair, the largest run, the first of equals: sort by (pair, -size, start)
    order = np.lexsort((first, -size, run_pair))
    head = order[np.r_[True, run_pair[order][1:] != run_pair[order][:-1]]]
    out[run_pair[head], 0] = positions[first[head]]
    out[run_pair[head], 1] = positions[last[head]] + 1
    return out


#: Text whose words are runs of ASCII letters and digits: ASCII, and the non-ASCII
#: punctuation every news text has (what paragraph_features.py's Arrow path takes as simple).
_SIMPLE = re.compile(f"[\\x00-\\x7f{re.escape(_BREAK_CHARS)}]*\\Z")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def word_char_spans(text: str) -> list[tuple[int, int]]:
    """The character range of each word of ``normalize_for_match(text)`` in ``text``: runs
    of characters that normalise to word characters (a combining mark continues its word;
    a character that normalises to several words, like a fraction, spans each)."""
    if _SIMPLE.match(text):
        return [m.span() for m in _ASCII_WORD.finditer(text)]
    kinds = {ch: _kind(ch) for ch in set(text)}
    if "+" not in kinds.values():  # every character is a word character or a break
        table = {ord(ch): kind for ch, kind in kinds.items()}
        return [m.span() for m in _WORD_RUN.finditer(text.translate(table))]
    spans: list[tuple[int, int]] = []
    start = -1
    for i, ch in enumerate(text):
        kind = kinds[ch]
        if kind == "w":
            start = i if start < 0 else start
            continue
        if start >= 0:
            spans.append((start, i))
            start = -1
        if kind == "+":
            spans.extend([(i, i + 1)] * (normalize_for_match(ch).count(" ") + 1))
    if start >= 0:
        spans.append((start, len(text)))
    return spans


_WORD_RUN = re.compile("w+")


@cache
def _kind(ch: str) -> str:
    """``w``: normalises to word characters (or is a combining mark, which continues its
    word); ``+``: to several words; a space: a break."""
    folded = normalize_for_match(ch)
    if (folded and " " not in folded) or (not folded and unicodedata.combining(ch)):
        return "w"
    return "+" if folded else " "


def char_ranges(
    texts: list[str], n_words: np.ndarray, asked: list[tuple[int, int, int]]
) -> list[tuple[int, int] | None]:
    """For each (text number, first word, end word) of ``asked``: the characters of words
    ``[lo, hi)`` of that text, or None (text number -1, or its words do not line up with
    the ``n_words`` it was matched on). All texts are scanned at once in numpy: a code
    point is a word character by a table, built once per distinct non-ASCII one."""
    joined = "\0".join(texts)  # NUL is a break
    points = np.frombuffer(joined.encode("utf-32-le"), np.uint32)
    kind = np.zeros(len(points), np.int8)  # 1 word, 2 several words, 0 break
    ascii_ = points < 128
    kind[ascii_] = _ASCII_KIND[points[ascii_]]
    other = np.flatnonzero(~ascii_)
    if len(other):
        distinct, at = np.unique(points[other], return_inverse=True)
        kind[other] = np.array([_KIND_CODE[_kind(chr(c))] for c in distinct.tolist()])[at]
    starts, ends = _runs(kind == 1)
    text_start = offsets_of(np.array([len(t) + 1 for t in texts], np.int64))[:-1]
    owner = np.searchsorted(text_start, starts, side="right") - 1
    first_word = np.searchsorted(owner, np.arange(len(texts)))
    count = np.bincount(owner, minlength=len(texts))
    several = np.bincount(
        np.searchsorted(text_start, np.flatnonzero(kind == 2), side="right") - 1,
        minlength=len(texts),
    )
    ask = np.array(asked, np.int64).reshape(-1, 3)
    t, lo, hi = ask[:, 0], ask[:, 1], ask[:, 2]
    text = np.maximum(t, 0)
    lined_up = (t >= 0) & (several[text] == 0) & (count[text] == n_words[text])
    fast = np.flatnonzero(lined_up & (lo >= 0) & (lo < hi) & (hi <= count[text]))
    first, base = first_word[text[fast]], text_start[text[fast]]
    out: list[tuple[int, int] | None] = [None] * len(asked)
    begin = (starts[first + lo[fast]] - base).tolist()
    end = (ends[first + hi[fast] - 1] - base).tolist()
    for i, b, e in zip(fast.tolist(), begin, end, strict=True):
        out[i] = (b, e)
    for i in np.flatnonzero((t >= 0) & (several[text] > 0)).tolist():
        k, a, z = asked[i]
        out[i] = _slow_range(texts[k], a, z, int(n_words[k]))
    return out


_KIND_CODE = {" ": 0, "w": 1, "+": 2}
_ASCII_KIND = np.array([1 if chr(c).isalnum() else 0 for c in range(128)], np.int8)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the runs of True in ``mask``."""
    edges = np.diff(np.r_[False, mask, False].astype(np.int8))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _slow_range(text: str, lo: int, hi: int, n_words: int) -> tuple[int, int] | None:
    spans = word_char_spans(text)
    if len(spans) != n_words or not 0 <= lo < hi <= n_words:
        return None
    return spans[lo][0], spans[hi - 1][1]
