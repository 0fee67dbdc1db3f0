"""Vectorised shingles, MinHash signatures and candidate buckets."""

from __future__ import annotations

import numpy as np

from pipeline.dedup.candidates import unique_pairs
from pipeline.dedup.features import offsets_of
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


def test_unique_pairs_merges_columns_in_any_order() -> None:
    a = np.array([[1, 5], [2, 3]])
    b = np.array([[2, 3], [0, 9]])
    assert (
        unique_pairs([a, b]).tolist()
        == unique_pairs(iter([b, a])).tolist()
        == [[0, 9], [1, 5], [2, 3]]
    )
