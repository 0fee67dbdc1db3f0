"""Reading and writing Parquet parts with the project's metadata and compression."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.store.fs import Root
from pipeline.store.schema import SCHEMA_VERSION


def with_version_metadata(schema: pa.Schema, extra: dict[str, str] | None = None) -> pa.Schema:
    metadata = dict(schema.metadata or {})
    metadata.update(
        {b"schema_version": str(SCHEMA_VERSION).encode(), b"pipeline_version": __version__.encode()}
    )
    for key, value in (extra or {}).items():
        metadata[key.encode()] = value.encode()
    return schema.with_metadata(metadata)


def write_part(
    root: Root,
    rel: str,
    table: pa.Table,
    extra_metadata: dict[str, str] | None = None,
    *,
    dictionary: bool = True,
    compression: str = "zstd",
) -> str:
    """Write ``table`` to ``rel`` under ``root`` (zstd-compressed unless told otherwise) and
    return ``rel``. ``dictionary=False`` skips dictionary encoding, which only costs time on
    columns of distinct values (hashes, ids)."""
    path = root.join(rel)
    root.fs.makedirs(posixpath.dirname(path), exist_ok=True)
    table = table.replace_schema_metadata(
        with_version_metadata(table.schema, extra_metadata).metadata
    )
    pq.write_table(
        table, path, filesystem=root.fs, compression=compression, use_dictionary=dictionary
    )
    return rel


def write_work_part(root: Root, rel: str, table: pa.Table) -> str:
    """:func:`write_part` for a part the run reads back and then deletes (a stage's output
    for the next): lz4 without dictionary encoding writes and reads a paragraph batch
    with its feature lists much faster than zstd, a little larger (docs/performance.md)."""
    return write_part(root, rel, table, dictionary=False, compression="lz4")


def write_part_batches(
    root: Root, rel: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
) -> str:
    """Write record batches of ``schema`` as one part, one batch in memory at a time."""
    path = root.join(rel)
    root.fs.makedirs(posixpath.dirname(path), exist_ok=True)
    schema = with_version_metadata(schema)
    with pq.ParquetWriter(path, schema, filesystem=root.fs, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
    return rel


def read_parts(root: Root, rels: list[str], schema: pa.Schema | None = None) -> pa.Table:
    """Concatenate Parquet parts (an empty table of ``schema`` when there are none)."""
    tables = [pq.read_table(root.join(rel), filesystem=root.fs) for rel in rels]
    if not tables:
        if schema is None:
            raise ValueError("no parts to read and no schema to build an empty table from")
        return schema.empty_table()
    if schema is not None:
        tables = [t.select(schema.names).cast(schema) for t in tables]
    return pa.concat_tables(tables)
