"""The record tables as Delta Lake tables: one Delta commit per table per run.

A run's Parquet parts are written by the pipeline itself (pyarrow, with the project's
metadata) and moved into the table's directory by :mod:`pipeline.store.commit`; they become
part of the table only when the Delta log names them. Each run's commit to a table carries
an application transaction (``article-pipeline``, the run's commit sequence number), so a
commit that a crash interrupted is replayed exactly once: :func:`commit_run` skips a table
whose transaction version already reached the sequence number.

Delta Lake is used, not Iceberg, because ``deltalake`` needs no catalog service, commits files
that another writer produced (``create_write_transaction``), and its pyarrow dataset is what
DuckDB, pandas and polars read.
"""

from __future__ import annotations

import json
import posixpath
import time
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import DeltaTable, Schema
from deltalake.transaction import (
    AddAction,
    CommitProperties,
    RemoveAction,
    Transaction,
    create_table_with_add_actions,
)

from pipeline import __version__
from pipeline.store.fs import Root
from pipeline.store.schema import DATASETS, PARTITION_COLUMN, SCHEMA_VERSION

#: Application id of the pipeline's Delta transactions (its version is a commit sequence).
APP_ID = "article-pipeline"
DELTA_LOG = "_delta_log"


def table_schema(name: str) -> pa.Schema:
    """A record table's schema as Delta stores it: the columns plus the partition column."""
    return DATASETS[name].append(pa.field(PARTITION_COLUMN, pa.string()))


#: URL schemes of the object stores delta-rs opens itself (credentials from the environment).
DELTA_SCHEMES = ("s3", "s3a", "gs", "az", "abfs", "abfss", "adl", "azure")


def check_delta_storage(root: Root) -> None:
    """Raise ValueError unless the record tables can live under ``root``: delta-rs opens
    local paths and the object stores of :data:`DELTA_SCHEMES`, not other fsspec
    filesystems."""
    if not root.is_local and root.url.split("://", 1)[0] not in DELTA_SCHEMES:
        raise ValueError(
            f"CLEAN_DIR {root.url!r}: the Delta tables need a local path or an object store "
            f"URL ({', '.join(s + '://' for s in DELTA_SCHEMES)})"
        )


def table_uri(root: Root, name: str) -> str:
    check_delta_storage(root)
    return root.join(name) if root.is_local else posixpath.join(root.url, name)


def is_table(root: Root, name: str) -> bool:
    return root.exists(posixpath.join(name, DELTA_LOG))


def all_tables_exist(root: Root) -> bool:
    return all(is_table(root, name) for name in DATASETS)


def open_table(root: Root, name: str, version: int | None = None) -> DeltaTable:
    return DeltaTable(table_uri(root, name), version=version)


def table_of(rel: str) -> str | None:
    """The record table a file under CLEAN_DIR belongs to, if any."""
    head = rel.split("/", 1)[0]
    return head if head in DATASETS and "/" in rel else None


def commit_run(
    root: Root, seq: int, run_id: str, files: Sequence[str], overwrite: bool = False
) -> None:
    """Add a run's files (paths relative to CLEAN_DIR, already in place) to every record
    table, data tables first and the ledger (``sources``) last, one Delta commit each;
    with ``overwrite``, the same commit removes every other file of the table.

    Every table gets a commit, empty or not, so every table exists from the first run and
    every run is a version of each. Tables that already hold commit ``seq`` are skipped; a
    file that is gone (deleted by hand before a roll-forward) is left out, and ``verify``
    then reports the sources whose records it held.
    """
    by_table: dict[str, list[str]] = {name: [] for name in DATASETS}
    for rel in files:
        if (name := table_of(rel)) is not None:
            by_table[name].append(rel)
    for name, rels in by_table.items():
        table = open_table(root, name) if is_table(root, name) else None
        if table is not None and (table.transaction_version(APP_ID) or 0) >= seq:
            continue
        actions: list[AddAction | RemoveAction] = [
            _add_action(root, name, rel.removeprefix(name + "/"))
            for rel in rels
            if root.exists(rel)
        ]
        if overwrite:
            kept = set(rels)
            actions += [
                _remove_action(root, rel) for rel in live_files(root, name) if rel not in kept
            ]
        operation = "restrip" if overwrite else "ingest"
        _commit_table(root, name, table, actions, commit_properties(seq, run_id, operation))


