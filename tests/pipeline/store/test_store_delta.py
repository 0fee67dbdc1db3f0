"""The record tables as Delta tables: every table from the first run, one version per run,
the documented reads, time travel, compaction that a plain glob never double counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
from conftest import ROOT
from deltalake import DeltaTable

from pipeline.cli import main
from pipeline.store import DATASETS, Root
from pipeline.store.compact import optimize
from pipeline.store.history import history
from pipeline.verify import verify
from tests.pipeline.store.test_crash_recovery import write_articles


def glob_rows(clean: Path, name: str) -> int:
    """What a plain glob of the table's Parquet files counts (the Delta log ignored)."""
    files = [p for p in (clean / name).rglob("*.parquet") if "_delta_log" not in p.parts]
    return ds.dataset(files, format="parquet").count_rows() if files else 0


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("delta")
    raw, clean = base / "raw", base / "clean"
    shutil.copytree(ROOT / "raw", raw)
    assert main(["ingest", str(raw), str(clean), "--workers", "1", "--batch-size", "2"]) == 0
    write_articles(raw / "later", 3)
    assert main(["ingest", str(raw), str(clean), "--workers", "1", "--batch-size", "2"]) == 0
    return raw, clean


def test_every_table_exists_from_a_first_run_that_rejects_nothing(tmp_path):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    write_articles(raw, 3)
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    for name in DATASETS:  # the documented reads, on every table, empty or not
        table = DeltaTable(str(clean / name))
        frame = table.to_pandas()
        dataset = table.to_pyarrow_dataset()
        count = duckdb.sql("SELECT count(*) FROM dataset").fetchall()[0][0]
        assert count == len(frame) == dataset.count_rows()
    assert len(DeltaTable(str(clean / "rejected")).to_pandas()) == 0
    assert len(DeltaTable(str(clean / "articles")).to_pandas()) == 3


def test_each_run_is_a_version_of_every_table_and_old_versions_read_back(two_runs, capsys):
    _, clean = two_runs
    entries = [e for e in history(Root.open(str(clean))) if e.operation == "ingest"]
    assert [e.seq for e in entries] == [1, 2]
    assert all(set(e.versions) == set(DATASETS) for e in entries)
    first = entries[0].versions["articles"]
    then = DeltaTable(str(clean / "articles"), version=first).to_pyarrow_table().num_rows
    now = DeltaTable(str(clean / "articles")).to_pyarrow_table().num_rows
    assert now == then + 3
    assert main(["history", str(clean)]) == 0
    assert entries[1].run_id in capsys.readouterr().out


def test_polars_reads_the_tables(two_runs):
    polars = pytest.importorskip("polars")
    _, clean = two_runs
    frame = polars.read_delta(str(clean / "articles"))
    assert frame.height == DeltaTable(str(clean / "articles")).to_pyarrow_table().num_rows


def test_optimize_compacts_sorts_and_vacuums(two_runs, tmp_path, capsys):
    raw, clean = two_runs
    copy = tmp_path / "clean"
    shutil.copytree(clean, copy)
    before = {name: DeltaTable(str(copy / name)).to_pyarrow_table().num_rows for name in DATASETS}
    assert glob_rows(copy, "articles") == before["articles"]
    assert main(["optimize", str(copy)]) == 0
    for name in DATASETS:
        table = DeltaTable(str(copy / name))
        assert table.to_pyarrow_table().num_rows == before[name]
        assert glob_rows(copy, name) == before[name]  # replaced files are gone
        partitions = [a["partition.ingest_date"] for a in _actions(table)]
        assert len(partitions) == len(set(partitions))  # one file per partition
    articles = DeltaTable(str(copy / "articles")).to_pyarrow_table()
    keys = list(zip(articles["outlet"].to_pylist(), articles["published"].to_pylist(), strict=True))
    assert keys == sorted(keys, key=lambda k: (k[0] is None, k[0] or "", k[1] is None, k[1] or ""))
    assert verify(str(copy), raw_dir=str(raw)) == []
    assert any(e.operation == "optimize" for e in history(Root.open(str(copy))))


def test_with_retention_a_glob_double_counts_but_never_silently(two_runs, tmp_path):
    raw, clean = two_runs
    copy = tmp_path / "clean"
    shutil.copytree(clean, copy)
    rows = DeltaTable(str(copy / "articles")).to_pyarrow_table().num_rows
    optimize(Root.open(str(copy)), retention=24)
    assert DeltaTable(str(copy / "articles")).to_pyarrow_table().num_rows == rows
    assert glob_rows(copy, "articles") == 2 * rows  # what a glob would wrongly count
    problems = verify(str(copy), raw_dir=str(raw))
    assert any("a plain glob of articles/**/*.parquet double counts" in p for p in problems)


def _actions(table: DeltaTable) -> list[dict]:
    import pyarrow as pa

    return pa.table(table.get_add_actions(flatten=True)).to_pylist()


def test_a_run_compacts_a_partition_of_many_files(tmp_path, monkeypatch):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    write_articles(raw, 8)
    monkeypatch.setenv("PIPELINE_COMPACT_MIN_FILES", "3")
    assert main(["ingest", str(raw), str(clean), "--workers", "1", "--batch-size", "2"]) == 0
    for name in ("articles", "paragraphs", "sources"):  # four batches: four files, compacted
        assert len(DeltaTable(str(clean / name)).file_uris()) == 1, name
        assert glob_rows(clean, name) == DeltaTable(str(clean / name)).to_pyarrow_table().num_rows
    assert len(DeltaTable(str(clean / "articles")).to_pyarrow_table()) == 8
    assert verify(str(clean), raw_dir=str(raw)) == []
