"""link_paragraphs: one run's new paragraphs against themselves and the stored index.

Stages: known rows (a re-run) keep their stored link; exact groups (same fingerprint) become
one node each and, when the fingerprint is already stored, join the stored cluster at once
(:mod:`pipeline.dedup.exact`); the remaining long, non-furniture nodes are matched against
each other and the stored index (:mod:`pipeline.dedup.near`); clusters and canonicals follow
(:mod:`pipeline.dedup.cluster`); each row is then described relative to its canonical
(:mod:`pipeline.dedup.describe`) and written out (:mod:`pipeline.dedup.tables`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.arrow_pool import arrow_system_pool
from pipeline.dedup.cluster import NodeInfo, assign
from pipeline.dedup.describe import LinkDescriber
from pipeline.dedup.exact import (
    Group,
    attach_stored,
    first_of_ids,
    furniture,
    group_exact,
    stored_links,
)
from pipeline.dedup.index import StoredIndex
from pipeline.dedup.near import NearStage
from pipeline.dedup.nodes import Key, Nodes
from pipeline.dedup.pair_verification import Matches, accepted
from pipeline.dedup.paragraph_features import Features, extract_features
from pipeline.dedup.params import DedupParams
from pipeline.dedup.run_rows import RunRows
from pipeline.dedup.tables import char_spans, index_table, links_table
from pipeline.gc_pause import cyclic_gc_paused

PARAGRAPH_INPUT = pa.schema(
    [
        ("article_id", pa.string()),
        ("idx", pa.int32()),
        ("text", pa.string()),
        ("published", pa.string()),
        ("ingest_order", pa.int64()),
        ("is_truncated", pa.bool_()),
    ]
)

DEFAULT_PARAMS = DedupParams()


@dataclass(slots=True)
class DedupResult:
    """``links``: one row per input paragraph (LINK_SCHEMA, input order). ``index_rows``: the
    rows to append to the index (index_schema(params), with its file metadata), one per new
    paragraph not already stored. ``stats``: counters for logs and benchmarks."""

    links: pa.Table
    index_rows: pa.Table
    stats: dict[str, int] = field(default_factory=dict)


def link_paragraphs(
    new: pa.Table,
    index_paths: Sequence[str],
    *,
    params: DedupParams = DEFAULT_PARAMS,
    workers: int = 1,
    features: Features | None = None,
) -> DedupResult:
    """Link every paragraph of ``new`` to the canonical of the earlier paragraphs it nearly
    duplicates, in this batch or in the stored index parts ``index_paths``.

    The result does not depend on the row order of ``new`` nor on ``workers`` (threads used
    for signatures). ``features`` are those of ``new``'s
    rows in order, when computed beforehand with the same ``params``
    (:func:`pipeline.dedup.paragraph_features.feature_columns`, read back by ``features_of_table``).
    """
    if params.min_words < params.shingle_words:
        raise ValueError("min_words must be at least shingle_words")
    missing = set(PARAGRAPH_INPUT.names) - set(new.column_names)
    if missing:
        raise ValueError(f"paragraph input lacks columns {sorted(missing)}")
    if features is not None and len(features.fingerprint) != new.num_rows:
        raise ValueError(f"{len(features.fingerprint)} feature rows for {new.num_rows} paragraphs")
    stored = StoredIndex(index_paths, params)
    try:
        with cyclic_gc_paused(), arrow_system_pool():
            run = _Run(new.select(PARAGRAPH_INPUT.names), stored, params, workers, features)
            return run.result()
    finally:
        stored.close()


class _Run:
    """One call of :func:`link_paragraphs`: the stages in order, and the node callbacks
    clustering asks for."""

    def __init__(
        self,
        new: pa.Table,
        stored: StoredIndex,
        params: DedupParams,
        workers: int,
        features: Features | None,
    ):
        self.params, self.stored = params, stored
        self.rows = RunRows(new)
        if features is None:
            texts = pc.fill_null(new["text"], "").combine_chunks()
            features = extract_features(texts, params.min_sentence_words)
        self.feats = features
        self.n_words: list[int] = features.n_words.tolist()  # for per-node lookups
        self.nodes = Nodes(self.feats)
        self.near = NearStage(self.feats, self.nodes, stored, params, max(1, workers))
        self.group_of_node: dict[int, Group] = {}
        self.node_of_key: dict[Key, int] | None = None
        self.furniture: set[int] = set()  # fingerprints kept out of the near stage
        self.stats: dict[str, int] = {"paragraphs": len(self.rows)}

    def result(self) -> DedupResult:
        rows = self.rows
        first_of_key, first = first_of_ids(rows)
        known = stored_links(self.stored, first)
        self.stats["already_indexed"] = len(known)
        live = [r for r, head in enumerate(first_of_key) if head == r and r not in known]
        groups = self.exact_groups(live)
        reps = self.near_stage_reps(groups)
        self.stats["near_stage_texts"] = len(reps)
        matches = self.near.match(reps, self.stats)
        self.detect_truncation(matches)
        assignments = assign(
            len(self.nodes), self.node_info, matches, self.verified, self.canonical_node
        )
        describer = LinkDescriber(self.nodes, self.stored, self.params, self.canonical_node)
        links = describer.describe(groups, assignments)
        links.update(known)
        per_row = [links[first_of_key[r]] for r in range(len(rows))]
        spans = char_spans(rows, self.feats.n_words, per_row)
        return DedupResult(
            links_table(rows, self.feats.fingerprint, per_row, spans),
            index_table(rows, self.feats, self.near, self.params, live, links, reps, spans),
            self.stats,
        )

    def exact_groups(self, live: list[int]) -> list[Group]:
        """The exact stage on the ``live`` rows: their groups, stored ones attached."""
        self.stats["distinct_texts"] = 0
        groups = group_exact(live, self.feats.fingerprint, self.rows.rank)
        self.stats["distinct_texts"] = len(groups)
        self.furniture = furniture(
            groups,
            attach_stored(groups, self.stored),
            self.rows.article,
            self.params.furniture_max_articles,
        )
        self.stats["furniture_texts"] = len(self.furniture)
        return groups

    def near_stage_reps(self, groups: list[Group]) -> list[Group]:
        """A node for each group not attached to a stored cluster; those long enough and not
        furniture go to the near stage, in canonical order (for the bucket heads)."""
        free = [g for g in groups if g.attached is None]
        for g in free:
            g.node = self.nodes.add_new(self.rows.key(g.rep), g.rep)
            self.group_of_node[g.node] = g
        reps = [
            g
            for g in free
            if g.fingerprint not in self.furniture and self.n_words[g.rep] >= self.params.min_words
        ]
        reps.sort(key=lambda g: self.rows.rank[g.rep])
        return reps

    def detect_truncation(self, matches: Matches) -> None:
        """A paragraph of unknown truncation that ends mid-sentence and is verified against a
        complete paragraph is a cut-off teaser: it must not be a cluster's canonical."""
        cut = self.nodes.arrays().cut_off
        small, large = matches.small, matches.large
        flagged = np.r_[small[cut[small] & ~cut[large]], large[cut[large] & ~cut[small]]]
        groups = (self.group_of_node.get(node) for node in np.unique(flagged).tolist())
        self.rows.mark_cut_off(r for group in groups if group is not None for r in group.rows)

    def verified(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Whether each node pair (u[i], v[i]) verifies as a duplicate of either kind."""
        self.nodes.load(self.stored)
        return accepted(np.stack([u, v], axis=1), self.nodes.arrays(), self.params)

    def node_info(self, n: int) -> NodeInfo:
        key = self.nodes.keys[n]
        group = self.group_of_node.get(n)
        if group is not None:
            articles = frozenset(map(self.rows.article.__getitem__, group.rows))
            rank, n_words = self.rows.rank[group.rep], self.n_words[group.rep]
            tier = self.rows.tier[group.rep]
            return NodeInfo(key, (rank,), tier, None, n_words, articles)
        row = self.nodes.stored_rows[n]
        pub = row["published"]
        priority = (bool(row["is_truncated"]), pub is None, pub or "", row["ingest_order"], *key)
        canonical = (row["canonical_article"], row["canonical_idx"])
        return NodeInfo(key, priority, 0, canonical, row["n_words"], frozenset([key[0]]))

    def canonical_node(self, canonical: Key) -> int:
        """The node of a canonical: a new text's representative or a stored row."""
        if self.node_of_key is None:
            self.node_of_key = {k: n for n, k in enumerate(self.nodes.keys)}
        if canonical not in self.node_of_key:
            self.node_of_key[canonical] = self.nodes.stored(canonical)
        return self.node_of_key[canonical]
