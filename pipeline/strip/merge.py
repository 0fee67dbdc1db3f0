"""Merging line-count tables into one statistics snapshot, within a fixed memory budget.

Every batch of a run writes a partial table (:func:`pipeline.strip.stats.count_lines`); the
run folds them, with the stored snapshot, into the next snapshot. The fold is a DuckDB query
over the Parquet files themselves, so the merge's memory does not grow with the run (an
in-memory merge of a 100k-article run held several GB): the keys are split into as many
hash partitions as the input needs for each to fit the memory budget, each partition is
merged into a scratch file, and the result is streamed out of those in record batches.

The merge is associative and commutative: docs and terms add up, and the bottom-k sketch of
a union is the bottom-k of the union of the sketches.
"""

from __future__ import annotations

import glob
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.normalize import NORMALIZER_VERSION
from pipeline.strip.stats import LINE_STATS_SCHEMA, SKETCH_SIZE

#: A merged table over this many rows first drops the keys seen in a single document.
DEFAULT_MAX_ROWS = 500_000
#: DuckDB's budget for the merge; past it, DuckDB spills to the scratch directory.
DEFAULT_MEMORY_LIMIT = "256MB"
#: Input rows merged in one partition: about 220 MB of rows with 64-value sketches, which
#: DuckDB merges within the default budget (it needed ~130 MB for 460k rows).
PARTITION_ROWS = 400_000
#: Rows per record batch of the result.
_BATCH_ROWS = 20_000

# Most keys occur in one input row: they pass through, and only repeated keys are grouped.
_MERGE = f"""
    WITH line_rows AS (
        SELECT normalizer, outlet, key, docs, terms, sketch
        FROM {{source}} WHERE normalizer = {NORMALIZER_VERSION}
    ), counted AS (
        SELECT *, count(*) OVER (PARTITION BY outlet, key) AS n FROM line_rows
    )
    SELECT normalizer, outlet, key, docs, terms, sketch FROM counted WHERE n = 1
    UNION ALL
    SELECT normalizer, outlet, key, sum(docs)::BIGINT, sum(terms)::BIGINT,
           list_slice(list_sort(list_distinct(flatten(list(sketch))), 'ASC'), 1, {SKETCH_SIZE})
    FROM counted WHERE n > 1 GROUP BY normalizer, outlet, key
"""


@contextmanager
def merged_count_files(
    paths: Sequence[str],
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    partition_rows: int = PARTITION_ROWS,
    threads: int = 1,
) -> Iterator[Iterator[pa.RecordBatch]]:
    """The merge of the line-count Parquet files ``paths`` (local paths) as record batches of
    :data:`LINE_STATS_SCHEMA`, in a deterministic order (by key partition, outlet and key).

    To stay bounded, a merged table over ``max_rows`` rows drops the keys seen in a single
    document, then keeps the keys seen in the most documents (``max_rows`` rows, or a few
    more when the last key kept has rows in several outlets). Furniture is not lost that way:
    it recurs in nearly every article of its outlet, so any batch with two articles from that
    outlet counts it twice and the row survives. DuckDB runs ``threads`` threads on input
    that fits one partition; larger input is merged in one thread, within the budget.
    """
    rows = sum(pq.read_metadata(path).num_rows for path in paths)
    with tempfile.TemporaryDirectory(prefix="line-stats-merge-") as scratch:
        con = _connect(scratch, memory_limit, threads)
        try:
            if not paths:
                yield iter(())
            elif rows <= min(max_rows, partition_rows):  # merged straight to the output
                yield _batches(con, _merged_query(_read_parquet(paths)))
            else:
                parts = _merge_partitions(con, scratch, paths, rows, partition_rows)
                yield _capped(con, parts, max_rows)
        finally:
            con.close()


