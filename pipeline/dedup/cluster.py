"""Clusters from verified links and their deterministic canonical member.

Near and exact links are symmetric: their connected components are the clusters. A
containment link is directional: the cluster of the contained paragraph is absorbed into the
cluster of its container (whose canonical then stands for both), never the reverse, so two
wire paragraphs merged into one longer paragraph are not linked to each other.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from pipeline.dedup.pair_verification import Matches


class NodeInfo(NamedTuple):
    """What clustering needs to know about a node (a distinct new text or a stored row); a
    named tuple, as one is built per linked node."""

    key: tuple[str, int]  # (article_id, idx) of the node's representative row
    #: Lower wins the canonical slot. Only compared among new nodes or among stored nodes
    #: (a cluster with stored members keeps a stored canonical), never across the two.
    priority: tuple[Hashable, ...]
    #: For new nodes: the class of their first priority criteria (not cut off, earliest
    #: published), among which a cluster's canonical may be another member (see ``assign``).
    tier: int
    stored_canonical: tuple[str, int] | None  # set for stored rows: their cluster's canonical
    n_words: int  # ranks the containers of one text: the tightest first
    articles: frozenset[str]  # the articles of the node's rows (an exact group's copies)


class Assignment(NamedTuple):
    canonical: tuple[str, int]
    #: For a cluster absorbed into a container's cluster: the node of the best container.
    container: int | None = None


#: Rounds of splitting off the members not verified against their canonical.
_SPLIT_ROUNDS = 4
#: Members of the canonical's tier tried in its place when some members fail it.
_HEAD_CANDIDATES = 8


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
    must itself verify against its cluster's canonical. When some do not, the member of the
    canonical's tier (not cut off, same published) verified against the most members
    takes its place (the wire copy that several outlets' edits match, not one outlet's
    edit published the same day and ingested first; ``_better_heads``). The members that
    still fail are split off into clusters of their own (connected by the near links among
    them), and so on for a few rounds; what still fails then stands alone.
    """
    root, linked = (
        _near_roots(n_nodes, matches),
        np.unique(np.concatenate([matches.small, matches.large])),
    )
    infos = {n: info(n) for n in linked.tolist()}
    by_priority = _priority_order(linked, infos)
    canonical, head = _canonicals(root, linked, by_priority, infos)
    if verified is not None and node_of is not None:
        new = np.array([n for n in linked.tolist() if infos[n].stored_canonical is None], np.int64)
        for last in [False] * (_SPLIT_ROUNDS - 1) + [True]:
            failed = _unverified(root, new, infos, canonical, head, verified, node_of)
            if len(failed):
                failed = _better_heads(root, new, failed, infos, canonical, head, matches, verified)
            if not len(failed):
                break
            root = _split(root, failed, matches, n_nodes, alone=last)
            canonical, head = _canonicals(root, linked, _heads_first(by_priority, head), infos)
    root = root.tolist()
    has_stored = {root[n] for n, m in infos.items() if m.stored_canonical}
    best = _containers(root, matches, canonical, has_stored, infos)
    if verified is not None:
        best = _transitive(root, best, verified)
    best = _one_source(root, best, _cluster_articles(root, infos))
    target = {inner: root[large] for inner, large in best.items()}
    of_cluster = {}
    for r in canonical:
        outer = _follow(r, target)
        of_cluster[r] = Assignment(canonical[outer], best[r] if outer != r else None)
    return {n: of_cluster[root[n]] for n in linked.tolist()}


def _priority_order(linked: np.ndarray, infos: dict[int, NodeInfo]) -> np.ndarray:
    """The linked nodes, best first: stored rows by their priority, then new nodes by theirs
    (a cluster holding stored rows keeps a stored canonical, so a cluster's first member in
    this order holds its canonical)."""
    nodes = linked.tolist()
    stored = [n for n in nodes if infos[n].stored_canonical is not None]
    new = [n for n in nodes if infos[n].stored_canonical is None]
    by_priority = [sorted(part, key=lambda n: infos[n].priority) for part in (stored, new)]
    return np.array(by_priority[0] + by_priority[1], np.int64)


def _heads_first(by_priority: np.ndarray, head: dict[int, int]) -> np.ndarray:
    """``by_priority`` with the clusters' heads first: a head never fails its own cluster,
    so it stays the head of what is left of it after a split (one chosen by
    ``_better_heads`` too, which its members were verified against)."""
    is_head = np.isin(by_priority, np.fromiter(head.values(), np.int64, len(head)))
    return np.r_[by_priority[is_head], by_priority[~is_head]]


