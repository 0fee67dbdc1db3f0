"""Readers and writers at once: a reader sees only committed versions, two writers never
both publish, even with the lock file deleted under a running ingest."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from deltalake import DeltaTable

from pipeline.store import Root, commit
from pipeline.store.commit import ConcurrentWriter
from pipeline.store.lock import LOCK_FILE
from pipeline.verify import verify
from tests.pipeline.store.test_crash_recovery import (
    ingest_process,
    kill_when,
    rows,
    stage_sources,
    staged_files,
    write_articles,
)

SMALL = ("--batch-size", "10", "--workers", "1")


def test_a_second_writer_from_the_same_base_publishes_nothing(tmp_path):
    root = Root.open(str(tmp_path))
    first = stage_sources(root, "run-a", ["a"])
    second = stage_sources(root, "run-b", ["b"])
    first.base = second.base = 0  # both started before either committed
    commit(root, first)
    with pytest.raises(ConcurrentWriter, match="another run committed"):
        commit(root, second)
    assert [r["source_path"] for r in rows(tmp_path, "sources")] == ["a"]
    assert not (tmp_path / "_staging" / "run-b").exists()
    assert verify(str(tmp_path)) == []


def test_deleting_the_lock_mid_run_lets_no_two_writers_corrupt_state(tmp_path):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    write_articles(raw, 150)
    first = ingest_process(raw, clean, *SMALL)
    holding = lambda: (clean / LOCK_FILE).exists() and staged_files(clean) >= 1  # noqa: E731
    while first.poll() is None and not holding():
        threading.Event().wait(0.05)
    (clean / LOCK_FILE).unlink()  # the second run locks a new inode and runs alongside
    second = ingest_process(raw, clean, *SMALL)
    outputs = [process.communicate(timeout=600)[0] for process in (first, second)]
    failed = [
        out for process, out in zip((first, second), outputs, strict=True) if process.returncode
    ]
    assert all("another run committed" in out for out in failed), failed
    last = ingest_process(raw, clean, *SMALL)  # whatever the loser left undone
    assert last.wait(timeout=600) == 0
    articles = rows(clean, "articles")
    assert len(articles) == 150 == len({a["article_id"] for a in articles})
    assert len(rows(clean, "sources")) == 150
    assert verify(str(clean), raw_dir=str(raw)) == []


class Reader(threading.Thread):
    """Reads the latest version of articles and sources in a loop, noting what it saw."""

    def __init__(self, clean: Path) -> None:
        super().__init__(daemon=True)
        self.clean, self.seen, self.stop, self.errors = clean, [], threading.Event(), []

    def run(self) -> None:
        while not self.stop.is_set():
            for name in ("articles", "sources"):
                if not (self.clean / name / "_delta_log").exists():
                    continue
                try:
                    table = DeltaTable(str(self.clean / name))
                    runs = table.to_pyarrow_table(columns=["flow_run_id"])["flow_run_id"]
                except Exception as error:
                    self.errors.append(repr(error))
                    continue
                self.seen.append((name, table.version(), Counter(runs.to_pylist())))
            self.stop.wait(0.02)


def test_a_reader_during_a_crash_looped_ingest_sees_only_committed_versions(tmp_path):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    reader = Reader(clean)
    reader.start()
    kill_points = [
        lambda: staged_files(clean) >= 3,  # mid-run
        lambda: (
            any(  # mid-commit: a commit record without its marker
                not p.with_suffix(".done").exists() for p in (clean / "_commits").glob("*.json")
            )
            if (clean / "_commits").exists()
            else False
        ),
        None,  # runs to the end
    ]
    for round_, kill_at in enumerate(kill_points):
        write_articles(raw / f"round-{round_}", 40)
        process = ingest_process(raw, clean, *SMALL)
        if kill_at is None or not kill_when(process, kill_at):
            assert process.wait(timeout=600) == 0
    final = ingest_process(raw, clean, *SMALL)
    assert final.wait(timeout=600) == 0
    reader.stop.set()
    reader.join()

    assert reader.errors == []
    assert len(reader.seen) > 10
    final_counts = {
        name: Counter(
            DeltaTable(str(clean / name))
            .to_pyarrow_table(columns=["flow_run_id"])["flow_run_id"]
            .to_pylist()
        )
        for name in ("articles", "sources")
    }
    for name, version, counts in reader.seen:
        committed = DeltaTable(str(clean / name), version=version).to_pyarrow_table(
            columns=["flow_run_id"]
        )
        assert counts == Counter(committed["flow_run_id"].to_pylist()), (name, version)
        for run, n in counts.items():  # never part of a run
            assert n == final_counts[name][run], (name, version, run)
    assert len(rows(clean, "articles")) == 40  # each round repeats the same 40 stories
    assert len(rows(clean, "sources")) == 120
    assert verify(str(clean), raw_dir=str(raw)) == []
