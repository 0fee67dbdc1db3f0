"""The persisted dedup index: its schema and file metadata, and queries against stored parts.

One row per paragraph ever linked. Every row carries its cluster's canonical; rows that
entered the near stage also carry their words (for exact verification), sentence keys and one
column per LSH band. Stored parts are only ever read through DuckDB with projection and
semi-joins against this run's keys, so memory follows the matches, not the index size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.arrays import distinct_sorted, run_positions
from pipeline.dedup.params import DedupParams
from pipeline.dedup.spans import SPAN_FIELDS
from pipeline.normalize import NORMALIZER_VERSION

INDEX_FORMAT = "3"
META_PARAMS = b"dedup_params"
META_NORMALIZER = b"normalizer_version"
META_FORMAT = b"dedup_index_format"

#: Order in which a cluster's members compete to be canonical: not a cut-off teaser, then
#: earliest published (unknown last), then first ingested, then smallest id.
PRIORITY_SQL = "is_truncated, published NULLS LAST, ingest_order, article_id, idx"


def band_column(band: int) -> str:
    return f"band_{band:02d}"


def index_schema(params: DedupParams) -> pa.Schema:
    base = [
        ("article_id", pa.string()),
        ("idx", pa.int32()),
        ("fingerprint", pa.int64()),
        ("published", pa.string()),
        ("ingest_order", pa.int64()),
        ("is_truncated", pa.bool_()),
        ("ends_mid_sentence", pa.bool_()),
        ("n_words", pa.int32()),
        ("canonical_article", pa.string()),
        ("canonical_idx", pa.int32()),
        ("similarity", pa.float32()),
        ("dup_kind", pa.string()),
        ("words", pa.list_(pa.uint32())),
        ("sentence_keys", pa.list_(pa.int64())),
        ("span_keys", pa.list_(pa.int64())),
        *((f.name, f.type) for f in SPAN_FIELDS),
    ]
    bands = [(band_column(b), pa.int64()) for b in range(params.bands)]
    return pa.schema(base + bands, metadata=index_metadata(params))


def index_metadata(params: DedupParams) -> dict[bytes, bytes]:
    """Key-value metadata every index Parquet file must carry."""
    return {
        META_PARAMS: params.to_json().encode(),
        META_NORMALIZER: str(NORMALIZER_VERSION).encode(),
        META_FORMAT: INDEX_FORMAT.encode(),
    }


def check_compatible(paths: Sequence[str], params: DedupParams) -> None:
    """Refuse index parts of another format, normaliser or signature parameters."""
    for path in paths:
        meta = pq.read_schema(path).metadata or {}
        if meta.get(META_FORMAT) != INDEX_FORMAT.encode():
            raise ValueError(f"{path}: not a dedup index of format {INDEX_FORMAT}; rebuild it")
        if meta.get(META_NORMALIZER) != str(NORMALIZER_VERSION).encode():
            raise ValueError(f"{path}: built with another normaliser version; rebuild the index")
        stored = DedupParams.from_json(meta.get(META_PARAMS, b"{}").decode())
        if not params.signature_compatible(stored):
            raise ValueError(f"{path}: built with other MinHash parameters ({stored})")


class StoredIndex:
    """Read-only queries against existing index parts (possibly none)."""

    def __init__(self, paths: Sequence[str], params: DedupParams) -> None:
        check_compatible(paths, params)
        self.paths = list(paths)
        self.params = params
        self._con = duckdb.connect()

    def __bool__(self) -> bool:
        return bool(self.paths)

    def close(self) -> None:
        self._con.close()

    def _query(self, sql: str, **tables: pa.Table) -> pa.Table:
        cur = self._con.cursor()
        try:
            for name, table in tables.items():
                cur.register(name, table)
            source = f"read_parquet({self.paths!r})"
            return cur.sql(sql.replace("{index}", source)).arrow().read_all()
        finally:
            cur.close()

    def rows_by_id(self, ids: pa.Table, columns: str) -> pa.Table:
        """Stored rows whose (article_id, idx) is in ``ids``."""
        return self._query(
            f"SELECT {columns} FROM {{index}} i SEMI JOIN ids USING (article_id, idx)", ids=ids
        )

    def by_fingerprint(self, fingerprints: pa.Table) -> pa.Table:
        """Per stored fingerprint in ``fingerprints``: its cluster, the link a new copy of the
        text inherits, and the number of distinct articles holding it."""
        return self._query(
            """
            SELECT fingerprint, canonical_article, canonical_idx,
                   bool_or(article_id = canonical_article AND idx = canonical_idx) AS has_canon,
                   min_by(dup_kind, (article_id, idx)) AS dup_kind,
                   min_by(similarity, (article_id, idx)) AS similarity,
                   count(DISTINCT article_id) AS n_articles
            FROM {index} SEMI JOIN fingerprints USING (fingerprint)
            GROUP BY fingerprint, canonical_article, canonical_idx
            QUALIFY row_number() OVER (PARTITION BY fingerprint
                                       ORDER BY canonical_article, canonical_idx) = 1
            """,
            fingerprints=fingerprints,
        )

    def bucket_members(self, columns: Sequence[tuple[str, np.ndarray]]) -> BucketMembers:
        """The stored members of the buckets of each (key column, keys): rows whose column (a
        band column or ``sentence_keys``) holds one of the keys, at most ``hot_bucket_cap``
        per key in canonical-priority order.

        Each column's query reads only that column and the rows' positions; the ids and
        priority columns are read once, for the rows found (a query per column reading them
        would scan them once per band)."""
        if not self.paths:
            return BucketMembers(id_table([]), [(_NO_IDS, _NO_IDS) for _ in columns])
        found = [self._key_matches(name, keys) for name, keys in columns]
        row_ids = distinct_sorted(np.concatenate([rows for _, rows in found] or [_NO_IDS]))
        rows = self._ranked_rows(row_ids)
        by_id = np.argsort(rows["row_id"].to_numpy())
        sorted_ids = rows["row_id"].to_numpy()[by_id]
        rank = rows["rank"].to_numpy()
        cap = self.params.hot_bucket_cap
        capped = []
        for keys, ids in found:
            positions = by_id[np.searchsorted(sorted_ids, ids)]
            capped.append(_first_per_key(keys, positions, rank[positions], cap))
        return BucketMembers(rows.select(["article_id", "idx"]), capped)

    def _ranked_rows(self, row_ids: np.ndarray) -> pa.Table:
        """The stored rows ``row_ids`` (row_id, article_id, idx, and rank: their position in
        canonical-priority order), in (article_id, idx) order."""
        return self._query(
            f"""
            SELECT row_id, article_id, idx, row_number() OVER (ORDER BY {PRIORITY_SQL}) AS rank
            FROM (SELECT {_ROW_ID_SQL} AS row_id, article_id, idx, is_truncated, published,
                         ingest_order FROM {{index}})
            SEMI JOIN found USING (row_id)
            ORDER BY article_id, idx
            """,
            found=pa.table({"row_id": row_ids}),
        )

    def _key_matches(self, column: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(key, row id) of every stored row whose ``column`` holds one of ``keys``."""
        if len(keys) == 0:
            return _NO_IDS, _NO_IDS
        value = f"unnest({column})" if column in _LIST_COLUMNS else column
        table = self._query(
            f"""
            SELECT key, row_id
            FROM (SELECT {value} AS key, {_ROW_ID_SQL} AS row_id FROM {{index}})
            SEMI JOIN keys USING (key)
            """,
            keys=pa.table({"key": distinct_sorted(keys.copy())}),
        )
        return table["key"].to_numpy(), table["row_id"].to_numpy()


