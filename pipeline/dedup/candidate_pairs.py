"""Candidate pairs from shared bucket keys (LSH bands, sentence keys), as a columnar group-by.

Each key column is independent: a band's (key, node) rows, in canonical-priority order, are
stably sorted by key and cut into buckets, and every member of a bucket pairs with the (at
most ``cap``) members ranked before it. Columns can run in parallel tasks.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from pipeline.arrays import run_positions


def bucket_pairs(keys: np.ndarray, nodes: np.ndarray, is_new: np.ndarray, cap: int) -> np.ndarray:
    """Candidate pairs (u < v, int64 array of shape (p, 2)) from one key column.

    Rows must come in canonical-priority order (best first). Each member of a bucket pairs
    with the members before it, but only with the first ``cap`` of them, so a hot bucket of
    m members costs O(m * cap) comparisons, not O(m^2). Pairs of two stored nodes are
    skipped: they were compared when the later of them was new.
    """
    if len(keys) < 2:
        return np.zeros((0, 2), np.int64)
    # Most keys occur once and pair nothing: only the others are sorted (in the same order).
    perm = np.flatnonzero(_maybe_repeated(keys))
    perm = perm[np.argsort(keys[perm], kind="stable")]
    keys, nodes, is_new = keys[perm], nodes[perm], is_new[perm]
    position = run_positions(keys)
    bucket_start = np.arange(len(keys)) - position
    earlier = np.minimum(position, cap)
    member = np.repeat(np.arange(len(keys)), earlier)
    first_of_member = np.repeat(np.cumsum(earlier) - earlier, earlier)
    head = bucket_start[member] + np.arange(len(member)) - first_of_member
    keep = is_new[head] | is_new[member]
    a, b = nodes[head[keep]], nodes[member[keep]]
    distinct = a != b
    a, b = a[distinct], b[distinct]
    return np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)


def _maybe_repeated(keys: np.ndarray) -> np.ndarray:
    """A mask of the keys whose low bits another key has too (about twice as many slots as
    keys): a superset of the keys that occur more than once."""
    bits = len(keys).bit_length() + 1
    slot = (keys & ((1 << bits) - 1)).astype(np.intp)
    return np.bincount(slot, minlength=1 << bits)[slot] > 1


#: Node numbers stay below this (2**31), so a pair packs into one int64 code. Nodes are
#: registered while the key columns stream in, so their final count is not known up front.
_NODE_LIMIT = np.int64(1 << 31)


def unique_pairs(pairs: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pairs over all columns, sorted (deterministic whatever the column order), and
    how many bucket keys each pair shares (its count over all columns).

    Each column's pairs are packed into one int64 code as they arrive, so a generator of
    columns never holds more than one column's pair array."""
    width = _NODE_LIMIT
    every = np.concatenate([np.zeros(0, np.int64)] + [p[:, 0] * width + p[:, 1] for p in pairs])
    every.sort()
    starts = np.flatnonzero(np.r_[True, every[1:] != every[:-1]])[: len(every)]
    distinct = every[starts]
    shared = np.diff(np.r_[starts, len(every)])
    return np.stack([distinct // width, distinct % width], axis=1), shared


def within_budget(
    pairs: np.ndarray, shared: np.ndarray, budget: int, counted: np.ndarray
) -> np.ndarray:
    """The pairs (sorted, as :func:`unique_pairs` returns them) among the first ``budget`` of
    either of their ``counted`` nodes (a bool per node), in the order of most shared keys,
    then smallest partner; all pairs of a node with at most ``budget``.

    A text in a family of near-copies that grows with the corpus (templated reports, edits
    of edits) shares keys with ever more earlier texts: per key the bucket cap bounds them,
    but over 32 bands and its sentences they reach hundreds. The pairs sharing the most keys
    are the likeliest to verify, so the budget bounds the work per text while the text still
    meets its closest copies."""
    # Each pair once per end: as (node, pair) rows, the larger end's rows first, so that a
    # node's rows list its partners in ascending order (the pairs are sorted).
    node = np.r_[pairs[:, 1], pairs[:, 0]]
    pair = np.tile(np.arange(len(pairs)), 2)
    mine = counted[node]
    degree = np.bincount(node[mine], minlength=len(counted))[node]
    keep = np.zeros(len(pairs), bool)
    keep[pair[mine & (degree <= budget)]] = True
    heavy = np.flatnonzero(mine & (degree > budget))
    if len(heavy):
        # One stable sort by (node, most shared keys): ties keep the smaller partner first.
        fewer = _MAX_SHARED - np.minimum(shared[pair[heavy]], _MAX_SHARED)
        heavy = heavy[np.argsort(node[heavy] * (_MAX_SHARED + 1) + fewer, kind="stable")]
        keep[pair[heavy[run_positions(node[heavy]) < budget]]] = True
    return pairs[keep]


#: Shared-key counts rank up to this (a pair shares at most its bands and sentences).
_MAX_SHARED = 1023
