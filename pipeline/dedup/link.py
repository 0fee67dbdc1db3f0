"""link_paragraphs: one run's new paragraphs against themselves and the stored index.

Stages: known rows (a re-run) keep their stored link; exact groups (same fingerprint) become
one node each and, when the fingerprint is already stored, join the stored cluster at once;
the remaining long, non-furniture nodes get MinHash band keys and sentence keys; every key
column is joined against the stored index and grouped into candidate pairs (in parallel);
pairs are verified exactly; clusters and canonicals follow; each row is then described
relative to its canonical.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pipeline.dedup.candidates import bucket_pairs, unique_pairs
from pipeline.dedup.cluster import Assignment, NodeInfo, assign
from pipeline.dedup.features import Features, extract_features, take_ragged
from pipeline.dedup.index import StoredIndex, band_column, index_schema
from pipeline.dedup.minhash import band_keys, shingle_hashes, signatures
from pipeline.dedup.params import DedupParams
from pipeline.dedup.verify import Match, bigram_set, containment, jaccard, verify_pairs

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

LINK_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("idx", pa.int32()),
        ("fingerprint", pa.int64()),
        ("duplicate_of_article", pa.string()),
        ("duplicate_of_idx", pa.int32()),
        ("similarity", pa.float32()),
        ("dup_kind", pa.string()),
    ]
)

Key = tuple[str, int]
DEFAULT_PARAMS = DedupParams()
_STORED_COLUMNS = (
    "article_id, idx, fingerprint, published, ingest_order, is_truncated, n_words, "
    "canonical_article, canonical_idx, words"
)


@dataclass(frozen=True, slots=True)
class Link:
    canonical: Key | None  # None: the row is its cluster's canonical (or unlinked)
    similarity: float | None = None
    kind: str | None = None


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
) -> DedupResult:
    """Link every paragraph of ``new`` to the canonical of the earlier paragraphs it nearly
    duplicates, in this batch or in the stored index parts ``index_paths``.

    The result does not depend on the row order of ``new`` nor on ``workers`` (threads used
    for signatures and for the per-band index joins).
    """
    if params.min_words < params.shingle_words:
        raise ValueError("min_words must be at least shingle_words")
    missing = set(PARAGRAPH_INPUT.names) - set(new.column_names)
    if missing:
        raise ValueError(f"paragraph input lacks columns {sorted(missing)}")
    stored = StoredIndex(index_paths, params)
    try:
        return _Run(new.select(PARAGRAPH_INPUT.names), stored, params, workers).result()
    finally:
        stored.close()


@dataclass(slots=True)
class _Group:
    """The rows of this run sharing one fingerprint; ``rep`` has the best priority."""

    fingerprint: int
    rows: list[int]
    rep: int
    attached: Link | None = None  # set when the fingerprint is already stored
    node: int | None = None


class _Run:
    def __init__(self, new: pa.Table, stored: StoredIndex, params: DedupParams, workers: int):
        self.params, self.stored, self.workers = params, stored, max(1, workers)
        cols = new.to_pydict()
        self.article: list[str] = cols["article_id"]
        self.idx: list[int] = cols["idx"]
        self.published: list[str | None] = cols["published"]
        self.ingest: list[int] = cols["ingest_order"]
        self.truncated_given: list[bool | None] = cols["is_truncated"]
        self.feats: Features = extract_features(
            [t or "" for t in cols["text"]], params.min_sentence_words
        )
        self.stats: dict[str, int] = {"paragraphs": len(self.article)}
        self.truncated = [bool(t) for t in self.truncated_given]
        self.stored_rows: dict[int, dict] = {}  # stored node -> its stored columns
        self.node_keys: list[Key] = []
        self.group_of_node: list[_Group | None] = []

    # -- priority and identity -------------------------------------------------------------
    def key(self, row: int) -> Key:
        return (self.article[row], self.idx[row])

    def row_priority(self, row: int) -> tuple:
        pub = self.published[row]
        return (self.truncated[row], pub is None, pub or "", self.ingest[row], *self.key(row))

    # -- stages ----------------------------------------------------------------------------
    def result(self) -> DedupResult:
        first_of_key, known = self.dedupe_ids()
        live = [r for r, first in enumerate(first_of_key) if first == r and r not in known]
        groups = self.group_exact(live)
        self.attach_stored_fingerprints(groups)
        free = [g for g in groups if g.attached is None]
        for g in free:
            g.node = self.add_node(self.key(g.rep), g)
        reps = self.near_candidates(free)
        matches = self.match(reps)
        self.detect_truncation(matches)
        assignments = assign(self.node_infos(), matches)
        links = self.describe(groups, assignments)
        links.update({r: known[r] for r in known})
        per_row = [links[first_of_key[r]] for r in range(len(self.article))]
        return DedupResult(
            self.links_table(per_row), self.index_table(live, links, reps), self.stats
        )

    def dedupe_ids(self) -> tuple[list[int], dict[int, Link]]:
        """The first row of each (article_id, idx) (a repeated id is one paragraph), and the
        stored link of rows already in the index (a re-run never links a row to itself)."""
        order = sorted(range(len(self.article)), key=self.row_priority)
        first: dict[Key, int] = {}
        for r in order:
            first.setdefault(self.key(r), r)
        first_of_key = [first[self.key(r)] for r in range(len(self.article))]
        known: dict[int, Link] = {}
        if self.stored and first:
            ids = _id_table(list(first))
            cols = "article_id, idx, canonical_article, canonical_idx, similarity, dup_kind"
            for row in self.stored.rows_by_id(ids, cols).to_pylist():
                canon = (row["canonical_article"], row["canonical_idx"])
                own = canon == (row["article_id"], row["idx"])
                known[first[(row["article_id"], row["idx"])]] = (
                    Link(None) if own else Link(canon, row["similarity"], row["dup_kind"])
                )
        self.stats["already_indexed"] = len(known)
        return first_of_key, known

    def group_exact(self, live: list[int]) -> list[_Group]:
        by_fp: dict[int, list[int]] = {}
        fps = self.feats.fingerprint.tolist()
        for r in live:
            by_fp.setdefault(fps[r], []).append(r)
        groups = [
            _Group(fp, rows, min(rows, key=self.row_priority)) for fp, rows in sorted(by_fp.items())
        ]
        self.stats["distinct_texts"] = len(groups)
        return groups

    def attach_stored_fingerprints(self, groups: list[_Group]) -> None:
        """Exact stage against the index; also flags furniture (texts in too many articles)."""
        stored_articles: dict[int, int] = {}
        if self.stored and groups:
            fps = pa.table({"fingerprint": pa.array([g.fingerprint for g in groups], pa.int64())})
            by_fp = {g.fingerprint: g for g in groups}
            for row in self.stored.by_fingerprint(fps).to_pylist():
                canon = (row["canonical_article"], row["canonical_idx"])
                exact = row["has_canon"] or row["dup_kind"] is None
                by_fp[row["fingerprint"]].attached = (
                    Link(canon, 1.0, "exact")
                    if exact
                    else Link(canon, row["similarity"], row["dup_kind"])
                )
                stored_articles[row["fingerprint"]] = row["n_articles"]
        self.furniture = {
            g.fingerprint
            for g in groups
            if len({self.article[r] for r in g.rows}) + stored_articles.get(g.fingerprint, 0)
            > self.params.furniture_max_articles
        }
        self.stats["furniture_texts"] = len(self.furniture)

    def near_candidates(self, free: list[_Group]) -> list[_Group]:
        n_words = self.feats.n_words
        reps = [
            g
            for g in free
            if g.fingerprint not in self.furniture and n_words[g.rep] >= self.params.min_words
        ]
        self.stats["near_stage_texts"] = len(reps)
        return reps

    def add_node(self, key: Key, group: _Group | None) -> int:
        self.node_keys.append(key)
        self.group_of_node.append(group)
        return len(self.node_keys) - 1

    # -- near stage --------------------------------------------------------------------------
    def signatures_of(self, reps: list[_Group]) -> np.ndarray:
        p = self.params
        rows = np.array([g.rep for g in reps], np.int64)
        words, offsets = take_ragged(self.feats.word_hash, self.feats.word_offsets, rows)
        shingles, sh_offsets = shingle_hashes(words, offsets, p.shingle_words)
        sig = signatures(shingles, sh_offsets, p.num_perm, p.seed, self.workers)
        return band_keys(sig, p.bands, p.rows)

    def match(self, reps: list[_Group]) -> list[Match]:
        if not reps:
            self.bands = np.zeros((0, self.params.bands), np.int64)
            return []
        self.bands = self.signatures_of(reps)
        rep_nodes = np.array([g.node for g in reps], np.int64)
        rank = np.empty(len(reps), np.int64)
        by_priority = sorted(range(len(reps)), key=lambda i: self.row_priority(reps[i].rep))
        rank[by_priority] = np.arange(len(reps))
        sent_counts = [len(self.feats.sentences(g.rep)) for g in reps]
        columns = [
            (band_column(b), self.bands[:, b], rep_nodes, rank) for b in range(self.params.bands)
        ]
        columns.append(
            (
                "sentence_keys",
                np.concatenate([self.feats.sentences(g.rep) for g in reps]),
                np.repeat(rep_nodes, sent_counts),
                np.repeat(rank, sent_counts),
            )
        )
        with ThreadPoolExecutor(self.workers) as pool:
            stored_members = list(pool.map(self.stored_bucket_members, columns))
        pairs = [
            self.column_pairs(col, members)
            for col, members in zip(columns, stored_members, strict=True)
        ]
        candidates = unique_pairs(pairs)
        self.stats["candidate_pairs"] = len(candidates)
        self.load_stored_nodes()
        bigrams: dict[int, frozenset[int]] = {}

        def node_bigrams(n: int) -> frozenset[int]:
            if n not in bigrams:
                bigrams[n] = bigram_set(self.node_words(n))
            return bigrams[n]

        matches = verify_pairs(
            candidates, node_bigrams, self.node_n_words, self.node_cut_off, self.params
        )
        self.node_bigrams = node_bigrams
        self.stats["verified_links"] = len(matches)
        return matches

    def stored_bucket_members(self, column: tuple) -> pa.Table | None:
        name, keys, _, _ = column
        if not self.stored or len(keys) == 0:
            return None
        return self.stored.bucket_members(name, pa.table({"key": np.unique(keys)}))

    def column_pairs(self, column: tuple, stored: pa.Table | None) -> np.ndarray:
        """Pairs of one key column; stored members rank before new ones (by stored priority,
        as the index query returns them capped and ordered)."""
        _, keys, nodes, rank = column
        is_new = np.ones(len(keys), bool)
        if stored is not None and stored.num_rows:
            stored = stored.sort_by([("key", "ascending"), ("rank", "ascending")])
            ids = zip(stored["article_id"].to_pylist(), stored["idx"].to_pylist(), strict=True)
            s_nodes = np.array([self.stored_node(k) for k in ids], np.int64)
            keys = np.concatenate([stored["key"].to_numpy(), keys])
            nodes = np.concatenate([s_nodes, nodes])
            s_rank = stored["rank"].to_numpy().astype(np.int64) - self.params.hot_bucket_cap - 1
            rank = np.concatenate([s_rank, rank])
            is_new = np.r_[np.zeros(len(s_nodes), bool), is_new]
        return bucket_pairs(keys, nodes, rank, is_new, self.params.hot_bucket_cap)

    def stored_node(self, key: Key) -> int:
        if not hasattr(self, "_stored_ids"):
            self._stored_ids: dict[Key, int] = {}
        if key not in self._stored_ids:
            self._stored_ids[key] = self.add_node(key, None)
        return self._stored_ids[key]

    def load_stored_nodes(self) -> None:
        """Fetch the stored columns of stored nodes not loaded yet, in one semi-join."""
        ids = getattr(self, "_stored_ids", {})
        missing = [k for k, n in ids.items() if n not in self.stored_rows]
        if not missing:
            return
        for row in self.stored.rows_by_id(_id_table(missing), _STORED_COLUMNS).to_pylist():
            self.stored_rows[ids[(row["article_id"], row["idx"])]] = row

    def node_words(self, n: int) -> np.ndarray:
        group = self.group_of_node[n]
        if group is not None:
            return self.feats.words(group.rep)
        return np.array(self.stored_rows[n]["words"] or [], np.uint32)

    def node_cut_off(self, n: int) -> bool:
        """Ends mid-sentence (new) or was found truncated (stored)."""
        group = self.group_of_node[n]
        if group is not None:
            return bool(self.feats.ends_mid_sentence[group.rep])
        return bool(self.stored_rows[n]["is_truncated"])

    def node_n_words(self, n: int) -> int:
        group = self.group_of_node[n]
        if group is not None:
            return int(self.feats.n_words[group.rep])
        return int(self.stored_rows[n]["n_words"])

    # -- clusters and output -------------------------------------------------------------------
    def detect_truncation(self, matches: list[Match]) -> None:
        """A paragraph of unknown truncation that ends mid-sentence and is verified against a
        complete paragraph is a cut-off teaser: it must not be a cluster's canonical."""
        for m in matches:
            for node, partner in ((m.small, m.large), (m.large, m.small)):
                group = self.group_of_node[node]
                if group is None or not self.feats.ends_mid_sentence[group.rep]:
                    continue
                if self.is_complete(partner, longer_than=self.node_n_words(node)):
                    for r in group.rows:
                        if self.truncated_given[r] is None:
                            self.truncated[r] = True

    def is_complete(self, node: int, longer_than: int) -> bool:
        """Whether a node is a paragraph that is not cut off (a stored row does not record how
        it ends: it counts as complete when it is longer and not marked truncated)."""
        group = self.group_of_node[node]
        if group is not None:
            return not self.feats.ends_mid_sentence[group.rep]
        row = self.stored_rows[node]
        return not row["is_truncated"] and row["n_words"] > longer_than

    def node_infos(self) -> list[NodeInfo]:
        infos = []
        for n, key in enumerate(self.node_keys):
            group = self.group_of_node[n]
            if group is not None:
                infos.append(NodeInfo(key, self.row_priority(group.rep), None))
                continue
            row = self.stored_rows[n]
            pub = row["published"]
            truncated = bool(row["is_truncated"])
            priority = (truncated, pub is None, pub or "", row["ingest_order"], *key)
            infos.append(NodeInfo(key, priority, (row["canonical_article"], row["canonical_idx"])))
        return infos

    def describe(self, groups: list[_Group], assignments: list[Assignment]) -> dict[int, Link]:
        """Each row's link to its canonical, with the exact similarity to that canonical."""
        node_of_key = {k: n for n, k in enumerate(self.node_keys)}
        for a in assignments:
            if a.canonical not in node_of_key and self.stored:
                node_of_key[a.canonical] = self.stored_node(a.canonical)
        self.load_stored_nodes()
        links: dict[int, Link] = {}
        for g in groups:
            if g.attached is not None:
                links.update(dict.fromkeys(g.rows, g.attached))
                continue
            assert g.node is not None
            a = assignments[g.node]
            for r in g.rows:
                links[r] = self.link_to(r, g, a, node_of_key)
        return links

    def link_to(self, row: int, group: _Group, a: Assignment, node_of_key: dict) -> Link:
        if self.key(row) == a.canonical:
            return Link(None)
        if any(self.key(r) == a.canonical for r in group.rows):
            return Link(a.canonical, 1.0, "exact")
        mine, theirs = self.node_bigrams(group.node), self.node_bigrams(node_of_key[a.canonical])
        if a.container is None:
            return Link(a.canonical, jaccard(mine, theirs), "near")
        share = containment(mine, theirs)
        if share >= self.params.contain_threshold:
            return Link(a.canonical, share, "contained")
        # The container's canonical is a shorter variant that lacks this paragraph's text:
        # point at the container itself, which holds it.
        share = containment(mine, self.node_bigrams(a.container))
        return Link(self.node_keys[a.container], share, "contained")

    def links_table(self, per_row: list[Link]) -> pa.Table:
        return pa.table(
            {
                "article_id": self.article,
                "idx": self.idx,
                "fingerprint": self.feats.fingerprint,
                "duplicate_of_article": [
                    lk.canonical[0] if lk.canonical else None for lk in per_row
                ],
                "duplicate_of_idx": [lk.canonical[1] if lk.canonical else None for lk in per_row],
                "similarity": [lk.similarity for lk in per_row],
                "dup_kind": [lk.kind for lk in per_row],
            },
            schema=LINK_SCHEMA,
        )

    def index_table(self, live: list[int], links: dict[int, Link], reps: list[_Group]) -> pa.Table:
        """Rows for the index: every new paragraph; words, sentence and band keys only for the
        representatives that went through the near stage (copies match by fingerprint)."""
        rows = np.array(live, np.int64)
        rep_pos = np.full(len(self.article), -1, np.int64)
        rep_pos[[g.rep for g in reps]] = np.arange(len(reps))
        pos = rep_pos[rows]
        is_rep = pos >= 0
        canon = [links[r].canonical or self.key(r) for r in live]
        cols: dict[str, pa.Array | list] = {
            "article_id": [self.article[r] for r in live],
            "idx": [self.idx[r] for r in live],
            "fingerprint": self.feats.fingerprint[rows],
            "published": [self.published[r] for r in live],
            "ingest_order": [self.ingest[r] for r in live],
            "is_truncated": [self.truncated[r] for r in live],
            "n_words": self.feats.n_words[rows].astype(np.int32),
            "canonical_article": [c[0] for c in canon],
            "canonical_idx": [c[1] for c in canon],
            "similarity": [links[r].similarity for r in live],
            "dup_kind": [links[r].kind for r in live],
            "words": _list_column(self.feats.word_hash, self.feats.word_offsets, rows, is_rep),
            "sentence_keys": _list_column(
                self.feats.sentence_key, self.feats.sentence_offsets, rows, is_rep
            ),
        }
        bands = np.zeros((len(rows), self.params.bands), np.int64)
        bands[is_rep] = self.bands[pos[is_rep]]
        for b in range(self.params.bands):
            cols[band_column(b)] = pa.array(bands[:, b], pa.int64(), mask=~is_rep)
        return pa.table(cols, schema=index_schema(self.params))


def _list_column(
    values: np.ndarray, offsets: np.ndarray, rows: np.ndarray, present: np.ndarray
) -> pa.Array:
    """A list array of the ``rows``' slices where ``present``, null elsewhere."""
    flat, new_offsets = take_ragged(values, offsets, rows[present])
    counts = np.zeros(len(rows), np.int64)
    counts[present] = np.diff(new_offsets)
    full = np.zeros(len(rows) + 1, np.int32)
    np.cumsum(counts, out=full[1:])
    return pa.ListArray.from_arrays(pa.array(full), pa.array(flat), mask=pa.array(~present))


def _id_table(keys: list[Key]) -> pa.Table:
    return pa.table(
        {"article_id": [k[0] for k in keys], "idx": pa.array([k[1] for k in keys], pa.int32())}
    )
