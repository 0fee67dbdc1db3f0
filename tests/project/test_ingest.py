"""The foundation end to end: the real Prefect flow on raw/, the real Parquet read back."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

from pipeline import __version__
from pipeline.cli import main
from pipeline.store import DATASETS, SCHEMA_VERSION
from pipeline.verify import verify


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """raw/ copied to a temp dir and ingested once with the CLI's defaults."""
    base = tmp_path_factory.mktemp("ingest")
    raw, clean = base / "raw", base / "clean"
    shutil.copytree(ROOT / "raw", raw)
    assert main(["ingest", str(raw), str(clean)]) == 0
    return raw, clean, ""


def read(clean: Path, dataset: str):
    return ds.dataset(clean / dataset, format="parquet", partitioning="hive").to_table()


def documented_columns() -> dict[str, list[tuple[str, str]]]:
    """``## name`` sections of docs/schema.md and the rows of their column tables."""
    tables: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in (ROOT / "docs" / "schema.md").read_text().splitlines():
        if heading := re.match(r"## (\w+)", line):
            current = heading.group(1)
        elif (
            current
            and (row := re.match(r"\| (\w+) \| ([^|]+) \|", line))
            and row.group(1) != "column"
        ):
            tables.setdefault(current, []).append((row.group(1), row.group(2).strip()))
    return tables


def arrow_type_name(arrow_type) -> str:
    """Arrow's type string as docs/schema.md writes it (``float32``, ``list<string>``)."""
    name = str(arrow_type).replace("item: ", "").replace("tz=", "")
    return {"float": "float32", "double": "float64"}.get(name, name)


def test_every_sample_becomes_records(ingested):
    raw, clean, _ = ingested
    articles = read(clean, "articles")
    sources = read(clean, "sources").to_pylist()
    assert {s["source_path"] for s in sources} == {
        p.relative_to(raw).as_posix()
        for p in raw.rglob("*")
        if p.is_file() and not p.name.endswith(".meta.json")
    }
    assert sum(s["articles"] for s in sources) == articles.num_rows
    assert set(articles["source_format"].to_pylist()) == {"txt", "html", "warc", "jsonl"}
    assert all(text for text in articles["text"].to_pylist())


def test_schema_matches_docs_and_carries_versions(ingested):
    _, clean, _ = ingested
    documented = documented_columns()
    for dataset, schema in DATASETS.items():
        assert [name for name, _ in documented[dataset]] == schema.names, dataset
        for name, documented_type in documented[dataset]:
            assert arrow_type_name(schema.field(name).type) == documented_type, (dataset, name)
        for part in (clean / dataset).rglob("*.parquet"):
            metadata = pq.read_schema(part).metadata
            assert metadata[b"schema_version"] == str(SCHEMA_VERSION).encode()
            assert metadata[b"pipeline_version"] == __version__.encode()
            assert pq.ParquetFile(part).metadata.row_group(0).column(0).compression == "ZSTD"


def test_parquet_reads_back_with_duckdb(ingested):
    _, clean, _ = ingested
    rows = duckdb.sql(
        f"""SELECT a.article_id, count(p.idx), a.text
            FROM read_parquet('{clean}/articles/**/*.parquet', hive_partitioning=true) a
            JOIN read_parquet('{clean}/paragraphs/**/*.parquet', hive_partitioning=true) p
            USING (article_id) GROUP BY a.article_id, a.text"""
    ).fetchall()
    assert rows
    for _, paragraphs, text in rows:
        assert paragraphs == text.count("\n") + 1
    partitions = duckdb.sql(
        f"SELECT DISTINCT ingest_date FROM read_parquet('{clean}/articles/**/*.parquet', "
        "hive_partitioning=true)"
    ).fetchall()
    assert len(partitions) == 1


def test_paragraph_offsets_point_into_text(ingested):
    _, clean, _ = ingested
    texts = dict(
        zip(
            *read(clean, "articles").select(["article_id", "text"]).to_pydict().values(),
            strict=True,
        )
    )
    for p in read(clean, "paragraphs").to_pylist():
        assert texts[p["article_id"]][p["char_start"] : p["char_end"]] == p["text"]


def test_second_run_adds_nothing(ingested, capsys):
    raw, clean, _ = ingested
    before = {name: read(clean, name).num_rows for name in DATASETS}
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    assert {name: read(clean, name).num_rows for name in DATASETS} == before
    assert "files already ingested" in capsys.readouterr().out


def test_output_verifies(ingested):
    raw, clean, _ = ingested
    assert verify(str(clean), raw_dir=str(raw)) == []


def test_same_content_under_two_names_is_one_article(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    text = "A headline about the harbour\nThe harbour reopened on Monday after repairs.\n"
    (raw / "a.txt").write_text(text)
    (raw / "copy of a.txt").write_text(text)
    assert main(["ingest", str(raw), str(tmp_path / "clean"), "--workers", "1"]) == 0
    assert read(tmp_path / "clean", "articles").num_rows == 1
    sources = {s["source_path"]: s for s in read(tmp_path / "clean", "sources").to_pylist()}
    assert sources["copy of a.txt"]["outcome"] == "duplicate"
    assert sources["copy of a.txt"]["duplicate_of_path"] == "a.txt"


@pytest.mark.parametrize("problem", ["missing", "file"])
def test_bad_raw_dir_exits_nonzero_with_message(tmp_path, capsys, problem):
    raw = tmp_path / "raw"
    if problem == "file":
        raw.write_text("not a directory")
    assert main(["ingest", str(raw), str(tmp_path / "clean")]) == 2
    assert "RAW_DIR" in capsys.readouterr().err


def test_explain_marks_removals(capsys):
    assert (
        main(["explain", str(ROOT / "raw" / "000_1da99dccc0043c74.txt"), "--color", "never"]) == 0
    )
    out = capsys.readouterr().out
    assert "[paywall_appeal" in out
    assert "[comment_prompt" in out


def test_dates_read_back_as_utc_timestamps_without_format_hints(ingested):
    import pandas as pd

    _, clean, _ = ingested
    articles = read(clean, "articles")
    for name in ("published_at", "fetched_at_utc"):
        assert articles.schema.field(name).type == pa.timestamp("us", tz="UTC")
    frame = pd.read_parquet(clean / "articles")
    assert str(frame["published_at"].dtype) == "datetime64[us, UTC]"
    assert pd.to_datetime(frame["fetched_at_utc"]).notna().any()  # the WARC's records
    dated = frame[frame["published"].notna()]
    assert len(dated) and dated["published_at"].notna().all()
    assert set(dated["published_precision"]) <= {"date", "datetime"}
    duck = duckdb.sql(
        f"SELECT DISTINCT typeof(published_at) FROM read_parquet('{clean}/articles/**/*.parquet')"
    ).fetchall()
    assert duck == [("TIMESTAMP WITH TIME ZONE",)]


def test_sample_text_articles_name_the_outlet_their_text_names(ingested):
    _, clean, _ = ingested
    outlets = {
        row["source_path"]: row["outlet"]
        for row in read(clean, "articles").select(["source_path", "outlet"]).to_pylist()
    }
    assert outlets["000_1da99dccc0043c74.txt"] == "The Independent"
    assert outlets["002_62008b33e4acb1ae.txt"] == "BBC"
