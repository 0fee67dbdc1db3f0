"""The read cache: a crashed run's read batches are reused by the next run.

Reading and extracting is the expensive stage. Each read batch therefore writes into a work
directory named by a key of everything its output depends on (the files' paths and content
hashes, RAW_DIR and CLEAN_DIR, the reader limits and the code), outside ``_staging`` (which
:func:`pipeline.store.recover` clears at the start of every run). The read task is cached by
Prefect under the same key, with its result record stored next to the work files when
CLEAN_DIR is local, so a cached result always points at files that still exist. Work
directories live until the commit that consumes them; the next run prunes any it does not
need (a crash between commit and clean-up, or a run with other batches).

    CLEAN_DIR/_work/read-<key>/{extracted,line_counts,sources,rejected}.parquet
    CLEAN_DIR/_work/_results/read-<key>        Prefect's result record of that task run
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import pipeline
from pipeline.discover import SourceFile
from pipeline.readers.limits import Limits
from pipeline.stages import RunContext
from pipeline.store import Root

WORK = "_work"
RESULTS = posixpath.join(WORK, "_results")
READ_PREFIX = "read-"


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
        "limits": asdict(Limits.from_env()),
        "code": code_version(),
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return READ_PREFIX + digest[:40]


def read_work_dir(key: str) -> str:
    return posixpath.join(WORK, key)


def cache_key_from_work_dir(_context: Any, parameters: dict[str, Any]) -> str:
    """Prefect ``cache_key_fn``: the read task's work directory is named by its key."""
    return posixpath.basename(parameters["work"])


def result_storage(clean: Root) -> Path | None:
    """Where the read task's result records go: next to its work files when CLEAN_DIR is
    local, else Prefect's default result storage (``PREFECT_HOME/storage`` unless set)."""
    return Path(clean.join(RESULTS)) if clean.is_local else None


def is_complete(clean: Root, work: dict[str, str]) -> bool:
    """Whether every file a (possibly cached) read result names still exists."""
    return all(clean.exists(rel) for rel in work.values())


def prune(clean: Root, keep: Iterable[str] = ()) -> list[str]:
    """Delete the cached read batches whose key is not in ``keep``; returns the keys deleted.

    The result record goes first, so that a record never outlives its work files.
    """
    keep = set(keep)
    if not clean.exists(WORK):
        return []
    keys = {
        posixpath.basename(p.rstrip("/"))
        for p in clean.fs.ls(clean.join(WORK), detail=False)
        if posixpath.basename(p.rstrip("/")).startswith(READ_PREFIX)
    }
    keys |= {
        posixpath.basename(p)
        for p in clean.list_files(RESULTS)
        if posixpath.basename(p).startswith(READ_PREFIX)
    }
    dropped = sorted(keys - keep)
    for key in dropped:
        clean.remove(posixpath.join(RESULTS, key))
        clean.remove(read_work_dir(key), recursive=True)
    if not keep:
        clean.remove(WORK, recursive=True)
    return dropped
