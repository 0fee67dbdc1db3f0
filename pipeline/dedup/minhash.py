"""Vectorised MinHash: word shingles, signatures and LSH band keys, all in numpy.

A permutation is ``a * x + b mod 2**32`` (a odd) over the top 32 bits of the well-mixed 64-bit
shingle hash: one 32-bit multiply and add per shingle and permutation, so a paragraph of 40
words costs ~4k integer operations for 96 permutations instead of 96 Python-level hash calls.
On hashed input its agreement rate estimates the Jaccard without bias (tests/ check it).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np

from pipeline.dedup.params import DedupParams

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: Shingles per chunk of the signature computation (x permutations x 4 bytes: fits L2).
_CHUNK_SHINGLES = 2048


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the whole 64-bit output."""
    x = x ^ (x >> np.uint64(30))  # a new array: the rest works in place on it
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def shingle_hashes(
    word_hash: np.ndarray, word_offsets: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every run of ``k`` consecutive words inside each paragraph.

    Returns the flat hashes and per-paragraph offsets (a paragraph of n words has
    max(n - k + 1, 0) shingles).
    """
    counts = np.diff(word_offsets)
    windows = len(word_hash) - k + 1
    if windows < 1:
        return np.zeros(0, np.uint64), np.zeros(len(counts) + 1, np.int64)
    inside = np.ones(windows, bool)
    for j in range(1, k):  # windows starting j words before a paragraph's end cross it
        start = word_offsets[1:] - j
        inside[start[(start >= word_offsets[:-1]) & (start < windows)]] = False
    acc = word_hash[:windows].astype(np.uint64)
    for j in range(1, k):
        acc = acc * _GOLDEN + word_hash[j : windows + j].astype(np.uint64)
    hashes = mix64(acc[inside])
    per_paragraph = np.maximum(counts - k + 1, 0)
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(per_paragraph, out=offsets[1:])
    return hashes, offsets


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = rng.integers(0, 2**32, num_perm, dtype=np.uint32)
    return a, b


def signatures(
    shingles: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int, workers: int = 1
) -> np.ndarray:
    """MinHash signatures, shape (paragraphs, num_perm) uint32; each paragraph needs a shingle."""
    if np.any(np.diff(offsets) == 0):
        raise ValueError("every paragraph needs at least one shingle for a signature")
    a, b = permutations(num_perm, seed)
    out = np.empty((len(offsets) - 1, num_perm), np.uint32)
    chunks = _chunks(offsets)

    def run(chunk: tuple[int, int]) -> None:
        lo, hi = chunk
        s0 = offsets[lo]
        top = (shingles[s0 : offsets[hi]] >> np.uint64(32)).astype(np.uint32)
        values = top[:, None] * a[None, :] + b[None, :]
        out[lo:hi] = np.minimum.reduceat(values, offsets[lo:hi] - s0, axis=0)

    with ThreadPoolExecutor(max(1, workers)) as pool:
        list(pool.map(run, chunks))
    return out


def _chunks(offsets: np.ndarray) -> list[tuple[int, int]]:
    """Paragraph ranges holding about _CHUNK_SHINGLES shingles each."""
    n = len(offsets) - 1
    bounds = np.searchsorted(offsets, np.arange(0, offsets[-1], _CHUNK_SHINGLES), side="right") - 1
    cuts = sorted({0, n, *(int(x) for x in bounds if 0 < x < n)})
    return list(pairwise(cuts))


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One int64 key per band: the band's ``rows`` signature values folded polynomially with
    the band number (equal bands give equal keys; unequal ones collide with ~2^-64 odds),
    mixed once so that keys spread evenly in hash joins."""
    n = sig.shape[0]
    grouped = sig[:, : bands * rows].reshape(n, bands, rows)
    acc = np.broadcast_to(np.arange(bands, dtype=np.uint64), (n, bands))
    for j in range(rows):
        acc = acc * _GOLDEN + grouped[:, :, j]
    return mix64(acc).view(np.int64)


def lsh_band_keys(
    word_hash: np.ndarray, word_offsets: np.ndarray, params: DedupParams, workers: int = 1
) -> np.ndarray:
    """The LSH band keys (paragraphs x ``params.bands``, int64) of paragraphs given as word
    hashes with offsets; each paragraph needs ``params.shingle_words`` words at least."""
    shingles, offsets = shingle_hashes(word_hash, word_offsets, params.shingle_words)
    sig = signatures(shingles, offsets, params.num_perm, params.seed, workers)
    return band_keys(sig, params.bands, params.rows)
