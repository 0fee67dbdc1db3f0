"""Clusters from verified links and their deterministic canonical member.

Near and exact links are symmetric: their connected components are the clusters. A
containment link is directional: the cluster of the contained paragraph is absorbed into the
cluster of its container (whose canonical then stands for both), never the reverse, so two
wire paragraphs merged into one longer paragraph are not linked to each other.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from pipeline.dedup.verify import Matches


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What clustering needs to know about a node (a distinct new text or a stored row)."""

    key: tuple[str, int]  # (article_id, idx) of the node's representative row
    #: Lower wins the canonical slot. Only compared among new nodes or among stored nodes
    #: (a cluster with stored members keeps a stored canonical), never across the two.
    priority: tuple[Hashable, ...]
    stored_canonical: tuple[str, int] | None  # set for stored rows: their cluster's canonical


@dataclass(frozen=True, slots=True)
class Assignment:
    canonical: tuple[str, int]
    #: For a cluster absorbed into a container's cluster: the node of the best container.
    container: int | None = None


def assign(
    n_nodes: int, info: Callable[[int], NodeInfo], matches: Matches
) -> dict[int, Assignment]:
    """The canonical of every node with a link (the others are their own canonical; ``info``
    is only asked about linked nodes).

    A cluster holding stored rows keeps the stored canonical (the index is append-only: the
    stored row with the best priority decides which stored cluster a bridge joins); an
    all-new cluster takes its best-priority member.
    """
    root = _near_roots(n_nodes, matches).tolist()
    linked = np.unique(np.concatenate([matches.small, matches.large])).tolist()
    members: dict[int, list[NodeInfo]] = {}
    for n in linked:
        members.setdefault(root[n], []).append(info(n))
    canonical = {r: _cluster_canonical(ms) for r, ms in members.items()}
    has_stored = {r for r, ms in members.items() if any(m.stored_canonical for m in ms)}
    best = _containers(root, matches, canonical, has_stored)
    target = {inner: root[large] for inner, large in best.items()}
    out = {}
    for n in linked:
        outer = _follow(root[n], target)
        out[n] = Assignment(canonical[outer], best[root[n]] if outer != root[n] else None)
    return out


def _near_roots(n_nodes: int, matches: Matches) -> np.ndarray:
    """Per node, the smallest node of its cluster under the near links (its root)."""
    near = ~matches.contained
    graph = sp.coo_matrix(
        (np.ones(int(near.sum()), np.int8), (matches.small[near], matches.large[near])),
        shape=(n_nodes, n_nodes),
    )
    _, labels = connected_components(graph, directed=False)
    smallest = np.full(labels.max(initial=-1) + 1, n_nodes, np.int64)
    np.minimum.at(smallest, labels, np.arange(n_nodes))
    return smallest[labels]


def _cluster_canonical(members: list[NodeInfo]) -> tuple[str, int]:
    stored = [m for m in members if m.stored_canonical]
    if stored:
        best = min(stored, key=lambda m: m.priority)
        assert best.stored_canonical is not None
        return best.stored_canonical
    return min(members, key=lambda m: m.priority).key


def _containers(
    root: list[int],
    matches: Matches,
    canonical: dict[int, tuple[str, int]],
    has_stored: set[int],
) -> dict[int, int]:
    """For each all-new cluster contained in another: the container node of its best
    containment link (highest containment, then smallest container canonical, then smallest
    node)."""
    best: dict[int, tuple[tuple, int]] = {}
    contained = np.flatnonzero(matches.contained)
    for small, large, share in zip(
        matches.small[contained].tolist(),
        matches.large[contained].tolist(),
        matches.similarity[contained].tolist(),
        strict=True,
    ):
        inner, outer = root[small], root[large]
        if inner == outer or inner in has_stored:
            continue
        rank = (-share, canonical[outer], large)
        if inner not in best or rank < best[inner][0]:
            best[inner] = (rank, large)
    return {inner: large for inner, (_, large) in best.items()}


def _follow(root: int, target: dict[int, int]) -> int:
    """The outermost container of a cluster; inside a containment cycle, its smallest root
    (the same answer from every cluster on the cycle)."""
    path = [root]
    while path[-1] in target:
        nxt = target[path[-1]]
        if nxt in path:
            return min(path[path.index(nxt) :])
        path.append(nxt)
    return path[-1]