def _commit_table(
    root: Root,
    name: str,
    table: DeltaTable | None,
    actions: list[AddAction | RemoveAction],
    properties: CommitProperties,
) -> None:
    """Commit ``actions`` to ``table`` (opened), creating the table when it is None."""
    if table is None:
        create_table_with_add_actions(
            table_uri(root, name),
            Schema.from_arrow(table_schema(name)),
            [a for a in actions if isinstance(a, AddAction)],
            mode="error",
            partition_by=[PARTITION_COLUMN],
            description=f"article-pipeline {name}, schema_version={SCHEMA_VERSION}",
            commit_properties=properties,
        )
        return
    add_missing_columns(table, name)
    table.create_write_transaction(
        actions,
        "append",
        table_schema(name),
        partition_by=[PARTITION_COLUMN],
        commit_properties=properties,
    )


def add_missing_columns(table: DeltaTable, name: str) -> None:
    """Give a table created before a column joined its schema that column (null in the
    older files): a commit that appends files does not change the table's schema, and
    readers of the table would not see the column."""
    present = {f.name for f in table.schema().fields}
    missing = [f for f in table_schema(name) if f.name not in present]
    if missing:
        table.alter.add_columns(Schema.from_arrow(pa.schema(missing)).fields)


def commit_properties(seq: int, run_id: str, operation: str) -> CommitProperties:
    """Delta commit properties of the pipeline's commit ``seq``: the application
    transaction and what ``history`` shows."""
    metadata = {
        "article_pipeline_seq": seq,
        "pipeline_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "operation_kind": operation,
    }
    return CommitProperties(custom_metadata=metadata, app_transactions=[Transaction(APP_ID, seq)])


def _add_action(root: Root, name: str, rel: str) -> AddAction:
    path = root.join(name, rel)
    meta = pq.read_metadata(path, filesystem=root.fs)
    return AddAction(
        path=rel,
        size=root.size(posixpath.join(name, rel)),
        partition_values=partition_values(rel),
        modification_time=int(root.fs.modified(path).timestamp() * 1000),
        data_change=True,
        stats=json.dumps({"numRecords": meta.num_rows}),
    )


def _remove_action(root: Root, rel: str, data_change: bool = True) -> RemoveAction:
    """Removal of ``rel`` (relative to CLEAN_DIR) from its table, now."""
    name = rel.split("/", 1)[0]
    return RemoveAction(
        rel.removeprefix(name + "/"),
        data_change,
        int(time.time() * 1000),
        root.size(rel) if root.exists(rel) else None,
        partition_values(rel),
    )


def partition_values(rel: str) -> dict[str, str | None]:
    for segment in rel.split("/")[:-1]:
        key, _, value = segment.partition("=")
        if key == PARTITION_COLUMN:
            return {PARTITION_COLUMN: value}
    raise ValueError(f"{rel}: no {PARTITION_COLUMN}= directory in the path")


def live_files(root: Root, name: str) -> dict[str, int]:
    """The files of table ``name``'s current version (relative to CLEAN_DIR) and the size
    its log records for each."""
    if not is_table(root, name):
        return {}
    actions = pa.table(open_table(root, name).get_add_actions(flatten=True))
    paths, sizes = actions["path"].to_pylist(), actions["size_bytes"].to_pylist()
    return {posixpath.join(name, p): s for p, s in sorted(zip(paths, sizes, strict=True))}


def replace_files(
    root: Root,
    name: str,
    removed: Sequence[str],
    added: Sequence[str],
    operation: str,
    data_change: bool = True,
) -> None:
    """One Delta commit to table ``name`` that swaps ``removed`` for ``added`` (paths
    relative to CLEAN_DIR, the added files already in place). ``data_change=False`` marks a
    rewrite of the same rows (compaction)."""
    actions: list[AddAction | RemoveAction] = [
        _remove_action(root, rel, data_change) for rel in removed
    ]
    for rel in added:
        action = _add_action(root, name, rel.removeprefix(name + "/"))
        action.data_change = data_change
        actions.append(action)
    table = open_table(root, name)
    table.create_write_transaction(
        actions,
        "append",
        table_schema(name),
        partition_by=[PARTITION_COLUMN],
        commit_properties=CommitProperties(
            custom_metadata={
                "operation_kind": operation,
                "pipeline_version": __version__,
                "schema_version": SCHEMA_VERSION,
            }
        ),
    )


def dataset(root: Root, name: str, version: int | None = None) -> ds.Dataset:
    """A pyarrow dataset of table ``name`` as of ``version`` (default: the current one); an
    empty table of its schema when the table does not exist yet."""
    if not is_table(root, name):
        return ds.dataset(table_schema(name).empty_table())
    return open_table(root, name, version).to_pyarrow_dataset()
