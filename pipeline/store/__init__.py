"""The Parquet store under CLEAN_DIR: schemas, atomic commits, the ledger and the lock."""

from pipeline.store.commit import CommitPlan, commit, recover
from pipeline.store.fs import Root
from pipeline.store.layout import scratch_dir, staged_path
from pipeline.store.ledger import Ledger
from pipeline.store.local import LocalFiles
from pipeline.store.lock import writer_lock
from pipeline.store.parquet import read_parts, write_part, write_part_batches, write_work_part
from pipeline.store.schema import DATASETS, PARTITION_COLUMN, SCHEMA_VERSION

__all__ = [
    "DATASETS",
    "PARTITION_COLUMN",
    "SCHEMA_VERSION",
    "CommitPlan",
    "Ledger",
    "LocalFiles",
    "Root",
    "commit",
    "read_parts",
    "recover",
    "scratch_dir",
    "staged_path",
    "write_part",
    "write_part_batches",
    "write_work_part",
    "writer_lock",
]
