"""The read cache: a crashed run's read batches are reused by the next run.

Reading and extracting is the expensive stage. Each read batch therefore writes into a work
directory named by a key of everything its output depends on (the files' paths and content
hashes, RAW_DIR and CLEAN_DIR, the run's reader limits and the code), outside ``_staging`` (which
:func:`pipeline.store.recover` clears at the start of every run). When the batch is done, a
JSON record of its result goes beside its files, last. Nothing in the cache is ever
unpickled or imported: the record is plain JSON checked field by field, and every file it
names must be readable Parquet of the expected columns and row count; a record that fails
any check is deleted with its directory and the batch is read again. Work directories live
until the commit that consumes them; the next run prunes any it does not need (a crash
between commit and clean-up, or a run with other batches).

    CLEAN_DIR/_read_cache/read-<key>/{extracted,line_counts,sources,rejected}.parquet
    CLEAN_DIR/_read_cache/read-<key>/result.json   the batch's result: files, rows, counters
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import pipeline
from pipeline.discover import SourceFile
from pipeline.records import EXTRACTED
from pipeline.stages import ReadOutput, RunContext
from pipeline.store import Root
from pipeline.store.layout import READ_CACHE_DIR, read_cache_dir
from pipeline.store.schema import REJECTED, SOURCES
from pipeline.summary import Counters

READ_PREFIX = "read-"
RESULT_FILE = "result.json"
RECORD_FIELDS = ("work", "rows", "counts", "rejects_by_reason")
#: The files of a read batch and, where the record tables fix it, their columns.
READ_FILES: dict[str, pa.Schema | None] = {
    "extracted": EXTRACTED,
    "line_counts": None,
    "sources": SOURCES,
    "rejected": REJECTED,
}


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the pipeline package's code and rule files: any change invalidates the cache."""
    package = Path(pipeline.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def read_key(ctx: RunContext, files: Sequence[SourceFile]) -> str:
    """The cache key of one read batch (also the name of its work directory)."""
    material = {
        "raw": ctx.raw_url,
        "clean": ctx.clean_url,
        "files": [[f.rel_path, f.path, f.size, f.sha256] for f in files],
        "limits": asdict(ctx.limits),
        "code": code_version(),
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return READ_PREFIX + digest[:40]


def store(clean: Root, work: str, result: ReadOutput) -> None:
    """Record a finished read batch in ``work`` (after its files, atomically)."""
    files = result.files()
    rows = {
        name: pq.read_metadata(clean.join(rel), filesystem=clean.fs).num_rows
        for name, rel in files.items()
    }
    record = {
        "work": files,
        "rows": rows,
        "counts": dict(result.counters.counts),
        "rejects_by_reason": dict(result.counters.rejects_by_reason),
    }
    clean.write_bytes_atomic(posixpath.join(work, RESULT_FILE), json.dumps(record).encode())


def load(clean: Root, work: str) -> ReadOutput | None:
    """The cached result of the read batch in ``work``, or None when there is none or it fails
    a check (then ``work`` is deleted, so that the batch is read into a clean directory)."""
    record_path = posixpath.join(work, RESULT_FILE)
    if not clean.exists(record_path):
        return None
    try:
        return _checked(clean, work, json.loads(clean.read_bytes(record_path)))
    except (OSError, ValueError, TypeError, KeyError, pa.ArrowException):
        clean.remove(work, recursive=True)
        return None


def _checked(clean: Root, work: str, record: dict) -> ReadOutput:
    """The ReadOutput a JSON record describes, after checking every field and file."""
    if set(record) != set(RECORD_FIELDS) or set(record["work"]) != set(READ_FILES):
        raise ValueError("unexpected fields")
    counts, rejects = (_counter(record[name]) for name in ("counts", "rejects_by_reason"))
    for name, schema in READ_FILES.items():
        if record["work"][name] != posixpath.join(work, f"{name}.parquet"):
            raise ValueError(f"{name}: a file outside the batch's directory")
        parquet = pq.ParquetFile(clean.join(record["work"][name]), filesystem=clean.fs)
        if parquet.metadata.num_rows != record["rows"][name]:
            raise ValueError(f"{name}: row count differs from the record")
        if schema is not None and parquet.schema_arrow.names != schema.names:
            raise ValueError(f"{name}: columns differ")
    return ReadOutput(**record["work"], counters=Counters(counts=counts, rejects_by_reason=rejects))


def _counter(values: dict) -> Counter:
    if not all(isinstance(k, str) and type(v) is int for k, v in values.items()):
        raise ValueError("counters must be integers")
    return Counter(values)


def prune(clean: Root, keep: Iterable[str] = ()) -> list[str]:
    """Delete everything in the cache but the read batches whose key is in ``keep``
    (anything else found there, such as an older version's files, goes too); returns the
    names deleted. Entries are deleted unread."""
    keep = set(keep)
    if not clean.exists(READ_CACHE_DIR):
        return []
    listed = clean.fs.ls(clean.join(READ_CACHE_DIR), detail=False)
    names = {posixpath.basename(p.rstrip("/")) for p in listed}
    dropped = sorted(names - keep)
    for name in dropped:
        clean.remove(read_cache_dir(name), recursive=True)
    if not keep:
        clean.remove(READ_CACHE_DIR, recursive=True)
    return dropped
