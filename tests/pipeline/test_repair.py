"""``repair`` sets damaged files aside, re-ingests the sources whose records were lost and
rebuilds the line statistics; ``verify`` is clean afterwards and nothing is lost."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from pipeline.cli import main
from pipeline.store.layout import LEGACY_WORK_DIR, STAGING, scratch_dir
from pipeline.verify import verify
from tests.pipeline.test_verify import first, good, truncate  # noqa: F401 - good is a fixture


def delete_articles_part(clean: Path) -> None:
    first(clean, "articles").unlink()


def truncate_articles_part(clean: Path) -> None:
    truncate(first(clean, "articles"))


def truncate_paragraphs_part(clean: Path) -> None:
    truncate(first(clean, "paragraphs"))


def truncate_line_stats(clean: Path) -> None:
    truncate(first(clean, "line_stats"))


def truncate_index_part(clean: Path) -> None:
    truncate(first(clean, "dedup_index"))


def stray_part(clean: Path) -> None:
    shutil.copy(first(clean, "sources"), first(clean, "sources").with_name("part-stray.parquet"))


def interrupted_run_scratch(clean: Path) -> None:
    scratch = clean / scratch_dir("run-interrupted")
    scratch.mkdir(parents=True)
    shutil.copy(first(clean, "articles"), scratch / "articles-00000.parquet")


def earlier_versions_work_dir(clean: Path) -> None:
    (clean / LEGACY_WORK_DIR / "read-0123").mkdir(parents=True)
    (clean / LEGACY_WORK_DIR / "read-0123" / "result.json").write_text("{}")


def rows(clean: Path, name: str) -> int:
    return DeltaTable(str(clean / name)).to_pyarrow_table().num_rows


@pytest.mark.parametrize(
    "damage",
    [
        delete_articles_part,
        truncate_articles_part,
        truncate_paragraphs_part,
        truncate_line_stats,
        truncate_index_part,
        stray_part,
        interrupted_run_scratch,
        earlier_versions_work_dir,
    ],
)
def test_repair_makes_a_damaged_clean_dir_whole(good, tmp_path, damage: Callable):  # noqa: F811
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    shutil.copytree(good[0], raw)
    shutil.copytree(good[1], clean)
    before = {name: rows(clean, name) for name in ("articles", "paragraphs", "sources")}
    stats = pq.read_metadata(first(clean, "line_stats")).num_rows
    damage(clean)
    assert verify(str(clean), raw_dir=str(raw)) != []
    assert main(["repair", str(clean), "--raw-dir", str(raw)]) == 0
    assert verify(str(clean), raw_dir=str(raw)) == []
    after = {name: rows(clean, name) for name in ("articles", "paragraphs", "sources")}
    assert after == before
    assert pq.read_metadata(first(clean, "line_stats")).num_rows == stats


def test_verify_reports_leftover_scratch_and_repair_removes_it(good, tmp_path, capsys):  # noqa: F811
    clean = tmp_path / "clean"
    shutil.copytree(good[1], clean)
    interrupted_run_scratch(clean)
    earlier_versions_work_dir(clean)
    capsys.readouterr()
    assert main(["verify", str(clean)]) == 1
    problems = capsys.readouterr().out.splitlines()
    assert [p.split(" ", 1)[0] for p in problems] == [f"{STAGING}/", f"{LEGACY_WORK_DIR}/"]
    assert all("`repair` removes it" in problem for problem in problems)

    assert main(["repair", str(clean)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [f"removed {STAGING}/", f"removed {LEGACY_WORK_DIR}/"] == [
        line.split(" (", 1)[0] for line in out
    ]
    assert not (clean / STAGING).exists() and not (clean / LEGACY_WORK_DIR).exists()
    assert verify(str(clean)) == []
