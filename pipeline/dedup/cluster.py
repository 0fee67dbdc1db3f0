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
    n_words: int  # ranks the containers of one text: the tightest first


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
    containment link: in another article before one in its own (a pull quote repeating the
    article's body is no duplicate of other outlets' text, and ``text_unique`` drops only
    what another article holds), then highest containment, then the fewest words (the
    tightest container, the closest copy), then smallest container canonical, then smallest
    node; the links kept are those of :func:`_one_source`."""
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
        own_article = infos[large].key[0] == infos[small].key[0]
        rank = (own_article, -share, infos[large].n_words, canonical[outer], large)
        if inner not in best or rank < best[inner][0]:
            best[inner] = (rank, large, infos[small].key[0])
    return _one_source(root, best)


def _one_source(root: list[int], best: dict[int, tuple[tuple, int, str]]) -> dict[int, int]:
    """The containment links (``best``: inner cluster -> (rank, container node, the inner's
    article)) that no two clusters of different articles share a canonical through, unless
    one is inside the other.

    Links form trees: a cluster inside a container that is itself contained (A in B, B in
    C) ends in the outermost one's cluster. Two clusters on one branch are duplicates by
    containment; two side by side inside one container are not (two outlets quoting
    different sentences of it), unless they come from one article (consecutive paragraphs
    of the source merged into the container). So the clusters directly inside a container
    come from the article of the best of them, and below a container holding two or more,
    every cluster comes from that article; a cluster of another article loses its link and
    tops a tree of its own, checked the same way."""
    children: dict[int, list[int]] = {}
    target = {inner: root[large] for inner, (_, large, _) in best.items()}
    for inner in sorted(target, key=lambda i: best[i][0]):
        children.setdefault(target[inner], []).append(inner)
    kept: dict[int, int] = {}
    visited: set[int] = set()
    # Outermost containers first; a containment cycle is cut at its smallest cluster.
    tops = sorted(c for c in children if c not in target)
    tops += sorted({_follow(i, target) for i in target} - set(tops))
    stack: list[tuple[int, str | None]] = [(top, None) for top in reversed(tops)]
    while stack:
        node, required = stack.pop()
        if node in visited:
            continue
        visited.add(node)
        kids = [k for k in children.get(node, []) if k not in visited]
        article = required or (best[kids[0]][2] if kids else None)
        inside = [k for k in kids if best[k][2] == article]
        below = article if len(inside) > 1 else required
        for kid in kids:
            if kid in inside:
                kept[kid] = best[kid][1]
                stack.append((kid, below))
            else:
                stack.append((kid, None))
    return kept


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
