"""link_paragraphs: one run's new paragraphs against themselves and the stored index.

Stages: known rows (a re-run) keep their stored link; exact groups (same fingerprint) become
one node each and, when the fingerprint is already stored, join the stored cluster at once;
the remaining long, non-furniture nodes get MinHash band keys and sentence keys; every key
column is joined against the stored index and grouped into candidate pairs; each new text
keeps a budget of them (those sharing the most keys); pairs are verified exactly; clusters
and canonicals follow; each row is then described relative to its canonical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.arrays import take_ragged
from pipeline.dedup.candidates import bucket_pairs, unique_pairs, within_budget
from pipeline.dedup.cluster import Assignment, NodeInfo, assign
from pipeline.dedup.features import Features, extract_features
from pipeline.dedup.index import StoredIndex, band_column, id_table, index_schema
from pipeline.dedup.minhash import lsh_band_keys
from pipeline.dedup.nodes import Key, Nodes
from pipeline.dedup.pair_verification import Matches, accepted, verify_pairs
from pipeline.dedup.params import DedupParams
from pipeline.dedup.spans import SPAN_FIELDS, char_ranges, shared_spans, span_keys
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

LINK_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("idx", pa.int32()),
        ("fingerprint", pa.int64()),
        ("duplicate_of_article", pa.string()),
        ("duplicate_of_idx", pa.int32()),
        ("similarity", pa.float32()),
        ("dup_kind", pa.string()),
        *SPAN_FIELDS,
    ]
)

DEFAULT_PARAMS = DedupParams()


@dataclass(frozen=True, slots=True)
class Link:
    canonical: Key | None  # None: the row is its cluster's canonical (or unlinked)
    similarity: float | None = None
    kind: str | None = None
    #: A containment's shared text as word ranges [lo, hi) of the text and of its target
    words: tuple[int, int, int, int] | None = None
    #: ... or, for a link read back from the index, as the stored character spans
    chars: tuple[int | None, ...] | None = None


_NO_LINK = Link(None)


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
    (:func:`pipeline.dedup.features.feature_columns`, read back by ``features_of_table``).
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
        with cyclic_gc_paused():
            run = _Run(new.select(PARAGRAPH_INPUT.names), stored, params, workers, features)
            return run.result()
    finally:
        stored.close()


@dataclass(slots=True)
class _Group:
    """The rows of this run sharing one fingerprint; ``rep`` has the best priority."""

    fingerprint: int
    rows: list[int]
    rep: int
    attached: Link | None = None  # set when the fingerprint is already stored
    node: int = -1


class _Run:
    def __init__(
        self,
        new: pa.Table,
        stored: StoredIndex,
        params: DedupParams,
        workers: int,
        features: Features | None,
    ):
        self.params, self.stored, self.workers = params, stored, max(1, workers)
        self.table = new
        cols = new.to_pydict()
        self.article: list[str] = cols["article_id"]
        self.idx: list[int] = cols["idx"]
        self.published: list[str | None] = cols["published"]
        self.ingest: list[int] = cols["ingest_order"]
        self.truncated_given: list[bool | None] = cols["is_truncated"]
        self.truncated = [bool(t) for t in self.truncated_given]
        if features is None:
            texts = [t or "" for t in cols["text"]]
            features = extract_features(texts, params.min_sentence_words)
        self.feats = features
        self.nodes = Nodes(self.feats)
        self.group_of_node: dict[int, _Group] = {}
        self.bands = np.zeros((0, params.bands), np.int64)
        self.spans = (np.zeros(0, np.int64), np.zeros(1, np.int64))
        self.stats: dict[str, int] = {"paragraphs": len(self.article)}
        self.rank_rows()

    def key(self, row: int) -> Key:
        return (self.article[row], self.idx[row])

    def rank_rows(self) -> None:
        """Each row's position in canonical order: not cut off, earliest published (unknown
        last), first ingested, smallest id. Lower ranks win."""
        published = pc.rank(self.table["published"], tiebreaker="dense")  # nulls last
        article = pc.rank(self.table["article_id"], tiebreaker="dense")
        order = np.lexsort(
            (
                np.asarray(self.idx),
                article.to_numpy(),
                np.asarray(self.ingest),
                published.to_numpy(),
                np.asarray(self.truncated),
            )
        )
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        self.rank: list[int] = rank.tolist()

    def result(self) -> DedupResult:
        first_of_key, known = self.dedupe_ids()
        live = [r for r, first in enumerate(first_of_key) if first == r and r not in known]
        groups = self.group_exact(live)
        furniture = self.attach_stored_fingerprints(groups)
        free = [g for g in groups if g.attached is None]
        for g in free:
            g.node = self.nodes.add_new(self.key(g.rep), g.rep)
            self.group_of_node[g.node] = g
        reps = [
            g
            for g in free
            if g.fingerprint not in furniture and self.feats.n_words[g.rep] >= self.params.min_words
        ]
        reps.sort(key=lambda g: self.rank[g.rep])  # canonical order for the bucket heads
        self.stats["near_stage_texts"] = len(reps)
        matches = self.match(reps)
        self.detect_truncation(matches)
        assignments = assign(
            len(self.nodes), self.node_info, matches, self.verified, self.canonical_node
        )
        links = self.describe(groups, assignments)
        links.update(known)
        per_row = [links[first_of_key[r]] for r in range(len(self.article))]
        spans = self.char_spans(per_row)
        return DedupResult(
            self.links_table(per_row, spans),
            self.index_table(live, links, reps, spans),
            self.stats,
        )

    # -- exact stage -----------------------------------------------------------------------
    def dedupe_ids(self) -> tuple[list[int], dict[int, Link]]:
        """The first row of each (article_id, idx) (a repeated id is one paragraph), and the
        stored link of rows already in the index (a re-run never links a row to itself)."""
        ids = list(zip(self.article, self.idx, strict=True))
        first: dict[Key, int] = dict(zip(ids, range(len(ids)), strict=True))
        if len(first) < len(ids):  # repeated ids: keep the best-ranked row of each
            first = {}
            for r in sorted(range(len(ids)), key=self.rank.__getitem__):
                first.setdefault(ids[r], r)
        first_of_key = [first[k] for k in ids]
        known: dict[int, Link] = {}
        if self.stored and first:
            cols = "article_id, idx, canonical_article, canonical_idx, similarity, dup_kind, "
            cols += ", ".join(SPAN_FIELDS.names)
            for row in self.stored.rows_by_id(id_table(list(first)), cols).to_pylist():
                key = (row["article_id"], row["idx"])
                canon = (row["canonical_article"], row["canonical_idx"])
                own = canon == key
                chars = tuple(row[name] for name in SPAN_FIELDS.names)
                known[first[key]] = (
                    _NO_LINK
                    if own
                    else Link(canon, row["similarity"], row["dup_kind"], chars=chars)
                )
        self.stats["already_indexed"] = len(known)
        return first_of_key, known

    def group_exact(self, live: list[int]) -> list[_Group]:
        """Rows sharing a fingerprint, sorted by fingerprint; rows in canonical order."""
        self.stats["distinct_texts"] = 0
        if not live:
            return []
        rows = np.array(live, np.int64)
        fps = self.feats.fingerprint[rows]
        order = np.lexsort((np.array(self.rank, np.int64)[rows], fps))
        rows, fps = rows[order], fps[order]
        starts = np.flatnonzero(np.r_[True, fps[1:] != fps[:-1]])
        ordered, bounds = rows.tolist(), [*starts.tolist(), len(rows)]
        groups = [
            _Group(fp, ordered[lo:hi], ordered[lo])
            for fp, lo, hi in zip(fps[starts].tolist(), bounds[:-1], bounds[1:], strict=True)
        ]
        self.stats["distinct_texts"] = len(groups)
        return groups

    def attach_stored_fingerprints(self, groups: list[_Group]) -> set[int]:
        """Exact stage against the index. Returns the furniture fingerprints: texts found in
        more than ``furniture_max_articles`` articles, kept out of the near stage."""
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
        limit = self.params.furniture_max_articles
        furniture = {
            g.fingerprint
            for g in groups
            if len(g.rows) + stored_articles.get(g.fingerprint, 0) > limit  # else cannot exceed
            and len({self.article[r] for r in g.rows}) + stored_articles.get(g.fingerprint, 0)
            > limit
        }
        self.stats["furniture_texts"] = len(furniture)
        return furniture

    # -- near stage --------------------------------------------------------------------------
    def band_keys_of(self, reps: list[_Group]) -> np.ndarray:
        rows = np.array([g.rep for g in reps], np.int64)
        if self.feats.bands is not None:
            return self.feats.bands[rows]
        words, offsets = take_ragged(self.feats.word_hash, self.feats.word_offsets, rows)
        return lsh_band_keys(words, offsets, self.params, self.workers)

    def key_columns(self, reps: list[_Group]) -> list[tuple]:
        """(column name, keys, nodes) per LSH band and for sentence keys, rows in canonical
        order (``reps`` are sorted by rank)."""
        rep_nodes = np.array([g.node for g in reps], np.int64)
        columns = [(band_column(b), self.bands[:, b], rep_nodes) for b in range(self.params.bands)]
        rows = np.array([g.rep for g in reps], np.int64)
        f = self.feats
        sentence_keys, offsets = take_ragged(f.sentence_key, f.sentence_offsets, rows)
        columns.append(("sentence_keys", sentence_keys, np.repeat(rep_nodes, np.diff(offsets))))
        words, word_offsets = take_ragged(f.word_hash, f.word_offsets, rows)
        p = self.params
        self.spans = span_keys(words, word_offsets, p.span_words, p.span_window)
        span_nodes = np.repeat(rep_nodes, np.diff(self.spans[1]))
        columns.append(("span_keys", self.spans[0], span_nodes))
        return columns

    def match(self, reps: list[_Group]) -> Matches:
        if not reps:
            return Matches.empty()
        self.bands = self.band_keys_of(reps)
        columns = self.key_columns(reps)
        members = self.stored.bucket_members([(name, keys) for name, keys, _ in columns])
        candidates, shared = unique_pairs(
            self.column_pairs(column, stored, members.rows)
            for column, stored in zip(columns, members.columns, strict=True)
        )
        self.stats["candidate_pairs"] = len(candidates)
        is_new = np.asarray(self.nodes.rep_row) >= 0
        candidates = within_budget(candidates, shared, self.params.candidate_budget, is_new)
        self.stats["verified_pairs"] = len(candidates)
        self.nodes.load(self.stored)
        arrays = self.nodes.arrays()
        matches = verify_pairs(
            candidates, arrays.bigrams, arrays.words, arrays.n_words, arrays.cut_off, self.params
        )
        self.stats["verified_links"] = len(matches)
        return matches

    def column_pairs(
        self, column: tuple, stored: tuple[np.ndarray, np.ndarray], found: pa.Table
    ) -> np.ndarray:
        """Pairs of one key column; its stored members (keys, rows of ``found``) come first,
        in the priority order the index returns them (capped per key)."""
        _, keys, nodes = column
        stored_keys, stored_rows = stored
        keys = np.concatenate([stored_keys, keys])
        nodes = np.concatenate([self.nodes.stored_many(stored_rows, found), nodes])
        is_new = np.r_[
            np.zeros(len(stored_keys), bool), np.ones(len(nodes) - len(stored_keys), bool)
        ]
        return bucket_pairs(keys, nodes, is_new, self.params.hot_bucket_cap)

    # -- clusters and output -------------------------------------------------------------------
    def detect_truncation(self, matches: Matches) -> None:
        """A paragraph of unknown truncation that ends mid-sentence and is verified against a
        complete paragraph is a cut-off teaser: it must not be a cluster's canonical."""
        cut = self.nodes.arrays().cut_off
        small, large = matches.small, matches.large
        flagged = np.r_[small[cut[small] & ~cut[large]], large[cut[large] & ~cut[small]]]
        changed = False
        for node in np.unique(flagged).tolist():
            group = self.group_of_node.get(node)
            for r in group.rows if group is not None else ():
                if self.truncated_given[r] is None and not self.truncated[r]:
                    self.truncated[r] = changed = True
        if changed:
            self.rank_rows()

    def verified(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Whether each node pair (u[i], v[i]) verifies as a duplicate of either kind."""
        self.nodes.load(self.stored)
        a = self.nodes.arrays()
        pairs = np.stack([u, v], axis=1)
        return accepted(pairs, a.bigrams, a.words, a.n_words, a.cut_off, self.params)

    def node_info(self, n: int) -> NodeInfo:
        key = self.nodes.keys[n]
        group = self.group_of_node.get(n)
        if group is not None:
            return NodeInfo(key, (self.rank[group.rep],), None)
        row = self.nodes.stored_rows[n]
        pub = row["published"]
        priority = (bool(row["is_truncated"]), pub is None, pub or "", row["ingest_order"], *key)
        return NodeInfo(key, priority, (row["canonical_article"], row["canonical_idx"]))

    def describe(self, groups: list[_Group], assignments: dict[int, Assignment]) -> dict[int, Link]:
        """Each row's link to its canonical, with the exact similarity to that canonical."""
        links: dict[int, Link] = {}
        elsewhere: list[_Group] = []  # groups whose canonical has another text
        for g in groups:
            if g.attached is not None:
                links.update(dict.fromkeys(g.rows, g.attached))
                continue
            assigned = assignments.get(g.node)
            if assigned is None or assigned.canonical == self.nodes.keys[g.node]:
                links[g.rep] = _NO_LINK  # the canonical, always a group's representative
                if len(g.rows) > 1:
                    copy = Link(self.nodes.keys[g.node], 1.0, "exact")
                    links.update((r, copy) for r in g.rows if r != g.rep)
            else:
                elsewhere.append(g)
        for g, link in zip(elsewhere, self.links_elsewhere(elsewhere, assignments), strict=True):
            links.update(dict.fromkeys(g.rows, link))
        return links

    def links_elsewhere(
        self, groups: list[_Group], assignments: dict[int, Assignment]
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
        words = self.shared_words(nodes[spanned], target_node[spanned])
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

    def shared_words(
        self, nodes: np.ndarray, targets: np.ndarray
    ) -> list[tuple[int, int, int, int] | None]:
        """The shared word ranges of each (node, target) pair (None: no bigram in common)."""
        sides = [self.nodes.ragged_words(n) for n in (nodes, targets)]
        spans = shared_spans(*sides)
        return [None if row[0] < 0 or row[2] < 0 else tuple(row) for row in spans.tolist()]

    def char_spans(self, per_row: list[Link]) -> list[tuple[int | None, ...]]:
        """Per row, the character spans of its containment link (SPAN_FIELDS): the shared
        text in the row's own text, and in its target's when the target is a row of this
        run (a stored target's text is not at hand)."""
        none = (None,) * len(SPAN_FIELDS)
        out: list[tuple[int | None, ...]] = [link.chars or none for link in per_row]
        spanned = [r for r, link in enumerate(per_row) if link.words is not None]
        if not spanned:
            return out
        row_of = {self.key(x): x for x in range(len(self.article))}
        asked: list[tuple[int, int, int]] = []  # (row, first word, end word)
        for r in spanned:
            lo, hi, target_lo, target_hi = per_row[r].words  # type: ignore[misc]
            asked.append((r, lo, hi))
            asked.append((row_of.get(per_row[r].canonical, -1), target_lo, target_hi))
        rows = sorted({r for r, _, _ in asked if r >= 0})
        texts = self.table["text"].take(pa.array(rows, pa.int64())).to_pylist()
        where = {r: i for i, r in enumerate(rows)}
        found = char_ranges(
            [t or "" for t in texts],
            self.feats.n_words[rows],
            [(where.get(r, -1), lo, hi) for r, lo, hi in asked],
        )
        for k, r in enumerate(spanned):
            out[r] = (*(found[2 * k] or (None, None)), *(found[2 * k + 1] or (None, None)))
        return out

    def canonical_node(self, canonical: Key) -> int:
        """The node of a canonical: a new text's representative or a stored row."""
        if not hasattr(self, "_node_of_key"):
            self._node_of_key = {k: n for n, k in enumerate(self.nodes.keys)}
        if canonical not in self._node_of_key:
            self._node_of_key[canonical] = self.nodes.stored(canonical)
        return self._node_of_key[canonical]

    def links_table(self, per_row: list[Link], spans: list[tuple]) -> pa.Table:
        return pa.table(
            {
                **_span_columns(spans, range(len(per_row))),
                "article_id": self.article,
                "idx": self.idx,
                "fingerprint": self.feats.fingerprint,
                "duplicate_of_article": [lk.canonical and lk.canonical[0] for lk in per_row],
                "duplicate_of_idx": [lk.canonical and lk.canonical[1] for lk in per_row],
                "similarity": [lk.similarity for lk in per_row],
                "dup_kind": [lk.kind for lk in per_row],
            },
            schema=LINK_SCHEMA,
        )

    def index_table(
        self, live: list[int], links: dict[int, Link], reps: list[_Group], spans: list[tuple]
    ) -> pa.Table:
        """Rows for the index: every new paragraph; words, sentence and band keys only for the
        representatives that went through the near stage (copies match by fingerprint)."""
        rows = np.array(live, np.int64)
        rep_pos = np.full(len(self.article), -1, np.int64)
        rep_pos[[g.rep for g in reps]] = np.arange(len(reps))
        pos = rep_pos[rows]
        is_rep = pos >= 0
        canon = [links[r].canonical or self.key(r) for r in live]
        f = self.feats
        cols: dict[str, pa.Array | list | np.ndarray] = {
            "article_id": [self.article[r] for r in live],
            "idx": [self.idx[r] for r in live],
            "fingerprint": f.fingerprint[rows],
            "published": [self.published[r] for r in live],
            "ingest_order": [self.ingest[r] for r in live],
            "is_truncated": [self.truncated[r] for r in live],
            "ends_mid_sentence": f.ends_mid_sentence[rows],
            "n_words": f.n_words[rows].astype(np.int32),
            "canonical_article": [c[0] for c in canon],
            "canonical_idx": [c[1] for c in canon],
            "similarity": [links[r].similarity for r in live],
            "dup_kind": [links[r].kind for r in live],
            "words": _list_column(f.word_hash, f.word_offsets, rows, is_rep),
            "sentence_keys": _list_column(f.sentence_key, f.sentence_offsets, rows, is_rep),
            "span_keys": _rep_list_column(self.spans, pos, is_rep),
            **_span_columns(spans, live),
        }
        bands = np.zeros((len(rows), self.params.bands), np.int64)
        bands[is_rep] = self.bands[pos[is_rep]]
        for b in range(self.params.bands):
            cols[band_column(b)] = pa.array(bands[:, b], pa.int64(), mask=~is_rep)
        return pa.table(cols, schema=index_schema(self.params))


def _span_columns(spans: list[tuple], rows: Sequence[int]) -> dict[str, pa.Array]:
    return {
        name: pa.array([spans[r][i] for r in rows], pa.int32())
        for i, name in enumerate(SPAN_FIELDS.names)
    }


def _rep_list_column(
    ragged: tuple[np.ndarray, np.ndarray], pos: np.ndarray, is_rep: np.ndarray
) -> pa.Array:
    """A list array of the representatives' slices of ``ragged`` (``pos``: each row's
    position among the representatives), null on the other rows."""
    values, offsets = ragged
    rows = np.where(is_rep, pos, 0)
    return _list_column(values, offsets, rows, is_rep)


def _list_column(
    values: np.ndarray, offsets: np.ndarray, rows: np.ndarray, present: np.ndarray
) -> pa.Array:
    """A list array of the ``rows``' slices where ``present``, null elsewhere."""
    flat, kept_offsets = take_ragged(values, offsets, rows[present])
    counts = np.zeros(len(rows), np.int64)
    counts[present] = np.diff(kept_offsets)
    full = np.zeros(len(rows) + 1, np.int32)
    np.cumsum(counts, out=full[1:])
    return pa.ListArray.from_arrays(pa.array(full), pa.array(flat), mask=pa.array(~present))
