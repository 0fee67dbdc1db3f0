"""Every runner writes the same records: threads in-process, threads plus a 2-process spawn
pool, and a 2-worker Dask LocalCluster, with RAW_DIR and CLEAN_DIR given as file:// URLs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from conftest import ROOT

from flows.ingest import ingest
from flows.runners import task_runner
from pipeline.store import DATASETS

pytest.importorskip("prefect_dask")

RAW = ROOT / "raw"
#: Columns that name the run, not the content.
RUN_COLUMNS = {"flow_run_id", "ingested_at", "ingest_date"}


def _records(clean: Path) -> dict[str, list[str]]:
    """Every published row of every dataset, less the run's id and time, in a stable order."""
    records = {}
    for name in DATASETS:
        table = ds.dataset(clean / name, format="parquet", partitioning="hive").to_table()
        table = table.drop_columns(sorted(RUN_COLUMNS & set(table.column_names)))
        records[name] = sorted(repr(row) for row in table.to_pylist())
    return records


def _run(clean: Path, runner: str, workers: int) -> dict[str, list[str]]:
    flow = ingest.with_options(task_runner=task_runner(runner, workers=workers))
    summary = flow(raw_dir=RAW.as_uri(), clean_dir=clean.as_uri(), batch_size=3, workers=workers)
    assert summary.counts["articles"] > 0
    return _records(clean)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, list[str]]:
    return _run(tmp_path_factory.mktemp("threads-1"), "threads", workers=1)


def test_process_pool_of_two_writes_the_same_records(reference, tmp_path):
    assert _run(tmp_path / "clean", "threads", workers=2) == reference


def test_dask_local_cluster_of_two_writes_the_same_records(reference, tmp_path):
    assert _run(tmp_path / "clean", "dask", workers=2) == reference


def test_a_slow_file_meets_its_deadline_on_dask_too(tmp_path, monkeypatch):
    """Dask workers are daemonic by default and could not start the child process a file is
    read in, so a file that reads for minutes held its worker for minutes; the LocalCluster's
    workers are started non-daemonic, and the deadline holds."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.txt").write_text("The harbour reopened on Monday after repairs.\n")
    page = "<html><body><article><p>" + "The council met on Tuesday. " * 8 + "</p></article>"
    (raw / "slow.jsonl").write_text(
        (json.dumps({"url": "https://a.example/", "html": page}) + "\n") * 5000
    )
    monkeypatch.setenv("PIPELINE_MAX_FILE_SECONDS", "3")
    clean = tmp_path / "clean"
    flow = ingest.with_options(task_runner=task_runner("dask", workers=1))
    flow(raw_dir=raw.as_uri(), clean_dir=clean.as_uri(), workers=1)
    rejected = ds.dataset(clean / "rejected", format="parquet", partitioning="hive").to_table()
    assert rejected.select(["source_path", "error_kind"]).to_pylist() == [
        {"source_path": "slow.jsonl", "error_kind": "timeout"}
    ]
