"""Generic Arrow helpers of the batch stages: splitting a table by a column, joining on a key."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import pyarrow as pa

from pipeline.dedup.features import run_positions


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
