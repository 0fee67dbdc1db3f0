"""The line-statistics merge over Parquet files: same result as in memory, within a budget."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.normalize import NORMALIZER_VERSION
from pipeline.strip.merge import merge_counts, merged_count_files
from pipeline.strip.stats import LINE_STATS_SCHEMA, SKETCH_SIZE


def partial_table(seed: int, rows: int, keys: int) -> pa.Table:
    """A batch's partial counts: random keys of a few outlets, sorted 64-value sketches."""
    rng = random.Random(seed)
    picked = rng.sample(range(keys), rows)
    return pa.table(
        {
            "normalizer": [NORMALIZER_VERSION] * rows,
            "outlet": [rng.choice(["a", "b", None]) for _ in picked],
            "key": picked,
            "docs": [rng.randint(1, 3) for _ in picked],
            "terms": [rng.randint(50, 500) for _ in picked],
            "sketch": [sorted(rng.sample(range(-(10**6), 10**6), SKETCH_SIZE)) for _ in picked],
        },
        schema=LINE_STATS_SCHEMA,
    )


def written(tmp_path, tables: list[pa.Table]) -> list[str]:
    paths = []
    for i, table in enumerate(tables):
        paths.append(str(tmp_path / f"part-{i}.parquet"))
        pq.write_table(table, paths[-1])
    return paths


def from_files(paths: list[str], **options) -> pa.Table:
    with merged_count_files(paths, **options) as batches:
        return pa.Table.from_batches(list(batches), LINE_STATS_SCHEMA)


def expected_merge(tables: list[pa.Table]) -> dict[tuple, tuple]:
    """The merge computed directly: sums, and the 64 smallest of the union of sketches."""
    out: dict[tuple, tuple] = {}
    for row in pa.concat_tables(tables).to_pylist():
        where = (row["outlet"], row["key"])
        docs, terms, sketch = out.get(where, (0, 0, set()))
        out[where] = (docs + row["docs"], terms + row["terms"], sketch | set(row["sketch"]))
    return {k: (d, t, sorted(s)[:SKETCH_SIZE]) for k, (d, t, s) in out.items()}


def as_dict(table: pa.Table) -> dict[tuple, tuple]:
    return {
        (r["outlet"], r["key"]): (r["docs"], r["terms"], r["sketch"]) for r in table.to_pylist()
    }


def test_file_merge_equals_the_direct_computation_and_is_sorted(tmp_path):
    tables = [partial_table(seed, 3_000, 6_000) for seed in range(4)]
    merged = from_files(written(tmp_path, tables))
    assert merged.schema.equals(LINE_STATS_SCHEMA)
    assert as_dict(merged) == expected_merge(tables)
    order = [(r["outlet"] is None, r["outlet"] or "", r["key"]) for r in merged.to_pylist()]
    assert order == sorted(order)
    assert merged.equals(merge_counts(tables))


def test_hash_partitions_within_a_small_budget_give_the_same_rows(tmp_path):
    tables = [partial_table(seed, 12_000, 24_000) for seed in range(6)]
    paths = written(tmp_path, tables)
    partitioned = from_files(paths, memory_limit="48MB", partition_rows=20_000)
    assert as_dict(partitioned) == as_dict(from_files(paths)) == expected_merge(tables)
    assert partitioned.equals(from_files(paths, memory_limit="48MB", partition_rows=20_000))


def test_row_cap_and_other_normalizer_versions_in_files(tmp_path):
    table = partial_table(1, 2_000, 2_000)
    old = table.set_column(
        0, "normalizer", pa.array([NORMALIZER_VERSION + 1] * len(table), pa.int32())
    )
    paths = written(tmp_path, [table, old])
    capped = from_files(paths, max_rows=500)
    assert len(capped) == 500
    assert min(capped["docs"].to_pylist()) > 1
    kept = sorted(capped["docs"].to_pylist(), reverse=True)
    assert kept[-1] >= sorted(table["docs"].to_pylist(), reverse=True)[499]


def test_no_files_merge_to_an_empty_snapshot():
    assert len(from_files([])) == 0


def test_threads_give_the_same_table_in_the_same_order(tmp_path):
    tables = [partial_table(seed, 12_000, 24_000) for seed in range(6)]
    paths = written(tmp_path, tables)
    assert from_files(paths, threads=2).equals(from_files(paths))
    small = {"memory_limit": "48MB", "partition_rows": 20_000}  # partitioned: one thread
    assert from_files(paths, threads=2, **small).equals(from_files(paths, **small))


def with_short_sketches(table: pa.Table) -> pa.Table:
    """Every third row's sketch cut to a few hashes: a line of documents with few words."""
    sketches = [
        s[: 5 + i % 7] if i % 3 == 0 else s for i, s in enumerate(table["sketch"].to_pylist())
    ]
    return table.set_column(5, "sketch", pa.array(sketches, LINE_STATS_SCHEMA.field("sketch").type))


def test_over_the_cap_lines_seen_once_are_dropped_before_the_merge(tmp_path):
    """Past the cap only lines seen in two documents or more are merged, their sketches
    trimmed to what the union's can hold: the same rows as merging everything first."""
    tables = [with_short_sketches(partial_table(seed, 3_000, 6_000)) for seed in range(4)]
    expected = {line: row for line, row in expected_merge(tables).items() if row[0] > 1}
    assert len(expected) < len(expected_merge(tables))
    paths = written(tmp_path, tables)
    assert as_dict(from_files(paths, max_rows=len(expected))) == expected
    split = from_files(paths, max_rows=len(expected), partition_rows=2_000)
    assert as_dict(split) == expected
