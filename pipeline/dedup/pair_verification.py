"""Exact verification of candidate pairs on word-bigram sets, vectorised.

Every link the stage records passes through here, so the stored ``similarity`` is an exact
set measure, never a MinHash estimate. Bigrams (not the trigrams used for MinHash) tolerate a
changed word: one substitution removes at most two of ~n bigrams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from pipeline.arrays import distinct_sorted, offsets_of
from pipeline.dedup.minhash import shingle_hashes
from pipeline.dedup.params import DedupParams

#: Bigrams (both sides of a pair) verified per block: bounds the working set (~20 MB).
_BLOCK_BIGRAMS = 1 << 21
#: Candidate pairs verified per block (~25 MB of per-pair temporaries).
_BLOCK_PAIRS = 1 << 18


class ShingleSets:
    """The distinct word k-grams (bigrams, or words) of n paragraphs as a sparse 0/1 matrix
    (one row per paragraph, one column per 32-bit hash). Words are 32-bit hashes already; a
    collision inside one pair's sets is a ~1e-6 event."""

    def __init__(self, sizes: np.ndarray, matrix: sp.csr_matrix) -> None:
        self.sizes = sizes
        self.matrix = matrix
        # Rows hold sorted distinct column ids: the canonical CSR form, so an element-wise
        # product merges two rows in one linear pass in scipy's compiled code.
        self.matrix.has_canonical_format = True

    @classmethod
    def of_words(cls, words: np.ndarray, word_offsets: np.ndarray, k: int = 2) -> ShingleSets:
        columns, sizes = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for lo, hi in _blocks(np.diff(word_offsets), _BLOCK_BIGRAMS):  # bounds the temporaries
            block_columns, block_sizes = _distinct_shingles(words, word_offsets[lo : hi + 1], k)
            columns.append(block_columns)
            sizes.append(block_sizes)
        indices, counts = np.concatenate(columns), np.concatenate(sizes)
        matrix = sp.csr_matrix(
            (np.ones(len(indices), np.int8), indices, offsets_of(counts)),
            shape=(len(counts), 1 << 32),
        )
        return cls(counts, matrix)

    def stacked(self, more: ShingleSets) -> ShingleSets:
        """These sets followed by ``more``'s."""
        matrix = sp.vstack([self.matrix, more.matrix], format="csr")
        return ShingleSets(np.r_[self.sizes, more.sizes], matrix)

    def common(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """|set(u) & set(v)| for each pair (u[i], v[i]), in blocks of about
        ``_BLOCK_BIGRAMS`` bigrams so that memory does not follow the number of pairs."""
        out = np.zeros(len(u), np.int64)
        for lo, hi in _blocks(self.sizes[u] + self.sizes[v], _BLOCK_BIGRAMS):
            both = self.matrix[u[lo:hi]].multiply(self.matrix[v[lo:hi]]).tocsr()
            out[lo:hi] = np.diff(both.indptr)
        return out

    def similarities(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per pair: the Jaccard of the two sets, and the share of u's set found in v's."""
        common = self.common(u, v)
        union = self.sizes[u] + self.sizes[v] - common
        jaccard = np.divide(common, union, out=np.zeros(len(u)), where=union > 0)
        share = np.divide(common, self.sizes[u], out=np.zeros(len(u)), where=common > 0)
        return jaccard, share


#: A cut-off teaser begins where its full paragraph begins, or up to this many words later
#: (a dateline the teaser left out).
_TEASER_OFFSET = 3


@dataclass(frozen=True, slots=True)
class NodeArrays:
    """What verification knows of each node (paragraph text), one row per node."""

    n_words: np.ndarray  # int64 per node
    cut_off: np.ndarray  # bool per node: ends mid-sentence (or, if stored, found truncated)
    lead: np.ndarray  # (nodes, _TEASER_OFFSET + 2) int64: the first word hashes, -1 past the end
    bigrams: ShingleSets
    words: ShingleSets  # distinct words

    @classmethod
    def of_words(
        cls, words: np.ndarray, offsets: np.ndarray, n_words: np.ndarray, cut_off: np.ndarray
    ) -> NodeArrays:
        """The arrays of paragraphs given as word hashes (flat, with offsets)."""
        position = offsets[:-1, None] + np.arange(_TEASER_OFFSET + 2)
        padded = np.r_[words.astype(np.int64), -1]  # past a paragraph's end: the -1
        lead = padded[np.where(position < offsets[1:, None], position, len(words))]
        bigrams = ShingleSets.of_words(words, offsets)
        return cls(n_words, cut_off, lead, bigrams, ShingleSets.of_words(words, offsets, 1))

    def extended(self, more: NodeArrays) -> NodeArrays:
        return NodeArrays(
            np.r_[self.n_words, more.n_words],
            np.r_[self.cut_off, more.cut_off],
            np.concatenate([self.lead, more.lead]),
            self.bigrams.stacked(more.bigrams),
            self.words.stacked(more.words),
        )

    def starts_alike(self, small: np.ndarray, large: np.ndarray) -> np.ndarray:
        """Per pair, whether ``small`` begins with words that ``large`` begins with (its
        first two words among the first words of ``large``): a teaser cut from it."""
        first, second = self.lead[small, :1], self.lead[small, 1:2]
        at = self.lead[large]
        return ((at[:, :-1] == first) & (at[:, 1:] == second) & (first >= 0)).any(axis=1)


@dataclass(frozen=True, slots=True)
class Matches:
    """Verified links between nodes ``small`` and ``large`` (fewer and more words), one
    entry per link in parallel arrays (hundreds of thousands a chunk: no per-link objects)."""

    small: np.ndarray  # int64
    large: np.ndarray  # int64
    contained: np.ndarray  # bool: "contained", else "near"
    similarity: np.ndarray  # float64: the share for "contained", the Jaccard for "near"

    def __len__(self) -> int:
        return len(self.small)

    @classmethod
    def empty(cls) -> Matches:
        return cls(*(np.zeros(0, t) for t in (np.int64, np.int64, bool, np.float64)))


def verify_pairs(pairs: np.ndarray, nodes: NodeArrays, params: DedupParams) -> Matches:
    """The candidate pairs that are near duplicates or containments, with their similarity.

    With the shorter paragraph ``s`` (fewer words) and its share of bigrams found in the
    other: a pair is "near" when the bigram Jaccard reaches ``near_threshold``, or when the
    share reaches ``near_share_threshold`` at similar lengths (an edited copy: a clause
    added, a number or attribution changed); a clearly shorter paragraph (``contain_min_ratio``)
    whose share reaches ``contain_threshold`` is "contained" even when the Jaccard would
    pass, so that a paragraph merged from two wire paragraphs is never a "near" duplicate of
    one of them; a cut-off teaser that passes the Jaccard stays "near". Either way the two
    may differ in few words: lines of one template with other facts (names, numbers,
    places) differ in many (``max_changed_words``). Pairs go through in blocks, so that the
    per-pair temporaries do not follow the number of candidates.
    """
    blocks = [
        _verify_block(pairs[lo:hi], nodes, params)
        for lo, hi in _blocks(np.ones(len(pairs), np.int64), _BLOCK_PAIRS)
    ]
    if not blocks:
        return Matches.empty()
    return Matches(*(np.concatenate(column) for column in zip(*blocks, strict=True)))


def accepted(pairs: np.ndarray, nodes: NodeArrays, params: DedupParams) -> np.ndarray:
    """Per pair, whether :func:`verify_pairs` links it (either kind)."""
    out = np.zeros(len(pairs), bool)
    for lo, hi in _blocks(np.ones(len(pairs), np.int64), _BLOCK_PAIRS):
        *_, contained, near, _ = _classify(pairs[lo:hi], nodes, params)
        out[lo:hi] = contained | near
    return out


def _verify_block(
    pairs: np.ndarray, nodes: NodeArrays, params: DedupParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    small, large, contained, near, similarity = _classify(pairs, nodes, params)
    keep = contained | near
    return small[keep], large[keep], contained[keep], similarity[keep]


def _classify(pairs: np.ndarray, nodes: NodeArrays, params: DedupParams) -> tuple[np.ndarray, ...]:
    """(shorter, longer, is contained, is near, similarity) per pair."""
    n_words, word_sets = nodes.n_words, nodes.words
    u, v = pairs[:, 0], pairs[:, 1]
    swap = (n_words[u] > n_words[v]) | ((n_words[u] == n_words[v]) & (u > v))
    small, large = np.where(swap, v, u), np.where(swap, u, v)
    jac, share = nodes.bigrams.similarities(small, large)
    similar, shared = jac >= params.near_threshold, share >= params.contain_threshold
    edited = share >= params.near_share_threshold
    few_changes = np.zeros(len(small), bool)
    maybe = np.flatnonzero(similar | shared | edited)
    few_changes[maybe] = (
        changed_words(word_sets, small[maybe], large[maybe]) <= params.max_changed_words
    )
    longer = n_words[large] >= params.contain_min_ratio * n_words[small]
    cut_from = nodes.cut_off[small] & nodes.starts_alike(small, large)
    teaser = similar & ~(longer & ~cut_from)
    long_enough = n_words[small] >= params.contain_min_words
    contained = ~teaser & longer & shared & few_changes & long_enough
    near = ~contained & few_changes & (similar | (edited & ~longer))
    return small, large, contained, near, np.where(contained, share, jac)


def changed_words(word_sets: ShingleSets, small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Per pair, the words that one side has in place of the other's, as a share of the
    shorter's distinct words: the fewer of (words only in ``small``, words only in
    ``large``). An added clause changes none (its words are only on one side); a template
    line with another name, age and town changes each of them."""
    common = word_sets.common(small, large)
    only_small = word_sets.sizes[small] - common
    only_large = word_sets.sizes[large] - common
    return np.minimum(only_small, only_large) / np.maximum(word_sets.sizes[small], 1)


def _blocks(weights: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Consecutive ranges of ``weights`` summing to about ``size`` each (at least one item)."""
    if not len(weights):
        return []
    ends = np.searchsorted(np.cumsum(weights), np.arange(size, weights.sum(), size), "right")
    cuts = np.unique(np.r_[0, ends, len(weights)])
    return list(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True))


def _distinct_shingles(
    words: np.ndarray, word_offsets: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per paragraph of a consecutive range: its distinct 32-bit ``k``-gram hashes, sorted,
    flat (as int64), and how many each paragraph has."""
    first = word_offsets[0]
    grams, offsets = shingle_hashes(words[first : word_offsets[-1]], word_offsets - first, k)
    owner = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
    distinct = distinct_sorted((owner << 32) | (grams & np.uint64(0xFFFFFFFF)).astype(np.int64))
    return distinct & 0xFFFFFFFF, np.bincount(distinct >> 32, minlength=len(offsets) - 1)
