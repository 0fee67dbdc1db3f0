"""Atomic, crash-safe commits of a run's output into CLEAN_DIR.

A run writes every output file under ``_staging/<run_id>/`` first. Committing then:

1. writes a manifest ``_commits/<seq>.json`` (atomically) naming every staged file and the
   final path it moves to, plus files the commit replaces;
2. moves the files and deletes the replaced ones;
3. writes ``_commits/<seq>.done``.

A crash before step 1 leaves only staging debris, which :func:`recover` deletes (the ledger
never recorded those sources, so the next run redoes the work). A crash during step 2 leaves a
manifest without its ``.done`` marker, which :func:`recover` rolls forward: moving a file whose
staged copy is gone is a no-op, so recovery itself may crash and be repeated. Parquet files are
never written in place, so a reader never sees a half-written file.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field

from pipeline.store.fs import Root

STAGING = "_staging"
COMMITS = "_commits"
WORK = "_work"


def staging_prefix(run_id: str) -> str:
    return posixpath.join(STAGING, run_id)


def work_dir(run_id: str) -> str:
    """Scratch space of a run that is never committed (intermediate batch files)."""
    return posixpath.join(STAGING, run_id, WORK)


def staged_path(run_id: str, final_rel: str) -> str:
    """Where a run stages the file that a commit will move to ``final_rel``."""
    return posixpath.join(staging_prefix(run_id), final_rel)


@dataclass
class CommitPlan:
    run_id: str
    staged: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)

    def moves(self) -> list[tuple[str, str]]:
        prefix = staging_prefix(self.run_id) + "/"
        return [(rel, rel.removeprefix(prefix)) for rel in self.staged]


def committed_sequences(root: Root) -> list[int]:
    return sorted(
        int(posixpath.basename(rel).split(".")[0]) for rel in root.list_files(COMMITS, ".json")
    )


def commit(root: Root, plan: CommitPlan) -> int:
    """Publish a run's staged files; returns the commit's sequence number."""
    existing = committed_sequences(root)
    seq = (existing[-1] + 1) if existing else 1
    manifest = {
        "seq": seq,
        "run_id": plan.run_id,
        "moves": plan.moves(),
        "replaces": plan.replaces,
    }
    root.write_bytes_atomic(_manifest(seq), json.dumps(manifest, indent=1).encode())
    _apply(root, manifest)
    return seq


def recover(root: Root) -> list[int]:
    """Roll forward every commit that a crash interrupted, then drop staging debris.

    Must run with the CLEAN_DIR lock held. Returns the sequence numbers rolled forward.
    """
    rolled = []
    for seq in committed_sequences(root):
        if not root.exists(_done(seq)):
            _apply(root, json.loads(root.read_bytes(_manifest(seq))))
            rolled.append(seq)
    root.remove(STAGING, recursive=True)
    return rolled


def pending_commits(root: Root) -> list[int]:
    return [seq for seq in committed_sequences(root) if not root.exists(_done(seq))]


def _apply(root: Root, manifest: dict) -> None:
    for source, target in manifest["moves"]:
        if root.exists(source):
            root.fs.makedirs(posixpath.dirname(root.join(target)), exist_ok=True)
            root.fs.mv(root.join(source), root.join(target))
    for rel in manifest["replaces"]:
        root.remove(rel)
    root.write_bytes_atomic(_done(manifest["seq"]), b"")
    root.remove(staging_prefix(manifest["run_id"]), recursive=True)


def _manifest(seq: int) -> str:
    return posixpath.join(COMMITS, f"{seq:08d}.json")


def _done(seq: int) -> str:
    return posixpath.join(COMMITS, f"{seq:08d}.done")
