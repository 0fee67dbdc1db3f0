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
                return
            if rows > partition_rows:  # input at the budget's scale: threads would each need
                con.sql("SET threads = 1")  # a share of it
            source = _read_parquet(paths)
            if rows > max_rows:
                lines, recurring_rows = _line_counts(con, source)
                if lines > max_rows:  # the cap drops the lines seen in a single document:
                    source, rows = _recurring(source), recurring_rows  # they are not merged
            if rows <= min(max_rows, partition_rows):  # merged straight to the output
                yield _batches(con, _merged_query(source))
            else:
                parts = _merge_partitions(con, scratch, source, rows, partition_rows)
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


def _line_counts(con: duckdb.DuckDBPyConnection, source: str) -> tuple[int, int]:
    """The number of merged rows (distinct outlet and key of the current normaliser), and
    the number of input rows of the lines among them seen in more than one document;
    counted without reading the sketches."""
    lines, recurring_rows = con.sql(
        f"""
        SELECT count(*), coalesce(sum(n) FILTER (WHERE docs > 1), 0) FROM (
            SELECT count(*) AS n, sum(docs) AS docs FROM {source}
            WHERE normalizer = {NORMALIZER_VERSION} GROUP BY outlet, key
        )
        """
    ).fetchall()[0]
    return lines, recurring_rows


def _recurring(source: str) -> str:
    """The rows of ``source`` whose line is seen in more than one document, as a source.

    The bottom-k sketch of a union holds no hash above the largest of any full sketch in
    it, so each row's hashes above the smallest such bound of its line are dropped here,
    before the rows are split and merged (a 100k-article run's 0.49M recurring rows hold
    31M hashes; the merged sketches of their 12,669 lines, 0.8M)."""
    return f"""(
        WITH line_rows AS (SELECT * FROM {source} WHERE normalizer = {NORMALIZER_VERSION}),
        recurring AS (
            SELECT outlet, key,
                   min(CASE WHEN len(sketch) >= {SKETCH_SIZE} THEN list_max(sketch) END) AS bound
            FROM line_rows GROUP BY outlet, key HAVING sum(docs) > 1
        )
        SELECT l.normalizer, l.outlet, l.key, l.docs, l.terms,
               CASE WHEN r.bound IS NULL THEN l.sketch
                    ELSE list_filter(l.sketch, lambda h: h <= r.bound) END AS sketch
        FROM line_rows l JOIN recurring r
        ON l.key = r.key AND l.outlet IS NOT DISTINCT FROM r.outlet
    ) AS recurring_rows"""


def _merge_partitions(
    con: duckdb.DuckDBPyConnection,
    scratch: str,
    source: str,
    rows: int,
    partition_rows: int,
) -> list[str]:
    """Merge ``source`` (``rows`` rows) in hash partitions of the key, one scratch file each."""
    count = max(1, math.ceil(rows / partition_rows))
    sources = [source] if count == 1 else _split(con, scratch, source, count)
    parts = []
    for i, source in enumerate(sources):
        parts.append(os.path.join(scratch, f"merged-{i:05d}.parquet"))
        con.sql(f"COPY ({_merged_query(source)}) TO {_quote(parts[-1])} (FORMAT parquet)")
    return parts


def _split(con: duckdb.DuckDBPyConnection, scratch: str, source: str, count: int) -> list[str]:
    """Write the rows of ``source`` once into ``count`` hash partitions of the key; their
    sources."""
    folder = os.path.join(scratch, "split")
    con.sql(
        f"COPY (SELECT *, hash(key) % {count} AS part FROM {source})"
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
