"""Arrow IPC spill files: tables one stage of a run writes and the next reads back once.

The link stage splits the run's paragraphs into per-chunk files and hands its links to the
finalize tasks per batch: a thousand small files at 100k articles, each read once and
deleted with the run's work directory. Arrow's own file format skips Parquet's encoding,
so it writes and reads a batch of paragraphs with their feature lists in a fraction of lz4
Parquet's time at the same size (docs/performance.md).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.ipc as ipc

from pipeline.store.fs import Root

SPILL_SUFFIX = ".arrow"
_OPTIONS = ipc.IpcWriteOptions(compression="lz4")


def write_spill(root: Root, rel: str, table: pa.Table) -> str:
    """Write ``table`` to ``rel`` (which ends in :data:`SPILL_SUFFIX`) and return ``rel``."""
    if not rel.endswith(SPILL_SUFFIX):
        raise ValueError(f"a spill file ends in {SPILL_SUFFIX}: {rel}")
    path = root.join(rel)
    root.fs.makedirs(posixpath.dirname(path), exist_ok=True)
    with root.fs.open(path, "wb") as out, ipc.new_file(out, table.schema, options=_OPTIONS) as w:
        w.write_table(table)
    return rel


def read_spills(root: Root, rels: Sequence[str], schema: pa.Schema) -> pa.Table:
    """The spill files ``rels`` concatenated, as ``schema``'s columns (all of them present)."""
    tables = []
    for rel in rels:
        with root.open_read(rel) as handle:
            tables.append(ipc.open_file(handle).read_all().select(schema.names).cast(schema))
    return pa.concat_tables(tables) if tables else schema.empty_table()
