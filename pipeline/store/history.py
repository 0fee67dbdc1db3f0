"""The versions of the record tables: which run (or maintenance command) made each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline.store.delta import is_table, open_table
from pipeline.store.fs import Root
from pipeline.store.schema import DATASETS

#: Delta commits that change no rows, only which files stay on disk: not listed.
VACUUM_OPERATIONS = {"VACUUM START", "VACUUM END"}


@dataclass
class Entry:
    """One commit of the pipeline: an ingest run (``seq`` set) or a maintenance command,
    with the version it made of each record table."""

    operation: str
    seq: int | None
    run_id: str | None
    committed_at: datetime
    versions: dict[str, int] = field(default_factory=dict)


def history(root: Root) -> list[Entry]:
    """Every commit, oldest first. An ingest run is one entry with a version of every table;
    maintenance commits (optimize, repair) are one entry per table they changed."""
    runs: dict[int, Entry] = {}
    other: list[Entry] = []
    for name in DATASETS:
        if not is_table(root, name):
            continue
        for commit in open_table(root, name).history():
            if commit["operation"] in VACUUM_OPERATIONS:
                continue
            at = datetime.fromtimestamp(commit["timestamp"] / 1000, UTC)
            seq = commit.get("article_pipeline_seq")
            if seq is None:
                entry = Entry(commit.get("operation_kind", commit["operation"]), None, None, at)
                other.append(entry)
            else:
                kind = commit.get("operation_kind", "ingest")
                entry = runs.setdefault(seq, Entry(kind, seq, commit.get("run_id"), at))
                entry.committed_at = max(entry.committed_at, at)
            entry.versions[name] = commit["version"]
    return sorted([*runs.values(), *other], key=lambda e: (e.committed_at, e.seq or 0))
