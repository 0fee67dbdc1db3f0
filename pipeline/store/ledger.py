"""The ledger of sources: which (path, content hash) pairs CLEAN_DIR already accounts for."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.store.delta import dataset
from pipeline.store.fs import Root


@dataclass(frozen=True)
class Ledger:
    """What earlier runs recorded: every (path, sha256) seen, and the path each hash was
    first ingested under."""

    seen: frozenset[tuple[str, str]]
    first_path_by_hash: dict[str, str]

    @classmethod
    def empty(cls) -> Ledger:
        return cls(frozenset(), {})

    @classmethod
    def load(cls, root: Root) -> Ledger:
        table = dataset(root, "sources").to_table(
            columns=["source_path", "source_sha256", "outcome"]
        )
        rows = table.to_pylist()
        first = {
            r["source_sha256"]: r["source_path"]
            for r in reversed(rows)
            if r["outcome"] == "ingested"
        }
        return cls(frozenset((r["source_path"], r["source_sha256"]) for r in rows), first)
