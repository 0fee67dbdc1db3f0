"""``repair`` sets damaged files aside, re-ingests the sources whose records were lost and
rebuilds the line statistics; ``verify`` is clean afterwards and nothing is lost."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT
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


def index_rows(clean: Path) -> pa.Table:
    """Every row of the dedup index, in (article_id, idx) order."""
    parts = sorted((clean / "dedup_index").glob("*.parquet"))
    table = pa.concat_tables(pq.read_table(p) for p in parts)
    return table.sort_by([("article_id", "ascending"), ("idx", "ascending")])


def near_copy(article: Path, target: Path) -> None:
    """``article`` with one word more in every paragraph of ten words or more: each such
    paragraph nearly duplicates its original."""
    lines = article.read_text(encoding="utf-8").splitlines()
    target.write_text(
        "\n".join(f"Reportedly, {line}" if len(line.split()) >= 10 else line for line in lines),
        encoding="utf-8",
    )


def links_into(clean: Path, article_ids: set[str]) -> dict[str, set[str]]:
    """Per article, the articles outside it its paragraphs link to, among ``article_ids``."""
    paragraphs = DeltaTable(str(clean / "paragraphs")).to_pyarrow_table(
        columns=["article_id", "duplicate_of_article"]
    )
    found: dict[str, set[str]] = {}
    for row in paragraphs.to_pylist():
        target = row["duplicate_of_article"]
        if target in article_ids and target != row["article_id"]:
            found.setdefault(row["article_id"], set()).add(target)
    return found


def first_runs_index_part(clean: Path) -> Path:
    record = json.loads((clean / "_commits" / "00000001.json").read_text())
    (part,) = [target for _, target in record["moves"] if target.startswith("dedup_index/")]
    return clean / part


def article_ids(clean: Path) -> set[str]:
    table = DeltaTable(str(clean / "articles")).to_pyarrow_table(columns=["article_id"])
    return set(table["article_id"].to_pylist())


def test_repair_rebuilds_a_damaged_dedup_index_as_it_was(tmp_path):
    """Two runs, the second holding a near copy of a first-run article; a truncated index
    part is rebuilt row for row, and a later near copy still links to the first run. A lost
    part is rebuilt too."""
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    txt = sorted(p for p in (ROOT / "raw").glob("*.txt"))
    for path in txt:
        shutil.copy(path, raw / path.name)
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    first_run = article_ids(clean)
    shutil.copytree(ROOT / "raw" / "html", raw / "html")
    near_copy(txt[1], raw / "near-copy-one.txt")
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    original = index_rows(clean)
    assert links_into(clean, first_run), "the second run links to the first"

    truncate(first_runs_index_part(clean))
    assert verify(str(clean), raw_dir=str(raw)) != []
    assert main(["repair", str(clean), "--raw-dir", str(raw)]) == 0

    rebuilt = index_rows(clean)
    assert rebuilt.schema.remove_metadata() == original.schema.remove_metadata()
    assert rebuilt.equals(original)
    assert verify(str(clean), raw_dir=str(raw)) == []

    before = article_ids(clean)
    near_copy(txt[2], raw / "near-copy-two.txt")
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    (new,) = article_ids(clean) - before
    assert links_into(clean, first_run).get(new), "the later run links to the first"
    assert verify(str(clean), raw_dir=str(raw)) == []

    whole = index_rows(clean)
    first(clean, "dedup_index").unlink()  # a lost part: verify cannot tell, repair can
    assert main(["repair", str(clean)]) == 0
    assert index_rows(clean).equals(whole)
    assert verify(str(clean), raw_dir=str(raw)) == []


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
