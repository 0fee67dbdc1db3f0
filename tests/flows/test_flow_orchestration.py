"""The ingest flow's orchestration: read cache across a crash, process pool, retries, report."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT
from prefect.states import Completed, Failed

from flows import cache
from flows.ingest import ingest
from flows.pool import process_pool, run_cpu
from flows.report import report_rows
from flows.retries import is_transient
from pipeline.discover import SourceFile
from pipeline.readers import Limits
from pipeline.stages import RunContext
from pipeline.stages import read as read_stage
from pipeline.stages import stats as stats_stage
from pipeline.stages import strip as strip_stage
from pipeline.store.layout import READ_CACHE_DIR
from pipeline.summary import RunSummary

RAW = ROOT / "raw"
BATCH = 4  # the 9 sample files make 3 batches


def _ingest(clean: Path, **options) -> RunSummary:
    return ingest(raw_dir=str(RAW), clean_dir=str(clean), batch_size=BATCH, workers=1, **options)


def _crash_in_strip(monkeypatch: pytest.MonkeyPatch, clean: Path) -> None:
    """A run that dies after reading every batch (a bug, so no retry)."""
    calls: list[int] = []

    def crash(ctx, batch, *args):
        calls.append(batch)
        raise RuntimeError("simulated crash after the read stage")

    with monkeypatch.context() as patch:
        patch.setattr(strip_stage, "strip_batch", crash)
        with pytest.raises(RuntimeError, match="simulated crash"):
            _ingest(clean)
    assert sorted(calls) == [0, 1, 2]  # each batch failed once: bugs are not retried


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = read_stage.read_batch

    def counting(ctx, batch, files, work=None):
        calls.append(batch)
        return real(ctx, batch, files, work)

    monkeypatch.setattr(read_stage, "read_batch", counting)
    return calls


def _cached_batches(clean: Path) -> tuple[list[str], list[str]]:
    work = clean / READ_CACHE_DIR
    dirs = sorted(p.name for p in work.glob(f"{cache.READ_PREFIX}*")) if work.exists() else []
    records = [name for name in dirs if (work / name / cache.RESULT_FILE).exists()]
    return dirs, records


def _articles(summary: RunSummary) -> int:
    return summary.counts["articles"]


def test_run_after_a_crash_reuses_the_read_stage(tmp_path, monkeypatch):
    clean = tmp_path / "clean"
    _crash_in_strip(monkeypatch, clean)
    dirs, records = _cached_batches(clean)
    assert len(dirs) == 3 and dirs == records
    reads = _count_reads(monkeypatch)
    summary = _ingest(clean)
    assert reads == []  # every batch came from the cache
    assert summary.counts["files_read"] == 9
    monkeypatch.undo()
    fresh = _ingest(tmp_path / "fresh")
    assert _articles(summary) == _articles(fresh) > 0
    assert summary.counts == fresh.counts
    assert not (clean / READ_CACHE_DIR).exists()  # the commit consumed the cached batches


def test_cached_batch_whose_files_are_gone_is_read_again(tmp_path, monkeypatch):
    clean = tmp_path / "clean"
    _crash_in_strip(monkeypatch, clean)
    dirs, _ = _cached_batches(clean)
    for name in dirs[:1]:
        (clean / READ_CACHE_DIR / name / "extracted.parquet").unlink()
    reads = _count_reads(monkeypatch)
    summary = _ingest(clean)
    assert len(reads) == 1
    assert summary.counts["files_read"] == 9 and _articles(summary) > 0


def test_a_run_with_other_batches_drops_the_stale_cache(tmp_path, monkeypatch):
    clean = tmp_path / "clean"
    _crash_in_strip(monkeypatch, clean)
    reads = _count_reads(monkeypatch)
    ingest(raw_dir=str(RAW), clean_dir=str(clean), batch_size=100, workers=1)
    assert reads == [0]
    assert _cached_batches(clean) == ([], [])


def test_read_key_follows_content_code_and_place(monkeypatch):
    ctx = RunContext("raw", "clean", "run-1", ingested_at=None)  # type: ignore[arg-type]
    files = [SourceFile("a.txt", "a.txt", 3, "0" * 64)]
    key = cache.read_key(ctx, files)
    other_run = RunContext("raw", "clean", "run-2", ingested_at=None)  # type: ignore[arg-type]
    assert cache.read_key(other_run, files) == key
    assert cache.read_key(ctx, [SourceFile("a.txt", "a.txt", 3, "1" * 64)]) != key
    assert cache.read_key(RunContext("raw", "elsewhere", "run-1", None), files) != key  # type: ignore[arg-type]
    assert cache.read_key(replace(ctx, limits=Limits(max_document_bytes=1000)), files) != key
    monkeypatch.setattr(cache, "code_version", lambda: "another version")
    assert cache.read_key(ctx, files) != key


def test_process_pool_runs_in_spawned_children_and_never_nests():
    with process_pool(2):
        child = run_cpu(os.getpid)
        assert child != os.getpid()
        with process_pool(2):  # an inner pool reuses the outer one
            assert run_cpu(os.getpid) != os.getpid()
        assert run_cpu(os.getpid) != os.getpid()  # the inner exit did not close it
    assert run_cpu(os.getpid) == os.getpid()


def test_a_transient_error_is_retried_and_the_run_completes(tmp_path, monkeypatch):
    calls: list[int] = []
    real = stats_stage.merge_stats

    def flaky(*args):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("object store hiccup")
        return real(*args)

    monkeypatch.setattr(stats_stage, "merge_stats", flaky)
    summary = _ingest(tmp_path / "clean")
    assert len(calls) == 2 and _articles(summary) > 0


def test_dask_address_without_the_dask_runner_is_refused(tmp_path, capsys):
    from pipeline.cli import main

    code = main(["ingest", str(RAW), str(tmp_path / "clean"), "--dask-address", "tcp://x:8786"])
    assert code == 2
    assert "--runner dask" in capsys.readouterr().err


def test_only_transient_errors_are_retried():
    def failed(error: BaseException):
        return Failed(data=error)

    assert is_transient(None, None, failed(OSError("connection reset")))
    assert is_transient(None, None, failed(TimeoutError()))
    assert not is_transient(None, None, failed(ValueError("a bug")))
    assert not is_transient(None, None, failed(KeyError("a bug")))
    assert not is_transient(None, None, Completed())


def test_report_table_holds_the_headline_and_every_breakdown():
    summary = RunSummary("raw", "clean", seconds=2.0)
    summary.counts.update(articles=10)
    summary.counters.removals_by_kind.update(paywall_appeal=3)
    summary.counters.removals_by_rule.update({"en.paywall": 3})
    summary.counters.rejects_by_reason.update(too_large=1)
    rows = report_rows(summary)
    by_item = {(row["section"], row["item"]): row["value"] for row in rows}
    assert by_item[("run", "articles written")] == "10"
    assert by_item[("run", "articles per second")] == "5.0"
    assert by_item[("lines stripped by kind", "paywall_appeal")] == "3"
    assert by_item[("lines stripped by rule", "en.paywall")] == "3"
    assert by_item[("rejects by reason", "too_large")] == "1"
