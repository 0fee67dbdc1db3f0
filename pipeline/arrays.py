"""Generic array helpers: ragged arrays (flat numpy values with an offsets vector per row),
and splitting or joining Arrow tables whose list columns Arrow's own join does not carry.

A ragged column of n rows is ``(values, offsets)`` with ``offsets`` of n + 1 entries, row
``r`` being ``values[offsets[r]:offsets[r + 1]]``; Arrow list columns convert to and from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted, in place of ``values`` (cheaper on int64 codes than
    numpy's hash-based ``np.unique``).

    The stable sort (Timsort) merges runs already in order: codes grouped by a high part
    (paragraph << 32 | shingle), or concatenated sorted lists, sort several times faster
    than with the default quicksort; on random values it is about as fast."""
    values.sort(kind="stable")
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def list_array(
    values: np.ndarray, offsets: np.ndarray, rows: np.ndarray, present: np.ndarray
) -> pa.Array:
    """A list array of the ``rows``' slices where ``present``, null elsewhere."""
    flat, kept_offsets = take_ragged(values, offsets, rows[present])
    counts = np.zeros(len(rows), np.int64)
    counts[present] = np.diff(kept_offsets)
    full = np.zeros(len(rows) + 1, np.int32)
    np.cumsum(counts, out=full[1:])
    return pa.ListArray.from_arrays(pa.array(full), pa.array(flat), mask=pa.array(~present))


def offsets_of(counts: np.ndarray) -> np.ndarray:
    """The offsets of rows of ``counts`` values each."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def ragged_of_list(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Values and offsets of a list column, whatever its chunks and slices."""
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    return pc.list_flatten(column).to_numpy(), offsets_of(lengths.astype(np.int64))


def run_positions(values: np.ndarray) -> np.ndarray:
    """Each element's position in its run of equal neighbours (0 for a run's first): with
    sorted ``values``, its rank within its group."""
    index = np.arange(len(values))
    if not len(values):
        return index
    starts = np.r_[True, values[1:] != values[:-1]]
    return index - np.maximum.accumulate(np.where(starts, index, 0))


def take_ragged(
    values: np.ndarray, offsets: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The slices ``values[offsets[r]:offsets[r + 1]]`` of ``rows``, flat, with new offsets."""
    counts = offsets[rows + 1] - offsets[rows]
    new_offsets = offsets_of(counts)
    starts = np.repeat(offsets[rows] - new_offsets[:-1], counts)
    return values[starts + np.arange(new_offsets[-1])], new_offsets


def split_by(table: pa.Table, column: str) -> Iterator[tuple[int, pa.Table]]:
    """(value, rows) per distinct value of the integer ``column``, rows in table order and
    without the column; one take of the table, none when it is ordered by the column."""
    values = table[column].to_numpy()
    if len(values) == 0:
        return
    order = np.argsort(values, kind="stable")
    rows = table.drop_columns([column])
    if np.any(order != np.arange(len(order))):
        rows, values = rows.take(order), values[order]
    bounds = [*np.flatnonzero(run_positions(values) == 0).tolist(), len(values)]
    for lo, hi in pairwise(bounds):
        yield int(values[lo]), rows.slice(lo, hi - lo)


def join_on_key(
    table: pa.Table, other: pa.Table, key: str, *, order_by: tuple[str, ...] = ()
) -> pa.Table:
    """``table.join(other, key)`` for tables with list columns, which Arrow's hash join does
    not carry: the keys are joined with row numbers, the rows taken (sorted by ``order_by``,
    ascending, when given; one take either way, of one chunk per column, since taking the
    list columns is what costs)."""
    numbered = table.select(list(dict.fromkeys((key, *order_by)))).append_column(
        "row", pa.array(np.arange(len(table)))
    )
    joined = numbered.join(other, key)
    if order_by:
        joined = joined.sort_by([(name, "ascending") for name in order_by])
    rows = table.combine_chunks().take(joined["row"])
    for name in other.column_names:
        if name != key:
            rows = rows.append_column(other.field(name), joined[name])
    return rows
