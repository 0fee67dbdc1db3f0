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
