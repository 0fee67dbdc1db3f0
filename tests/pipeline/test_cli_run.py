"""One real ``ingest`` from the command line: its JSON summary, its live progress reports
and its Prefect progress artifact, checked against the Parquet it wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from deltalake import DeltaTable

from benchmarks.digest import clean_dir_digests, differences
from pipeline.cli import main
from pipeline.progress import StageProgress, listening

BATCH_SIZE = 2


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("cli-run")
    raw, clean, summary = base / "raw", base / "clean", base / "summary.json"
    shutil.copytree(ROOT / "raw", raw)
    reports: list[StageProgress] = []
    with listening(reports.append):
        code = main(
            [
                *("ingest", str(raw), str(clean), "--workers", "1"),
                *("--batch-size", str(BATCH_SIZE), "--summary-json", str(summary)),
            ]
        )
    assert code == 0
    return {"clean": clean, "summary": json.loads(summary.read_text()), "reports": reports}


def rows(clean: Path, dataset: str) -> list[dict]:
    return DeltaTable(str(clean / dataset)).to_pyarrow_table().to_pylist()


def test_summary_json_counts_what_was_written(run: dict) -> None:
    summary, clean = run["summary"], run["clean"]
    articles = rows(clean, "articles")
    assert summary["counts"]["articles"] == len(articles) > 0
    assert summary["counts"]["paragraphs"] == len(rows(clean, "paragraphs"))
    assert summary["flow_run_id"] == articles[0]["flow_run_id"]
    removed = [r["kind"] for a in articles for r in a["removed"]]
    assert summary["lines_stripped_by_kind"] == {kind: removed.count(kind) for kind in set(removed)}
    assert summary["counts"]["lines_stripped"] == len(removed)
    assert summary["seconds"] > 0


def test_every_stage_reports_its_files_as_batches_finish(run: dict) -> None:
    reports, files = run["reports"], run["summary"]["counts"]["files_read"]
    by_stage: dict[str, list[StageProgress]] = {}
    for report in reports:
        by_stage.setdefault(report.stage, []).append(report)
    assert list(by_stage) == ["discover", "read", "merge-stats", "strip", "link", "finalize"]
    seen = by_stage["discover"]
    assert [r.done for r in seen[:-1]] == list(range(1, len(seen)))  # one report per file
    assert seen[-1].done == seen[-1].total == run["summary"]["counts"]["files_seen"]
    batches = -(-files // BATCH_SIZE)
    for stage in ("read", "strip", "finalize"):
        done = [r.done for r in by_stage[stage]]
        assert done == sorted(done) and done[0] == 0 and done[-1] == files
        assert len(done) == 1 + batches  # the announcement, then each batch as it ends
        assert {r.total for r in by_stage[stage]} == {files}
    for stage in ("merge-stats", "link"):
        assert [(r.done, r.total) for r in by_stage[stage]] == [(0, 1), (1, 1)]


def test_progress_artifact_ends_at_100_percent(run: dict) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterType,
    )

    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[run["summary"]["flow_run_id"]]),
                type=ArtifactFilterType(any_=["progress"]),
            )
        )
    assert artifact.key == "ingest-progress"
    assert float(artifact.data) == pytest.approx(100.0)
    files = run["summary"]["counts"]["files_read"]
    assert artifact.description == f"finalize: {files} of {files} files"


def test_the_output_matches_the_saved_digests_of_raw(run: dict) -> None:
    """A change of behaviour shows here first. When it is meant, save the new digests with
    ``python -m pipeline ingest raw OUT && python -m benchmarks.digest OUT
    > benchmarks/digests/raw.json`` and say why in the commit."""
    saved = json.loads((ROOT / "benchmarks" / "digests" / "raw.json").read_text())
    assert differences(clean_dir_digests(run["clean"]), saved) == []
