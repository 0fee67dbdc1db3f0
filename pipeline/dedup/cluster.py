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
    articles: frozenset[str]  # the articles of the node's rows (an exact group's copies)


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
    if verified is not None:
        best = _transitive(root, best, verified)
    best = _one_source(root, best, _cluster_articles(root, infos))
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
    node, with its rank and the contained node of that link."""
    best: dict[int, tuple[tuple, int, int]] = {}
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
            best[inner] = (rank, large, small)
    return best


def _transitive(
    root: list[int],
    best: dict[int, tuple[tuple, int, int]],
    verified: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> dict[int, tuple[tuple, int, int]]:
    """The containment links ``best`` less those of a cluster holding a text its container
    lacks: when B is inside C, what is inside B is inside C too, so a cluster whose own
    contained texts do not verify against its container only overlaps it (two merged
    paragraphs sharing one wire paragraph, A+B and B+C, pass the share of the shorter)."""
    target = {inner: root[large] for inner, (_, large, _) in best.items()}
    chained = [inner for inner in sorted(best) if target[inner] in best]
    if not chained:
        return best
    inner_node = np.array([best[i][2] for i in chained], np.int64)
    outer_node = np.array([best[target[i]][1] for i in chained], np.int64)
    passed = verified(inner_node, outer_node)
    failed = {target[i] for i, ok in zip(chained, passed, strict=True) if not ok}
    return {inner: link for inner, link in best.items() if inner not in failed}


def _cluster_articles(root: list[int], infos: dict[int, NodeInfo]) -> dict[int, set[str]]:
    """Per cluster (root) of linked nodes: the articles holding one of its paragraphs."""
    out: dict[int, set[str]] = {}
    for n, m in infos.items():
        out.setdefault(root[n], set()).update(m.articles)
    return out


def _one_source(
    root: list[int], best: dict[int, tuple[tuple, int, int]], articles: dict[int, set[str]]
) -> dict[int, int]:
    """The containment links (``best``: inner cluster -> (rank, container node, contained
    node)) that no two clusters without a common article share a canonical through, unless
    one is inside the other (``articles``: per cluster, the articles holding one of its
    paragraphs).

    Links form trees: a cluster inside a container that is itself contained (A in B, B in
    C) ends in the outermost one's cluster. Two clusters on one branch are duplicates by
    containment; two side by side inside one container are not (two outlets quoting
    different sentences of it), unless they come from one article (consecutive paragraphs
    of the source merged into the container; the source is any article holding a copy of
    each). So the clusters directly inside a container, taken best first, each share an
    article with all those kept before them, and below a container holding two or more,
    every cluster holds one of those common articles; a cluster without one loses its link
    and tops a tree of its own, checked the same way."""
    children: dict[int, list[int]] = {}
    target = {inner: root[large] for inner, (_, large, _) in best.items()}
    for inner in sorted(target, key=lambda i: best[i][0]):
        children.setdefault(target[inner], []).append(inner)
    kept: dict[int, int] = {}
    visited: set[int] = set()
    # Outermost containers first; a containment cycle is cut at its smallest cluster.
    tops = sorted(c for c in children if c not in target)
    tops += sorted({_follow(i, target) for i in target} - set(tops))
    stack: list[tuple[int, set[str] | None]] = [(top, None) for top in reversed(tops)]
    while stack:
        node, required = stack.pop()
        if node in visited:
            continue
        visited.add(node)
        kids = [k for k in children.get(node, []) if k not in visited]
        inside, sources = _common_source(kids, articles, required)
        below = sources if len(inside) > 1 else required
        for kid in kids:
            if kid in inside:
                kept[kid] = best[kid][1]
                stack.append((kid, below))
            else:
                stack.append((kid, None))
    return kept


def _common_source(
    kids: list[int], articles: dict[int, set[str]], required: set[str] | None
) -> tuple[set[int], set[str] | None]:
    """The clusters of ``kids`` (best first) that share an article with ``required`` (when
    set) and with every cluster taken before them, and the articles they all share."""
    inside: set[int] = set()
    sources = required
    for kid in kids:
        common = articles[kid] if sources is None else sources & articles[kid]
        if common:
            inside.add(kid)
            sources = common
    return inside, sources


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
