"""``verify`` catches every kind of damage done to a copy of a good dataset."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

from pipeline.cli import main
from pipeline.store import Root, writer_lock
from pipeline.store.delta import replace_files
from pipeline.verify import is_live, verify


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("verify")
    raw, clean = base / "raw", base / "clean"
    shutil.copytree(ROOT / "raw", raw)
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    assert verify(str(clean), raw_dir=str(raw)) == []
    return raw, clean


def first(clean: Path, dataset: str) -> Path:
    return sorted(p for p in (clean / dataset).rglob("*.parquet") if "_delta_log" not in p.parts)[0]


def rewrite(path: Path, change: Callable[[pa.Table], pa.Table], metadata: dict | None = None):
    """What a buggy writer would commit: the changed rows in a new file that a Delta commit
    puts in place of ``path``."""
    table = change(pq.read_table(path))
    if metadata is not None:
        table = table.replace_schema_metadata(metadata)
    clean = path
    while not (clean / "_commits").exists():
        clean = clean.parent
    name = path.relative_to(clean).parts[0]
    changed = path.with_name("part-changed.parquet")
    pq.write_table(table, changed)
    root = Root.open(str(clean))
    replace_files(root, name, [rel(clean, path)], [rel(clean, changed)], "test damage")
    path.unlink()


def rel(clean: Path, path: Path) -> str:
    return path.relative_to(clean).as_posix()


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def truncated_commit_record(clean: Path, _raw: Path) -> None:
    truncate(clean / "_commits" / "00000001.json")


def stray_commit_file(clean: Path, _raw: Path) -> None:
    (clean / "_commits" / "notes.json").write_text('{"note": "left here by hand"}')


def truncated_index_part(clean: Path, _raw: Path) -> None:
    truncate(first(clean, "dedup_index"))


def truncated_line_stats(clean: Path, _raw: Path) -> None:
    truncate(first(clean, "line_stats"))


def truncated_part(clean: Path, _raw: Path) -> None:
    part = first(clean, "articles")
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])


def copy_part(clean: Path, _raw: Path) -> None:
    part = first(clean, "articles")
    shutil.copy(part, part.with_name("part-copied.parquet"))


def delete_paragraphs(clean: Path, _raw: Path) -> None:
    first(clean, "paragraphs").unlink()


def unfinished_commit(clean: Path, _raw: Path) -> None:
    next((clean / "_commits").glob("*.done")).unlink()


def old_schema_version(clean: Path, _raw: Path) -> None:
    part = first(clean, "articles")
    metadata = dict(pq.read_schema(part).metadata)
    rewrite(part, lambda t: t, {**metadata, b"schema_version": b"0"})


def garbage_file(clean: Path, _raw: Path) -> None:
    first(clean, "sources").write_bytes(b"PAR1 this is not parquet")


def dangling_duplicate(clean: Path, _raw: Path) -> None:
    part = first(clean, "paragraphs")
    metadata = pq.read_schema(part).metadata

    def point_nowhere(table: pa.Table) -> pa.Table:
        column = pa.array(["0" * 32] * len(table), pa.string())
        return table.set_column(
            table.schema.get_field_index("duplicate_of_article"), "duplicate_of_article", column
        )

    rewrite(part, point_nowhere, metadata)


def duplicated_article_row(clean: Path, _raw: Path) -> None:
    part = first(clean, "articles")
    metadata = pq.read_schema(part).metadata
    rewrite(part, lambda t: pa.concat_tables([t, t.slice(0, 1)]), metadata)


def lost_ledger_rows(clean: Path, _raw: Path) -> None:
    part = first(clean, "sources")
    metadata = pq.read_schema(part).metadata
    rewrite(part, lambda t: t.filter(pc.not_equal(t["outcome"], "ingested")), metadata)


def unaccounted_raw_file(_clean: Path, raw: Path) -> None:
    (raw / "arrived-later.txt").write_text("A new story\nIt arrived after the run.\n")


def wrong_column_type(clean: Path, _raw: Path) -> None:
    part = first(clean, "paragraphs")
    metadata = pq.read_schema(part).metadata
    rewrite(part, lambda t: t.set_column(1, "idx", pc.cast(t["idx"], pa.string())), metadata)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (copy_part, "that no version of the articles table names"),
        (delete_paragraphs, "missing"),
        (unfinished_commit, "interrupted"),
        (old_schema_version, "schema_version 0"),
        (garbage_file, "unreadable Parquet"),
        (dangling_duplicate, "duplicate_of"),
        (duplicated_article_row, "occurs 2 times"),
        (lost_ledger_rows, "the ledger records"),
        (unaccounted_raw_file, "not in the ledger"),
        (wrong_column_type, "column idx is string"),
        (truncated_part, "changed in place"),
        (truncated_commit_record, "00000001.json: unreadable commit record"),
        (stray_commit_file, "notes.json: not a commit record"),
        (truncated_index_part, "unreadable Parquet"),
        (truncated_line_stats, "unreadable Parquet"),
    ],
)
def test_damage_is_caught(good, tmp_path, damage, expected):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    shutil.copytree(good[0], raw)
    shutil.copytree(good[1], clean)
    damage(clean, raw)
    problems = verify(str(clean), raw_dir=str(raw))
    assert any(expected in problem for problem in problems), problems
    assert not any("could not complete" in problem for problem in problems), problems


def test_verify_command_exit_codes(good, tmp_path, capsys):
    raw, clean = good
    assert main(["verify", str(clean), "--raw-dir", str(raw)]) == 0
    broken = tmp_path / "clean"
    shutil.copytree(clean, broken)
    unfinished_commit(broken, raw)
    assert main(["verify", str(broken)]) == 1
    assert "interrupted" in capsys.readouterr().out


def test_a_live_run_is_not_debris(good, tmp_path):
    clean = tmp_path / "clean"
    shutil.copytree(good[1], clean)
    (clean / "_staging" / "run-x").mkdir(parents=True)
    (clean / "_staging" / "run-x" / "part.parquet").write_bytes(b"being written")
    assert any("debris" in problem for problem in verify(str(clean)))
    with writer_lock(Root.open(str(clean))):  # a run in progress holds the lock
        assert verify(str(clean)) == []
        assert is_live(str(clean))
    assert not is_live(str(clean))


def test_a_directory_that_is_not_a_clean_dir_is_refused(good):
    raw, _ = good
    [problem] = verify(str(raw))
    assert "not a CLEAN_DIR" in problem
