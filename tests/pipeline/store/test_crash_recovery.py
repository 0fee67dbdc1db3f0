"""Nothing lost, nothing duplicated: interrupted commits, killed runs, concurrent runs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from conftest import ROOT

from pipeline.store import CommitPlan, Root, commit, recover, staged_path, write_part
from pipeline.store.commit import pending_commits
from pipeline.store.layout import READ_CACHE_DIR, STAGING
from pipeline.store.schema import SOURCES
from pipeline.verify import verify


def write_articles(raw: Path, n: int) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (raw / f"story-{i:04d}.txt").write_text(
            f"Council approves budget number {i}\n"
            f"The council of district {i} approved its budget on Tuesday after a long debate "
            f"about road repairs, school meals and the new library in ward {i % 7}.\n"
            f"Officials said the plan for district {i} would be reviewed again in spring.\n"
        )


def rows(clean: Path, dataset: str) -> list[dict]:
    path = clean / dataset
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def ingest_process(raw: Path, clean: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "ingest", str(raw), str(clean), *extra],
        cwd=ROOT,
        start_new_session=True,  # its own process group: kill -9 reaches the Prefect server too
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def kill_when(process: subprocess.Popen, condition, timeout: float = 240) -> bool:
    """SIGKILL the run's whole process group once ``condition()`` holds; False if it ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if condition():
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the run never reached the point to kill it at")


def staged_files(clean: Path) -> int:
    """Parquet files a run has written but not committed: staged parts and cached read
    batches (the read cache). The run may delete them while we count."""
    found = 0
    for scratch in (STAGING, READ_CACHE_DIR):
        with contextlib.suppress(FileNotFoundError):
            found += sum(1 for _ in (clean / scratch).rglob("*.parquet"))
    return found


# -- the commit protocol, interrupted at every step ---------------------------------------------


def stage_sources(root: Root, run_id: str, names: list[str]) -> CommitPlan:
    plan = CommitPlan(run_id)
    for name in names:
        table = pa.Table.from_pylist(
            [
                {
                    "source_path": name,
                    "source_sha256": name * 2,
                    "outcome": "ingested",
                    "articles": 0,
                    "rejected_records": 0,
                }
            ],
            SOURCES,
        )
        plan.staged.append(
            write_part(
                root, staged_path(run_id, f"sources/ingest_date=2026-01-01/{name}.parquet"), table
            )
        )
    return plan


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no handler catches it."""


@pytest.mark.parametrize("moves_before_crash", [0, 1, 2])
def test_commit_interrupted_is_rolled_forward(tmp_path, monkeypatch, moves_before_crash):
    root = Root.open(str(tmp_path))
    plan = stage_sources(root, "run-a", ["a", "b", "c"])
    real_mv, done = root.fs.mv, []

    def dying_mv(source, target, **kwargs):
        if target.endswith(".parquet"):
            if len(done) == moves_before_crash:
                raise Crash
            done.append(target)
        return real_mv(source, target, **kwargs)

    monkeypatch.setattr(root.fs, "mv", dying_mv)
    with pytest.raises(Crash):
        commit(root, plan)
    monkeypatch.undo()
    assert pending_commits(root) == [1]
    assert any("interrupted" in problem for problem in verify(str(tmp_path)))
    assert recover(root) == [1]
    assert sorted(r["source_path"] for r in rows(tmp_path, "sources")) == ["a", "b", "c"]
    assert verify(str(tmp_path)) == []
    assert recover(root) == []  # recovering twice changes nothing


def test_crash_before_manifest_leaves_nothing_visible(tmp_path):
    root = Root.open(str(tmp_path))
    stage_sources(root, "run-a", ["a"])  # staged, never committed: the process died here
    assert rows(tmp_path, "sources") == []
    recover(root)
    assert not (tmp_path / "_staging").exists() or staged_files(tmp_path) == 0
    [problem] = verify(str(tmp_path))  # nothing was ever committed: no CLEAN_DIR yet
    assert "not a CLEAN_DIR" in problem


# -- real runs, killed ----------------------------------------------------------------------


def test_killed_runs_then_a_full_run_lose_and_duplicate_nothing(tmp_path):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    write_articles(raw, 240)
    small_batches = ("--batch-size", "10", "--workers", "1")

    # 1. killed while reading: the first batch is being staged
    killed = kill_when(ingest_process(raw, clean, *small_batches), lambda: staged_files(clean) >= 1)
    assert killed and rows(clean, "articles") == []
    # 2. killed after several batches went through
    killed = kill_when(
        ingest_process(raw, clean, *small_batches), lambda: staged_files(clean) >= 12
    )
    assert killed and rows(clean, "articles") == []
    # 3. a run that finishes
    process = ingest_process(raw, clean, *small_batches)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output

    articles = rows(clean, "articles")
    assert len(articles) == 240
    assert len({a["article_id"] for a in articles}) == 240
    assert verify(str(clean), raw_dir=str(raw)) == []


def test_two_runs_at_once_neither_corrupt_nor_duplicate(tmp_path):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    write_articles(raw, 60)
    first = ingest_process(raw, clean, "--workers", "1", "--batch-size", "10")
    second = ingest_process(raw, clean, "--workers", "1", "--batch-size", "10")
    for process in (first, second):
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output
    articles = rows(clean, "articles")
    assert len(articles) == 60
    assert len({a["article_id"] for a in articles}) == 60
    assert len(rows(clean, "sources")) == 60
    assert verify(str(clean), raw_dir=str(raw)) == []
