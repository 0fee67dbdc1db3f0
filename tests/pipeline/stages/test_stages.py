"""The batch stages without Prefect: results depend on the input, not on how it is cut up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from benchmarks.rows_flow import plain_ingest
from pipeline.stages import batches_of
from pipeline.stages import link as link_stage


def links(clean: Path) -> dict:
    table = ds.dataset(clean / "paragraphs", partitioning="hive").to_table()
    return {
        (row["article_id"], row["idx"]): (
            row["duplicate_of_article"],
            row["duplicate_of_idx"],
            row["dup_kind"],
        )
        for row in table.to_pylist()
    }


@pytest.fixture(scope="module")
def raw(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    for path in seeds_dir.glob("*.txt"):
        shutil.copy(path, raw / path.name)
    return raw


def test_batch_size_does_not_change_links(raw, tmp_path):
    plain_ingest(str(raw), str(tmp_path / "one"), batch_size=1)
    plain_ingest(str(raw), str(tmp_path / "all"), batch_size=100)
    found = links(tmp_path / "one")
    assert found == links(tmp_path / "all")
    assert sum(kind is not None for *_, kind in found.values()) >= 3


def test_small_link_chunks_still_link_across_chunks(raw, tmp_path, monkeypatch):
    plain_ingest(str(raw), str(tmp_path / "whole"))
    monkeypatch.setattr(link_stage, "LINK_CHUNK_PARAGRAPHS", 10)
    plain_ingest(str(raw), str(tmp_path / "chunked"))
    whole, chunked = links(tmp_path / "whole"), links(tmp_path / "chunked")
    assert whole.keys() == chunked.keys()
    linked = {key for key, (*_, kind) in whole.items() if kind is not None}
    assert linked == {key for key, (*_, kind) in chunked.items() if kind is not None}


def test_clean_dir_on_a_filesystem_delta_cannot_open_is_refused_with_a_message(raw):
    """The record tables are Delta tables: an fsspec-only filesystem (here memory://) is
    refused at the first table access, naming the URL, before anything is committed."""
    import fsspec

    clean = "memory://stages-test-clean"
    with pytest.raises(ValueError, match=r"memory://stages-test-clean.*need a local path"):
        plain_ingest(str(raw), clean)
    assert not fsspec.filesystem("memory").exists("/stages-test-clean/_commits")


@pytest.mark.parametrize(
    ("files", "batch_size", "workers", "sizes"),
    [
        (1000, 1000, 2, [500, 500]),
        (2500, 1000, 2, [1000, 1000, 500]),
        (5, 1000, 2, [3, 2]),
        (5, 2, 2, [2, 2, 1]),
        (1, 1000, 4, [1]),
        (0, 1000, 2, []),
        (7, 1000, 1, [7]),
    ],
)
def test_batches_give_every_worker_work_and_keep_every_file_once(
    files: int, batch_size: int, workers: int, sizes: list[int]
) -> None:
    items = [f"file-{i}" for i in range(files)]
    batches = batches_of(items, batch_size, workers)
    assert [len(b) for b in batches] == sizes
    assert [f for b in batches for f in b] == items
