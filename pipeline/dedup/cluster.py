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

from pipeline.dedup.pair_verification import Matches


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


#: Rounds of splitting off the members not verified against their canonical.
_SPLIT_ROUNDS = 4


def assign(
    n_nodes: int,
    info: Callable[[int], NodeInfo],
    matches: Matches,
    verified: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    node_of: Callable[[tuple[str, int]], int] | None = None,
) -> dict[int, Assignment]:
    """The canonical of every node with a link (the others are their own canonical; ``info``
    is only asked about linked nodes).

    A cluster holding stored rows keeps the stored canonical (the index is append-only: the
    stored row with the best priority decides which stored cluster a bridge joins); an
    all-new cluster takes its best-priority member.

    With ``verified`` (node pairs -> whether each pair is a verified duplicate) and
    ``node_of`` (a canonical's key -> its node), clusters cannot chain: every new member
    must itself verify against its cluster's canonical; the members that do not are split
    off into clusters of their own (connected by the near links among them), and so on
    for a few rounds; what still fails then stands alone.
    """
    root, linked = (
        _near_roots(n_nodes, matches),
        np.unique(np.concatenate([matches.small, matches.large])),
    )
    infos = {n: info(n) for n in linked.tolist()}
    canonical = _canonicals(root, linked, infos)
    if verified is not None and node_of is not None:
        for last in [False] * (_SPLIT_ROUNDS - 1) + [True]:
            failed = _unverified(root, linked, infos, canonical, verified, node_of)
            if not len(failed):
                break
            root = _split(root, failed, matches, n_nodes, alone=last)
            canonical = _canonicals(root, linked, infos)
    root = root.tolist()
    has_stored = {root[n] for n, m in infos.items() if m.stored_canonical}
    best = _containers(root, matches, canonical, has_stored, infos)
    target = {inner: root[large] for inner, large in best.items()}
    out = {}
    for n in linked.tolist():
        outer = _follow(root[n], target)
        out[n] = Assignment(canonical[outer], best[root[n]] if outer != root[n] else None)
    return out


def _canonicals(
    root: np.ndarray, linked: np.ndarray, infos: dict[int, NodeInfo]
) -> dict[int, tuple[str, int]]:
    members: dict[int, list[NodeInfo]] = {}
    for n, r in zip(linked.tolist(), root[linked].tolist(), strict=True):
        members.setdefault(r, []).append(infos[n])
    return {r: _cluster_canonical(ms) for r, ms in members.items()}


def _unverified(
    root: np.ndarray,
    linked: np.ndarray,
    infos: dict[int, NodeInfo],
    canonical: dict[int, tuple[str, int]],
    verified: Callable[[np.ndarray, np.ndarray], np.ndarray],
    node_of: Callable[[tuple[str, int]], int],
) -> np.ndarray:
    """The new linked nodes that are not verified against their cluster's canonical (stored
    rows are not re-examined: the index is append-only)."""
    canon_node = {r: node_of(c) for r, c in canonical.items()}
    members = np.array([n for n in linked.tolist() if infos[n].stored_canonical is None])
    if not len(members):
        return members
    canon = np.array([canon_node[r] for r in root[members].tolist()], np.int64)
    ask = members != canon
    ok = np.ones(len(members), bool)
    ok[ask] = verified(members[ask], canon[ask])
    return members[~ok]


def _split(
    root: np.ndarray, failed: np.ndarray, matches: Matches, n_nodes: int, alone: bool
) -> np.ndarray:
    """Cluster ids with the ``failed`` nodes taken out of their clusters: into clusters of
    their own, connected by the near links between two failed nodes (or each alone)."""
    out = root.copy()
    fresh = n_nodes * (1 + int(root.max(initial=0)) // n_nodes)  # above every id in use
    if alone:
        out[failed] = failed + fresh
        return out
    is_failed = np.zeros(n_nodes, bool)
    is_failed[failed] = True
    near = ~matches.contained & is_failed[matches.small] & is_failed[matches.large]
    sub = Matches(
        matches.small[near], matches.large[near], matches.contained[near], matches.similarity[near]
    )
    inner = _near_roots(n_nodes, sub)
    out[failed] = inner[failed] + fresh
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
    infos: dict[int, NodeInfo],
) -> dict[int, int]:
    """For each all-new cluster contained in another: the container node of its best
    containment link (highest containment, then smallest container canonical, then smallest
    node).

    A container takes in the clusters of one article only, that of its best contained
    cluster: a merged paragraph holds consecutive paragraphs of one source, and paragraphs
    of two other articles that both sit inside it (two outlets quoting different sentences
    of it) are no duplicates of each other, which sharing its canonical would make them."""
    best: dict[int, tuple[tuple, int, str]] = {}
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
            best[inner] = (rank, large, infos[small].key[0])
    source: dict[int, tuple[tuple, str]] = {}  # container cluster -> (best rank, its article)
    for rank, large, article in best.values():
        outer = root[large]
        if outer not in source or rank < source[outer][0]:
            source[outer] = (rank, article)
    return {
        inner: large
        for inner, (_, large, article) in best.items()
        if source[root[large]][1] == article
    }


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
