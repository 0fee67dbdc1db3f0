"""The persisted dedup index: its schema and file metadata, and queries against stored parts.

One row per paragraph ever linked. Every row carries its cluster's canonical; rows that
entered the near stage also carry their words (for exact verification), sentence keys and one
column per LSH band. Stored parts are only ever read through DuckDB with projection and
semi-joins against this run's keys, so memory follows the matches, not the index size.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.dedup.params import DedupParams
from pipeline.normalize import NORMALIZER_VERSION

INDEX_FORMAT = "2"
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

    def bucket_members(self, column: str, keys: pa.Table) -> pa.Table:
        """Stored rows whose ``column`` (a band column or ``sentence_keys``) holds one of
        ``keys``, at most ``hot_bucket_cap`` per key in canonical-priority order."""
        # Only the columns the ranking needs: a bare * would read every stored column (words,
        # all bands) of every part, so memory would grow with the index instead of the matches.
        needed = "article_id, idx, is_truncated, published, ingest_order"
        if column == "sentence_keys":
            source = (
                f"(SELECT {needed}, unnest(sentence_keys) AS key FROM {{index}} "
                "WHERE sentence_keys IS NOT NULL)"
            )
        else:
            source = f"(SELECT {needed}, {column} AS key FROM {{index}} WHERE {column} IS NOT NULL)"
        return self._query(
            f"""
            SELECT key, article_id, idx,
                   row_number() OVER (PARTITION BY key ORDER BY {PRIORITY_SQL}) AS rank
            FROM {source} SEMI JOIN keys USING (key)
            QUALIFY rank <= {int(self.params.hot_bucket_cap)}
            ORDER BY key, rank
            """,
            keys=keys,
        )


def id_table(keys: Sequence[tuple[str, int]]) -> pa.Table:
    """An (article_id, idx) table to semi-join the index with."""
    return pa.table(
        {"article_id": [k[0] for k in keys], "idx": pa.array([k[1] for k in keys], pa.int32())}
    )
