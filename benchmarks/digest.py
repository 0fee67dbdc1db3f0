"""``python -m benchmarks.digest CLEAN_DIR [--against DIGESTS.json]``: what a run wrote, as digests.

A refactor that claims to preserve behaviour is checked by running the same input through
the old and the new code into two CLEAN_DIRs and comparing these digests. Each table is
read from its Parquet files, the columns that differ by design between two runs (the run
id and the ingest time) are dropped, and the rows are hashed in a canonical order, so a
digest depends on what was written and not on file names, row-group boundaries or the
order in which batches finished. File-level key/value metadata is hashed with the rows, a
value that lists several items (``strip_model: 06d6223a5b20,rules``) item by item, since a
file lists what its own rows hold.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pyarrow.parquet as pq

#: Tables whose digests are compared, by directory under CLEAN_DIR.
TABLES = ("articles", "paragraphs", "rejected", "sources", "dedup_index", "line_stats")

#: Columns that differ between two runs of the same input by design.
VOLATILE_COLUMNS = frozenset({"ingested_at", "flow_run_id"})


def table_digest(directory: Path) -> dict[str, object]:
    """Rows and a SHA-256 over the canonical rows and metadata of one table's Parquet files."""
    rows: list[str] = []
    metadata: set[str] = set()
    for path in sorted(directory.rglob("*.parquet")):
        table = pq.read_table(path, partitioning=None)
        kept = [name for name in table.column_names if name not in VOLATILE_COLUMNS]
        rows.extend(
            json.dumps(row, sort_keys=True, default=str) for row in table.select(kept).to_pylist()
        )
        for key, value in (table.schema.metadata or {}).items():
            metadata.update(f"{key.decode()}={item}" for item in value.decode().split(","))
    digest = hashlib.sha256()
    for line in sorted(metadata) + sorted(rows):
        digest.update(line.encode())
        digest.update(b"\n")
    return {"rows": len(rows), "sha256": digest.hexdigest()}


def clean_dir_digests(clean_dir: Path) -> dict[str, dict[str, object]]:
    """The digest of every table of :data:`TABLES` that ``clean_dir`` holds."""
    return {name: table_digest(clean_dir / name) for name in TABLES if (clean_dir / name).is_dir()}


def differences(ours: dict, theirs: dict) -> list[str]:
    """One line per table whose digest is not the same in both."""
    return [
        f"{name}: {ours.get(name)} != {theirs.get(name)}"
        for name in sorted(set(ours) | set(theirs))
        if ours.get(name) != theirs.get(name)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.digest", description=__doc__)
    parser.add_argument("clean_dir", type=Path, metavar="CLEAN_DIR")
    parser.add_argument(
        "--against", type=Path, metavar="DIGESTS.json", help="compare with saved digests"
    )
    args = parser.parse_args(argv)
    if not args.clean_dir.is_dir():
        parser.error(f"CLEAN_DIR {args.clean_dir} is not a directory")
    digests = clean_dir_digests(args.clean_dir)
    if args.against is None:
        json.dump(digests, sys.stdout, indent=2, sort_keys=True)
        print()
        return 0
    problems = differences(digests, json.loads(args.against.read_text(encoding="utf-8")))
    for line in problems:
        print(line)
    print("identical" if not problems else f"{len(problems)} table(s) differ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
