"""Clusters from verified links and their deterministic canonical member.

Near and exact links are symmetric: their connected components are the clusters. A
containment link is directional: the cluster of the contained paragraph is absorbed into the
cluster of its container (whose canonical then stands for both), never the reverse, so two
wire paragraphs merged into one longer paragraph are not linked to each other.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from pipeline.dedup.verify import Match


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


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
    n_nodes: int, info: Callable[[int], NodeInfo], matches: Sequence[Match]
) -> dict[int, Assignment]:
    """The canonical of every node with a link (the others are their own canonical; ``info``
    is only asked about linked nodes).

    A cluster holding stored rows keeps the stored canonical (the index is append-only: the
    stored row with the best priority decides which stored cluster a bridge joins); an
    all-new cluster takes its best-priority member.
    """
    uf = UnionFind(n_nodes)
    for m in matches:
        if m.kind == "near":
            uf.union(m.small, m.large)
    linked = sorted({n for m in matches for n in (m.small, m.large)})
    members: dict[int, list[NodeInfo]] = {}
    for n in linked:
        members.setdefault(uf.find(n), []).append(info(n))
    canonical = {root: _cluster_canonical(ms) for root, ms in members.items()}
    has_stored = {root for root, ms in members.items() if any(m.stored_canonical for m in ms)}
    best = _containers(uf, matches, canonical, has_stored)
    target = {inner: uf.find(m.large) for inner, m in best.items()}
    out = {}
    for n in linked:
        root = uf.find(n)
        outer = _follow(root, target)
        container = best[root].large if outer != root else None
        out[n] = Assignment(canonical[outer], container)
    return out


def _cluster_canonical(members: list[NodeInfo]) -> tuple[str, int]:
    stored = [m for m in members if m.stored_canonical]
    if stored:
        best = min(stored, key=lambda m: m.priority)
        assert best.stored_canonical is not None
        return best.stored_canonical
    return min(members, key=lambda m: m.priority).key


def _containers(
    uf: UnionFind,
    matches: Sequence[Match],
    canonical: dict[int, tuple[str, int]],
    has_stored: set[int],
) -> dict[int, Match]:
    """For each all-new cluster contained in another: its best containment link (highest
    containment, then smallest container canonical, then smallest node)."""
    best: dict[int, tuple[tuple, Match]] = {}
    for m in matches:
        if m.kind != "contained":
            continue
        inner, outer = uf.find(m.small), uf.find(m.large)
        if inner == outer or inner in has_stored:
            continue
        rank = (-m.similarity, canonical[outer], m.large)
        if inner not in best or rank < best[inner][0]:
            best[inner] = (rank, m)
    return {inner: m for inner, (_, m) in best.items()}


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
