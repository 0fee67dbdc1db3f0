"""Atomic, crash-safe commits of a run's output into CLEAN_DIR.

A run writes every output file under ``_staging/<run_id>/`` first. Committing then:

1. creates the commit record ``_commits/<seq>.json`` naming every staged file and the final
   path it moves to, plus files the commit replaces. ``seq`` is one past the last commit the
   run saw when it started, and the record is created only if no record of that number
   exists: a second writer (``_lock`` deleted mid-run, or an object store without a lock)
   loses here and publishes nothing (:class:`ConcurrentWriter`);
2. moves the files, adds them to the record tables (one Delta commit per table, data tables
   first and the ledger last: :mod:`pipeline.store.delta`) and deletes the replaced files;
3. writes ``_commits/<seq>.done``.

A crash before step 1 leaves only staging debris, which :func:`recover` deletes (the ledger
never recorded those sources, so the next run redoes the work). A crash during step 2 leaves a
record without its ``.done`` marker, which :func:`recover` rolls forward: moving a file whose
staged copy is gone is a no-op and a table that holds the commit already is skipped, so
recovery itself may crash and be repeated. Parquet files are never written in place, so a
reader never sees a half-written file, and a reader of a Delta table sees each table as some
run committed it.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field

from pipeline.store.delta import check_delta_storage, commit_run
from pipeline.store.fs import Root
from pipeline.store.layout import (
    COMMITS,
    STAGING,
    commit_done,
    commit_record,
    quarantined,
    staging_prefix,
)

_RECORD_NAME = re.compile(r"^(\d{8})\.json$")


class ConcurrentWriter(RuntimeError):
    """Another run committed to CLEAN_DIR while this one ran; this run published nothing."""


class DamagedRecord(ValueError):
    """A commit record that cannot be read as one."""


@dataclass
class CommitPlan:
    run_id: str
    staged: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    #: The last commit sequence number the run saw when it started (None: whatever is last
    #: when it commits).
    base: int | None = None
    #: The staged files replace every row of the record tables (``restrip``).
    overwrite: bool = False

    def moves(self) -> list[tuple[str, str]]:
        prefix = staging_prefix(self.run_id) + "/"
        return [(rel, rel.removeprefix(prefix)) for rel in self.staged]


def committed_sequences(root: Root) -> list[int]:
    """Sequence numbers of the commit records (files that are not named like one are not)."""
    found = (_RECORD_NAME.match(posixpath.basename(rel)) for rel in root.list_files(COMMITS))
    return sorted(int(match.group(1)) for match in found if match)


def last_sequence(root: Root) -> int:
    return (committed_sequences(root) or [0])[-1]


def commit(root: Root, plan: CommitPlan) -> int:
    """Publish a run's staged files; returns the commit's sequence number."""
    check_delta_storage(root)
    seq = (last_sequence(root) if plan.base is None else plan.base) + 1
    manifest = {
        "seq": seq,
        "run_id": plan.run_id,
        "moves": plan.moves(),
        "replaces": plan.replaces,
        "overwrite": plan.overwrite,
    }
    if not root.create_exclusive(commit_record(seq), json.dumps(manifest, indent=1).encode()):
        root.remove(staging_prefix(plan.run_id), recursive=True)
        raise ConcurrentWriter(
            f"{root.join(commit_record(seq))}: another run committed to CLEAN_DIR while this one "
            "ran (was _lock deleted?); this run published nothing, run ingest again"
        )
    _apply(root, manifest)
    return seq


def read_record(root: Root, seq: int) -> dict:
    """Commit record ``seq``, checked; :class:`DamagedRecord` names the file and the reason."""
    rel = commit_record(seq)
    try:
        record = json.loads(root.read_bytes(rel))
        moves = [(str(a), str(b)) for a, b in record["moves"]]
        replaces = [str(r) for r in record["replaces"]]
        if record["seq"] != seq or not isinstance(record["run_id"], str):
            raise ValueError("seq or run_id does not match")
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise DamagedRecord(f"{rel}: unreadable commit record ({error})") from error
    overwrite = record.get("overwrite", False) is True
    return {
        "seq": seq,
        "run_id": record["run_id"],
        "moves": moves,
        "replaces": replaces,
        "overwrite": overwrite,
    }


def recover(root: Root) -> list[int]:
    """Roll forward every commit that a crash interrupted, then drop staging debris.

    A damaged record of an interrupted commit cannot be rolled forward: it goes to
    ``_quarantine/`` (``verify`` then names the files it would have published, and ``repair``
    re-ingests their sources). Must run with the CLEAN_DIR lock held. Returns the sequence
    numbers rolled forward.
    """
    rolled = []
    for seq in pending_commits(root):
        try:
            manifest = read_record(root, seq)
        except DamagedRecord:
            quarantine(root, commit_record(seq))
            continue
        _apply(root, manifest)
        rolled.append(seq)
    root.remove(STAGING, recursive=True)
    return rolled


def quarantine(root: Root, rel: str) -> str:
    """Move ``rel`` under ``_quarantine/`` (same relative path); returns where it went."""
    target = quarantined(rel)
    root.fs.makedirs(posixpath.dirname(root.join(target)), exist_ok=True)
    root.fs.mv(root.join(rel), root.join(target))
    return target


def pending_commits(root: Root) -> list[int]:
    return [seq for seq in committed_sequences(root) if not root.exists(commit_done(seq))]


def _apply(root: Root, manifest: dict) -> None:
    for source, target in manifest["moves"]:
        if root.exists(source):
            root.fs.makedirs(posixpath.dirname(root.join(target)), exist_ok=True)
            root.fs.mv(root.join(source), root.join(target))
    targets = [target for _, target in manifest["moves"]]
    commit_run(root, manifest["seq"], manifest["run_id"], targets, manifest.get("overwrite", False))
    for rel in manifest["replaces"]:
        root.remove(rel)
    root.write_bytes_atomic(commit_done(manifest["seq"]), b"")
    root.remove(staging_prefix(manifest["run_id"]), recursive=True)
