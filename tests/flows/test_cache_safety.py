"""Nothing in the read cache can run code: every entry is checked, a bad one is read again."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from flows import cache
from pipeline.store.layout import READ_CACHE_DIR
from tests.flows.test_flow_orchestration import _count_reads, _crash_in_strip, _ingest


class Planted:
    """Unpickling this runs ``touch <marker>``: what an attacker would plant."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _work_dirs(clean: Path) -> list[Path]:
    return sorted((clean / READ_CACHE_DIR).glob(f"{cache.READ_PREFIX}*"))


def test_planted_pickles_and_garbage_are_never_executed_and_are_recomputed(tmp_path, monkeypatch):
    clean, marker = tmp_path / "clean", tmp_path / "pwned"
    _crash_in_strip(monkeypatch, clean)
    payload = pickle.dumps(Planted(marker))
    first, second, third = _work_dirs(clean)
    (first / cache.RESULT_FILE).write_bytes(payload)  # the record itself a pickle
    (second / "extracted.parquet").write_bytes(payload)  # a batch file a pickle
    record = json.loads((third / cache.RESULT_FILE).read_text())
    record["work"]["sources"] = "../../../elsewhere/sources.parquet"  # a path out of the batch
    (third / cache.RESULT_FILE).write_text(json.dumps(record))
    legacy = clean / READ_CACHE_DIR / "_results"  # where earlier versions kept Prefect pickles
    legacy.mkdir()
    for batch in (first, second, third):
        (legacy / batch.name).write_bytes(payload)

    reads = _count_reads(monkeypatch)
    summary = _ingest(clean)
    assert not marker.exists()
    assert sorted(reads) == [0, 1, 2]  # every planted entry was read again
    monkeypatch.undo()
    assert summary.counts == _ingest(tmp_path / "fresh").counts
    assert not (clean / READ_CACHE_DIR).exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: (d / cache.RESULT_FILE).write_text("{not json"),
        lambda d: (d / cache.RESULT_FILE).write_text(json.dumps({"work": {}, "counts": {}})),
        lambda d: (d / "line_counts.parquet").write_bytes(b"PAR1 truncated"),
        lambda d: (d / "rejected.parquet").unlink(),
    ],
    ids=["not-json", "wrong-fields", "truncated-part", "missing-part"],
)
def test_a_damaged_entry_is_dropped_and_read_again(tmp_path, monkeypatch, damage):
    clean = tmp_path / "clean"
    _crash_in_strip(monkeypatch, clean)
    damaged = _work_dirs(clean)[0]
    damage(damaged)
    assert cache.load(cache.Root.open(str(clean)), f"{READ_CACHE_DIR}/{damaged.name}") is None
    assert not damaged.exists()
    for other in _work_dirs(clean):
        assert cache.load(cache.Root.open(str(clean)), f"{READ_CACHE_DIR}/{other.name}") is not None
