"""Candidate pairs from shared bucket keys (LSH bands, sentence keys), as a columnar group-by.

Each key column is independent: a band's (key, node) rows, in canonical-priority order, are
stably sorted by key and cut into buckets, and every member of a bucket pairs with the (at
most ``cap``) members ranked before it. Columns can run in parallel tasks.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from pipeline.dedup.features import distinct_sorted


def bucket_pairs(keys: np.ndarray, nodes: np.ndarray, is_new: np.ndarray, cap: int) -> np.ndarray:
    """Candidate pairs (u < v, int64 array of shape (p, 2)) from one key column.

    Rows must come in canonical-priority order (best first). Each member of a bucket pairs
    with the members before it, but only with the first ``cap`` of them, so a hot bucket of
    m members costs O(m * cap) comparisons, not O(m^2). Pairs of two stored nodes are
    skipped: they were compared when the later of them was new.
    """
    if len(keys) < 2:
        return np.zeros((0, 2), np.int64)
    perm = np.argsort(keys, kind="stable")
    keys, nodes, is_new = keys[perm], nodes[perm], is_new[perm]
    new_bucket = np.r_[True, keys[1:] != keys[:-1]]
    bucket_start = np.maximum.accumulate(np.where(new_bucket, np.arange(len(keys)), 0))
    earlier = np.minimum(np.arange(len(keys)) - bucket_start, cap)
    member = np.repeat(np.arange(len(keys)), earlier)
    first_of_member = np.repeat(np.cumsum(earlier) - earlier, earlier)
    head = bucket_start[member] + np.arange(len(member)) - first_of_member
    keep = is_new[head] | is_new[member]
    pairs = np.sort(np.stack([nodes[head][keep], nodes[member][keep]], axis=1), axis=1)
    return pairs[pairs[:, 0] != pairs[:, 1]]


#: Node numbers stay below this (2**31), so a pair packs into one int64 code. Nodes are
#: registered while the key columns stream in, so their final count is not known up front.
_NODE_LIMIT = np.int64(1 << 31)


def unique_pairs(pairs: Iterable[np.ndarray]) -> np.ndarray:
    """Distinct pairs over all columns, sorted (deterministic whatever the column order).

    Each column's pairs are packed into one int64 code as they arrive, so a generator of
    columns never holds more than one column's pair array."""
    width = _NODE_LIMIT
    codes = [p[:, 0] * width + p[:, 1] for p in pairs]
    if not codes:
        return np.zeros((0, 2), np.int64)
    distinct = distinct_sorted(np.concatenate(codes))
    return np.stack([distinct // width, distinct % width], axis=1)
