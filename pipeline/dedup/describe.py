"""Each row described relative to its canonical: exact copy, near duplicate or contained."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pipeline.dedup.cluster import Assignment
from pipeline.dedup.exact import NO_LINK, Group, Link
from pipeline.dedup.index import StoredIndex
from pipeline.dedup.nodes import Key, Nodes
from pipeline.dedup.params import DedupParams
from pipeline.dedup.spans import shared_spans


class LinkDescriber:
    """Describes rows against their canonicals (``canonical_node``: the node of a
    canonical's key)."""

    def __init__(
        self,
        nodes: Nodes,
        stored: StoredIndex,
        params: DedupParams,
        canonical_node: Callable[[Key], int],
    ) -> None:
        self.nodes, self.stored, self.params = nodes, stored, params
        self.canonical_node = canonical_node

    def describe(self, groups: list[Group], assignments: dict[int, Assignment]) -> dict[int, Link]:
        """Each row's link to its canonical, with the exact similarity to that canonical."""
        links: dict[int, Link] = {}
        elsewhere: list[Group] = []  # groups whose canonical has another text
        for g in groups:
            if g.attached is not None:
                links.update(dict.fromkeys(g.rows, g.attached))
                continue
            assigned = assignments.get(g.node)
            if assigned is None or assigned.canonical == self.nodes.keys[g.node]:
                links.update(self._own_cluster(g))
            else:
                elsewhere.append(g)
        for g, link in zip(elsewhere, self._links_elsewhere(elsewhere, assignments), strict=True):
            links.update(dict.fromkeys(g.rows, link))
        return links

    def _own_cluster(self, g: Group) -> dict[int, Link]:
        """The links of a group whose text is its cluster's canonical: none for the
        representative (a canonical is always one), exact copies for the other rows."""
        links = {g.rep: NO_LINK}
        if len(g.rows) > 1:
            copy = Link(self.nodes.keys[g.node], 1.0, "exact")
            links.update((r, copy) for r in g.rows if r != g.rep)
        return links

    def _links_elsewhere(
        self, groups: list[Group], assignments: dict[int, Assignment]
    ) -> list[Link]:
        """Links of texts whose canonical has another text: "near" with the bigram Jaccard,
        or "contained" with the share of the text found in the canonical; when a container's
        canonical is a shorter variant that lacks the text, the link points at the container."""
        if not groups:
            return []
        canon_nodes = [self.canonical_node(assignments[g.node].canonical) for g in groups]
        self.nodes.load(self.stored)
        sets = self.nodes.arrays().bigrams
        nodes = np.array([g.node for g in groups], np.int64)
        canon = np.array(canon_nodes, np.int64)
        container = np.array(
            [-1 if (c := assignments[g.node].container) is None else c for g in groups], np.int64
        )
        jac, share = sets.similarities(nodes, canon)
        fallback = (container >= 0) & (share < self.params.contain_threshold)
        share_container = np.zeros(len(groups))
        share_container[fallback] = sets.similarities(nodes[fallback], container[fallback])[1]
        in_canonical = share >= self.params.contain_threshold
        target_node = np.where(in_canonical, canon, container)
        spanned = np.flatnonzero(container >= 0)
        words = self._shared_words(nodes[spanned], target_node[spanned])
        span_of = dict(zip(spanned.tolist(), words, strict=True))
        out = []
        for i, g in enumerate(groups):
            target = assignments[g.node].canonical
            if container[i] < 0:
                out.append(Link(target, float(jac[i]), "near"))
            elif in_canonical[i]:
                out.append(Link(target, float(share[i]), "contained", span_of[i]))
            else:
                key = self.nodes.keys[container[i]]
                out.append(Link(key, float(share_container[i]), "contained", span_of[i]))
        return out

    def _shared_words(
        self, nodes: np.ndarray, targets: np.ndarray
    ) -> list[tuple[int, int, int, int] | None]:
        """The shared word ranges of each (node, target) pair (None: no bigram in common)."""
        sides = [self.nodes.ragged_words(n) for n in (nodes, targets)]
        spans = shared_spans(*sides)
        return [None if row[0] < 0 or row[2] < 0 else tuple(row) for row in spans.tolist()]
