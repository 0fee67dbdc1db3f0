"""Vectorised shingles, MinHash signatures and candidate buckets."""

from __future__ import annotations

import numpy as np

from pipeline.arrays import offsets_of
from pipeline.dedup.candidate_pairs import unique_pairs, within_budget
from pipeline.dedup.minhash import band_keys, shingle_hashes, signatures


def test_shingles_never_cross_paragraphs() -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        counts = rng.integers(0, 6, rng.integers(1, 8))
        offsets = offsets_of(counts)
        words = rng.integers(0, 2**32, offsets[-1], dtype=np.uint64).astype(np.uint32)
        for k in (2, 3):
            hashes, shingle_offsets = shingle_hashes(words, offsets, k)
            assert np.diff(shingle_offsets).tolist() == [max(c - k + 1, 0) for c in counts]
            alone = [
                int(shingle_hashes(words[p : p + k], np.array([0, k]), k)[0][0])
                for i in range(len(counts))
                for p in range(offsets[i], offsets[i + 1] - k + 1)
            ]
            assert hashes.tolist() == alone


def test_signature_agreement_estimates_jaccard() -> None:
    rng = np.random.default_rng(1)
    shared = rng.integers(0, 2**63, 300, dtype=np.uint64)
    a = np.concatenate([shared, rng.integers(0, 2**63, 100, dtype=np.uint64)])
    b = np.concatenate([shared, rng.integers(0, 2**63, 100, dtype=np.uint64)])
    sig = signatures(np.concatenate([a, b]), np.array([0, 400, 800]), 960, seed=3)
    agreement = np.mean(sig[0] == sig[1])
    assert abs(agreement - 300 / 500) < 0.06
    keys = band_keys(sig, bands=320, rows=3)
    assert keys.shape == (2, 320) and keys.dtype == np.int64
    assert 0 < np.mean(keys[0] == keys[1]) < 1


def test_signatures_do_not_depend_on_chunking_or_threads() -> None:
    rng = np.random.default_rng(2)
    counts = rng.integers(1, 60, 500)
    shingles = rng.integers(0, 2**63, counts.sum(), dtype=np.uint64)
    offsets = offsets_of(counts)
    one = signatures(shingles, offsets, 96, seed=1, workers=1)
    two = signatures(shingles, offsets, 96, seed=1, workers=2)
    assert np.array_equal(one, two)
    assert np.array_equal(
        one[7],
        signatures(shingles[offsets[7] : offsets[8]], np.array([0, counts[7]]), 96, seed=1)[0],
    )


def test_unique_pairs_merges_columns_in_any_order_and_counts_shared_keys() -> None:
    a = np.array([[1, 5], [2, 3]])
    b = np.array([[2, 3], [0, 9], [2, 3]])
    for columns in ([a, b], iter([b, a])):
        pairs, shared = unique_pairs(columns)
        assert pairs.tolist() == [[0, 9], [1, 5], [2, 3]]
        assert shared.tolist() == [1, 1, 3]


def test_budget_keeps_a_texts_pairs_sharing_most_keys_then_smallest_partner() -> None:
    # Node 0 (counted) has five partners; 1..5 are stored (not counted).
    pairs = np.array([[0, 1], [0, 2], [0, 3], [0, 4], [0, 5]])
    shared = np.array([1, 4, 2, 4, 1])
    counted = np.array([True] + [False] * 5)
    kept = within_budget(pairs, shared, 3, counted)
    assert kept.tolist() == [[0, 2], [0, 3], [0, 4]]
    assert within_budget(pairs, shared, 5, counted).tolist() == pairs.tolist()
    tie = within_budget(pairs, np.ones(5, np.int64), 2, counted)
    assert tie.tolist() == [[0, 1], [0, 2]]


def test_budget_keeps_a_pair_within_either_counted_nodes_budget() -> None:
    # 0 and 1 are new texts; 2..4 are stored.
    pairs = np.array([[0, 1], [0, 2], [0, 3], [1, 4]])
    shared = np.array([1, 5, 5, 5])
    both = within_budget(pairs, shared, 2, np.array([True, True, False, False, False]))
    # (0, 1) is past 0's budget but within 1's.
    assert both.tolist() == pairs.tolist()
    only_0 = within_budget(pairs, shared, 2, np.array([True, False, False, False, False]))
    assert only_0.tolist() == [[0, 2], [0, 3]]


def test_budget_matches_its_definition_on_random_graphs() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(2, 12))
        listed = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.6]
        if not listed:
            continue
        shared = rng.integers(1, 4, len(listed))
        counted = rng.random(n) < 0.7
        budget = int(rng.integers(1, 5))
        wanted: set[int] = set()
        for node in np.flatnonzero(counted).tolist():
            ranked = sorted(
                (-shared[i], b if a == node else a, i)
                for i, (a, b) in enumerate(listed)
                if node in (a, b)
            )
            wanted |= {i for *_, i in ranked[:budget]}
        kept = within_budget(np.array(listed), shared, budget, counted).tolist()
        assert kept == [list(listed[i]) for i in sorted(wanted)]