#: A stored row's id within one StoredIndex: its part's position in the list of paths, and
#: its row number in that part (a part holds fewer than 2**32 rows).
_ROW_ID_SQL = "(file_index::BIGINT << 32) | file_row_number"
_NO_IDS = np.zeros(0, np.int64)
#: Key columns holding a list of keys per row (the others hold one LSH band key).
_LIST_COLUMNS = ("sentence_keys", "span_keys")


@dataclass(frozen=True, slots=True)
class BucketMembers:
    """What :meth:`StoredIndex.bucket_members` found: ``rows``, the distinct stored rows
    (article_id, idx) in (article_id, idx) order, and per key column the (keys, positions in
    ``rows``) of its members, by key and then canonical priority."""

    rows: pa.Table
    columns: list[tuple[np.ndarray, np.ndarray]]


def _first_per_key(
    keys: np.ndarray, rows: np.ndarray, priority: np.ndarray, cap: int
) -> tuple[np.ndarray, np.ndarray]:
    """(keys, rows) sorted by key and then priority, only the first ``cap`` rows of each key."""
    order = np.lexsort((priority, keys))
    keys, rows = keys[order], rows[order]
    keep = run_positions(keys) < cap
    return keys[keep], rows[keep]


def id_table(keys: Sequence[tuple[str, int]]) -> pa.Table:
    """An (article_id, idx) table to semi-join the index with."""
    return pa.table(
        {"article_id": [k[0] for k in keys], "idx": pa.array([k[1] for k in keys], pa.int32())}
    )