def merge_counts(tables: Sequence[pa.Table], *, max_rows: int = DEFAULT_MAX_ROWS) -> pa.Table:
    """:func:`merged_count_files` for tables in memory (small tables: tests, tools)."""
    with tempfile.TemporaryDirectory(prefix="line-counts-") as folder:
        paths = []
        for i, table in enumerate(tables):
            paths.append(os.path.join(folder, f"{i:06d}.parquet"))
            pq.write_table(table.select(LINE_STATS_SCHEMA.names), paths[-1])
        with merged_count_files(paths, max_rows=max_rows) as batches:
            return pa.Table.from_batches(list(batches), LINE_STATS_SCHEMA)


def _merge_partitions(
    con: duckdb.DuckDBPyConnection,
    scratch: str,
    paths: Sequence[str],
    rows: int,
    partition_rows: int,
) -> list[str]:
    """Merge the input (``rows`` rows) in hash partitions of the key, one scratch file each."""
    count = max(1, math.ceil(rows / partition_rows))
    if count > 1:  # input at the budget's scale: threads would each need a share of it
        con.sql("SET threads = 1")
    sources = [_read_parquet(paths)] if count == 1 else _split(con, scratch, paths, count)
    parts = []
    for i, source in enumerate(sources):
        parts.append(os.path.join(scratch, f"merged-{i:05d}.parquet"))
        con.sql(f"COPY ({_merged_query(source)}) TO {_quote(parts[-1])} (FORMAT parquet)")
    return parts


def _split(
    con: duckdb.DuckDBPyConnection, scratch: str, paths: Sequence[str], count: int
) -> list[str]:
    """Write the input rows once into ``count`` hash partitions of the key; their sources."""
    folder = os.path.join(scratch, "split")
    con.sql(
        f"COPY (SELECT *, hash(key) % {count} AS part FROM {_read_parquet(paths)})"
        f" TO {_quote(folder)} (FORMAT parquet, PARTITION_BY (part), ROW_GROUP_SIZE 8192)"
    )
    return [
        _read_parquet(sorted(glob.glob(os.path.join(folder, f"part={i}", "*.parquet"))))
        for i in range(count)
        if os.path.isdir(os.path.join(folder, f"part={i}"))
    ]


def _merged_query(source: str) -> str:
    return f"{_MERGE.format(source=source)} ORDER BY outlet NULLS LAST, key"


def _capped(
    con: duckdb.DuckDBPyConnection, parts: list[str], max_rows: int
) -> Iterator[pa.RecordBatch]:
    merged = _read_parquet(parts)
    keep = _cap_filter(con, merged, max_rows)
    con.sql("SET preserve_insertion_order = true")
    return _batches(con, f"SELECT * FROM {merged} WHERE {keep}")


def _batches(con: duckdb.DuckDBPyConnection, query: str) -> Iterator[pa.RecordBatch]:
    for batch in con.sql(query).to_arrow_reader(_BATCH_ROWS):
        yield batch.cast(LINE_STATS_SCHEMA)


def _cap_filter(con: duckdb.DuckDBPyConnection, merged: str, max_rows: int) -> str:
    """The condition on merged rows that keeps about ``max_rows`` of them."""

    def count(where: str) -> int:
        return con.sql(f"SELECT count(*) FROM {merged} WHERE {where}").fetchall()[0][0]

    if count("TRUE") <= max_rows:
        return "TRUE"
    if count("docs > 1") <= max_rows:
        return "docs > 1"
    docs, key = con.sql(
        f"SELECT docs, key FROM {merged} WHERE docs > 1"
        f" ORDER BY docs DESC, key LIMIT 1 OFFSET {max_rows - 1}"
    ).fetchall()[0]
    return f"(docs > {docs} OR (docs = {docs} AND key <= {key}))"


def _connect(scratch: str, memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    """A private DuckDB database that spills into ``scratch``."""
    return duckdb.connect(
        config={
            "threads": threads,
            "preserve_insertion_order": False,
            "temp_directory": os.path.join(scratch, "spill"),
            "memory_limit": memory_limit,
        }
    )


def _read_parquet(paths: Sequence[str]) -> str:
    return "read_parquet([" + ", ".join(_quote(p) for p in paths) + "])"


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"
