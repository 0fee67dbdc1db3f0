"""The exact stage: repeated ids, rows already stored, and rows sharing one fingerprint.

Rows already in the index keep their stored link (a re-run never links a row to itself);
rows sharing a fingerprint become one group, whose representative goes on to the near
stage unless the fingerprint is stored (the group joins the stored cluster at once) or is
furniture (a text in too many articles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipeline.dedup.index import StoredIndex, id_table
from pipeline.dedup.nodes import Key
from pipeline.dedup.run_rows import RunRows
from pipeline.dedup.spans import SPAN_FIELDS


@dataclass(frozen=True, slots=True)
class Link:
    """A row's link to its cluster's canonical."""

    canonical: Key | None  # None: the row is its cluster's canonical (or unlinked)
    similarity: float | None = None
    kind: str | None = None
    #: A containment's shared text as word ranges [lo, hi) of the text and of its target
    words: tuple[int, int, int, int] | None = None
    #: ... or, for a link read back from the index, as the stored character spans
    chars: tuple[int | None, ...] | None = None


NO_LINK = Link(None)


@dataclass(slots=True)
class Group:
    """The rows of this run sharing one fingerprint; ``rep`` has the best priority."""

    fingerprint: int
    rows: list[int]
    rep: int
    attached: Link | None = None  # set when the fingerprint is already stored
    node: int = -1


def first_of_ids(rows: RunRows) -> tuple[list[int], dict[Key, int]]:
    """Per row, the first row of its (article_id, idx) (a repeated id is one paragraph:
    its best-ranked row), and that first row per id."""
    ids = list(zip(rows.article, rows.idx, strict=True))
    first: dict[Key, int] = dict(zip(ids, range(len(ids)), strict=True))
    if len(first) < len(ids):  # repeated ids: keep the best-ranked row of each
        first = {}
        for r in sorted(range(len(ids)), key=rows.rank.__getitem__):
            first.setdefault(ids[r], r)
    return [first[k] for k in ids], first


def stored_links(stored: StoredIndex, first: dict[Key, int]) -> dict[int, Link]:
    """The stored link of each row (of ``first``) already in the index."""
    known: dict[int, Link] = {}
    if not stored or not first:
        return known
    cols = "article_id, idx, canonical_article, canonical_idx, similarity, dup_kind, "
    cols += ", ".join(SPAN_FIELDS.names)
    for row in stored.rows_by_id(id_table(list(first)), cols).to_pylist():
        key = (row["article_id"], row["idx"])
        canon = (row["canonical_article"], row["canonical_idx"])
        chars = tuple(row[name] for name in SPAN_FIELDS.names)
        known[first[key]] = (
            NO_LINK
            if canon == key
            else Link(canon, row["similarity"], row["dup_kind"], chars=chars)
        )
    return known


def group_exact(live: list[int], fingerprint: np.ndarray, rank: list[int]) -> list[Group]:
    """Rows sharing a fingerprint, sorted by fingerprint; rows in canonical order."""
    if not live:
        return []
    rows = np.array(live, np.int64)
    fps = fingerprint[rows]
    order = np.lexsort((np.array(rank, np.int64)[rows], fps))
    rows, fps = rows[order], fps[order]
    starts = np.flatnonzero(np.r_[True, fps[1:] != fps[:-1]])
    ordered, bounds = rows.tolist(), [*starts.tolist(), len(rows)]
    return [
        Group(fp, ordered[lo:hi], ordered[lo])
        for fp, lo, hi in zip(fps[starts].tolist(), bounds[:-1], bounds[1:], strict=True)
    ]


def attach_stored(groups: list[Group], stored: StoredIndex) -> dict[int, int]:
    """Attach each group whose fingerprint is stored to the stored cluster; returns the
    number of stored articles per stored fingerprint."""
    stored_articles: dict[int, int] = {}
    if not stored or not groups:
        return stored_articles
    fps = pa.table({"fingerprint": pa.array([g.fingerprint for g in groups], pa.int64())})
    by_fp = {g.fingerprint: g for g in groups}
    for row in stored.by_fingerprint(fps).to_pylist():
        canon = (row["canonical_article"], row["canonical_idx"])
        exact = row["has_canon"] or row["dup_kind"] is None
        by_fp[row["fingerprint"]].attached = (
            Link(canon, 1.0, "exact") if exact else Link(canon, row["similarity"], row["dup_kind"])
        )
        stored_articles[row["fingerprint"]] = row["n_articles"]
    return stored_articles


def furniture(
    groups: list[Group], stored_articles: dict[int, int], article: list[str], limit: int
) -> set[int]:
    """The furniture fingerprints: texts found in more than ``limit`` articles (of this run
    and stored), kept out of the near stage."""
    return {
        g.fingerprint
        for g in groups
        if len(g.rows) + stored_articles.get(g.fingerprint, 0) > limit  # else cannot exceed
        and len({article[r] for r in g.rows}) + stored_articles.get(g.fingerprint, 0) > limit
    }
