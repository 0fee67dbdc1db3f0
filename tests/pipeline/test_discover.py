"""Discovery and the read stage on awkward files: links, names, sizes, moving targets."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.dataset as ds

from pipeline.cli import main
from pipeline.discover import discover
from pipeline.stages import RunContext
from pipeline.stages.read import read_batch
from pipeline.store import Ledger, Root

STORY = (
    "Harbour ferry returns after storm repairs\n"
    "The harbour ferry returned to service on Monday after three weeks of storm repairs, the "
    "port authority said.\n"
    "Passengers queued from early morning to board the first crossing of the day.\n"
)


def found(raw: Path, **kwargs):
    return discover(Root.open(str(raw)), Ledger(frozenset(), {}), **kwargs)


def test_symlink_out_of_raw_dir_is_rejected_not_followed(tmp_path):
    raw, outside = tmp_path / "raw", tmp_path / "secret.txt"
    raw.mkdir()
    outside.write_text(STORY)
    (raw / "link.txt").symlink_to(outside)
    (raw / "inside.txt").write_text(STORY)
    (raw / "inner-link.txt").symlink_to(raw / "inside.txt")
    result = found(raw)
    assert [(r.path, r.error_kind) for r in result.rejected] == [("link.txt", "symlink_outside")]
    assert [s.path for s in result.new] == ["inner-link.txt"]
    assert [(s.path, first) for s, first in result.duplicates] == [("inside.txt", "inner-link.txt")]


def test_file_over_the_size_limit_is_rejected_with_the_limit(tmp_path):
    (tmp_path / "big.txt").write_text(STORY * 100)
    (tmp_path / "small.txt").write_text(STORY)
    result = found(tmp_path, max_file_bytes=1000)
    assert [r.error_kind for r in result.rejected] == ["too_large"]
    assert "1000" in result.rejected[0].message
    assert [s.path for s in result.new] == ["small.txt"]


def test_hidden_files_and_sidecars_are_not_articles(tmp_path):
    (tmp_path / ".DS_Store").write_bytes(b"\0\1")
    (tmp_path / "a.txt").write_text(STORY)
    (tmp_path / "a.meta.json").write_text('{"url": "https://example.com/a"}')
    assert [s.path for s in found(tmp_path).new] == ["a.txt"]


def test_file_changed_between_discovery_and_reading_is_rejected(tmp_path):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    (raw / "moving.txt").write_text(STORY)
    sources = found(raw).new
    (raw / "moving.txt").write_text(STORY + "A late correction was appended.\n")
    ctx = RunContext(str(raw), str(clean), "run-1", datetime.now(UTC))
    result = read_batch(ctx, 0, sources)
    assert result.counters.rejects_by_reason["changed_while_reading"] == 1
    assert result.counters.counts["documents"] == 0


def test_awkward_names_are_ingested_with_printable_paths(tmp_path):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    for i, name in enumerate([b"with space.txt", b"new\nline.txt", b"caf\xe9-latin1.txt"]):
        with open(os.path.join(os.fsencode(raw), name), "wb") as handle:
            handle.write(STORY.replace("Monday", f"day {i}").encode())
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    articles = ds.dataset(clean / "articles", partitioning="hive").to_table().to_pylist()
    assert sorted(a["source_path"] for a in articles) == [
        "caf\\xe9-latin1.txt",
        "new\nline.txt",
        "with space.txt",
    ]