def _canonicals(
    root: np.ndarray, linked: np.ndarray, by_priority: np.ndarray, infos: dict[int, NodeInfo]
) -> tuple[dict[int, tuple[str, int]], dict[int, int]]:
    """Per cluster (root): the key of its canonical, and its head, the first of its members
    in ``by_priority`` (the canonical's node, or for a cluster with stored rows the best
    stored row, whose canonical it keeps).
    Clusters come in the order of their smallest linked node (the order in which stored
    canonicals are asked for, which numbers the nodes registered for them)."""
    roots, first = np.unique(root[by_priority], return_index=True)
    _, smallest = np.unique(root[linked], return_index=True)
    in_order = np.argsort(smallest, kind="stable")
    head = dict(zip(roots[in_order].tolist(), by_priority[first[in_order]].tolist(), strict=True))
    canonical = {}
    for r, n in head.items():
        m = infos[n]
        canonical[r] = m.key if m.stored_canonical is None else m.stored_canonical
    return canonical, head


def _unverified(
    root: np.ndarray,
    new: np.ndarray,
    infos: dict[int, NodeInfo],
    canonical: dict[int, tuple[str, int]],
    head: dict[int, int],
    verified: Callable[[np.ndarray, np.ndarray], np.ndarray],
    node_of: Callable[[tuple[str, int]], int],
) -> np.ndarray:
    """The ``new`` linked nodes that are not verified against their cluster's canonical
    (stored rows are not re-examined: the index is append-only)."""
    if not len(new):
        return new
    canon_node = {
        r: n if infos[n].stored_canonical is None else node_of(canonical[r])
        for r, n in head.items()
    }
    roots = np.fromiter(canon_node, np.int64, len(canon_node))
    nodes = np.fromiter(canon_node.values(), np.int64, len(canon_node))
    order = np.argsort(roots)
    canon = nodes[order[np.searchsorted(roots[order], root[new])]]
    ask = new != canon
    ok = np.ones(len(new), bool)
    ok[ask] = verified(new[ask], canon[ask])
    return new[~ok]


def _better_heads(
    root: np.ndarray,
    new: np.ndarray,
    failed: np.ndarray,
    infos: dict[int, NodeInfo],
    canonical: dict[int, tuple[str, int]],
    head: dict[int, int],
    matches: Matches,
    verified: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """In each all-new cluster with ``failed`` members (not verified against its canonical),
    the member of the canonical's tier verified against the most members becomes its
    canonical (``canonical`` and ``head`` are updated) when that is more than the canonical
    is verified against. Tried: the ``_HEAD_CANDIDATES`` of the tier with the most near
    links inside the cluster, then the best priority (so too on a tie of counts). Returns
    the new members that fail their canonical then."""
    roots = np.unique(root[failed]).tolist()
    roots = [r for r in roots if infos[head[r]].stored_canonical is None]
    if not roots:
        return failed
    links = _links_inside(root, matches)
    member_of = _members(root, new, roots)
    tried = {r: _head_candidates(member_of[r], head[r], infos, links) for r in roots}
    pairs = [(c, m) for r in roots for c in tried[r] for m in member_of[r].tolist() if m != c]
    if not pairs:
        return failed
    cand, member = np.array(pairs, np.int64).T
    passed = verified(cand, member)
    score: dict[int, int] = {}
    for c, ok in zip(cand.tolist(), passed.tolist(), strict=True):
        score[c] = score.get(c, 0) + ok
    failed_in = dict(zip(*np.unique(root[failed], return_counts=True), strict=True))
    changed = []
    for r in roots:
        best = max(tried[r], key=score.__getitem__, default=None)
        if best is None or score[best] <= len(member_of[r]) - 1 - failed_in[r]:
            continue
        changed.append(r)
        head[r], canonical[r] = best, infos[best].key
    out = [failed[~np.isin(root[failed], changed)]]
    lost = np.isin(cand, [head[r] for r in changed])
    out.append(member[lost & ~passed])
    return np.sort(np.concatenate(out))


def _members(root: np.ndarray, new: np.ndarray, roots: list[int]) -> dict[int, np.ndarray]:
    """The ``new`` nodes of each cluster of ``roots`` (ascending)."""
    order = np.argsort(root[new], kind="stable")
    by_root = root[new][order]
    start = np.searchsorted(by_root, roots, side="left")
    end = np.searchsorted(by_root, roots, side="right")
    members = new[order]
    return {r: members[a:b] for r, a, b in zip(roots, start.tolist(), end.tolist(), strict=True)}


def _links_inside(root: np.ndarray, matches: Matches) -> np.ndarray:
    """Per node, its near links to members of its own cluster (under ``root``)."""
    near = ~matches.contained & (root[matches.small] == root[matches.large])
    links = np.bincount(matches.small[near], minlength=len(root))
    return links + np.bincount(matches.large[near], minlength=len(root))


def _head_candidates(
    members: np.ndarray, head: int, infos: dict[int, NodeInfo], links: np.ndarray
) -> list[int]:
    """The members of ``head``'s tier but itself with the most near links inside the
    cluster (then the best priority): the ones tried as its canonical, best first."""
    tier = infos[head].tier
    same = [m for m in members.tolist() if m != head and infos[m].tier == tier]
    same.sort(key=lambda m: (-links[m], infos[m].priority))
    return same[:_HEAD_CANDIDATES]


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
