"""Spark reads each table as of its latest committed version, without Delta's Spark jars.

``delta-spark`` needs jars from Maven, which a machine with only PyPI cannot fetch; the Delta
log still names the committed files, so Spark reads exactly those (docs/schema.md). pyspark
is a dev dependency; the test skips where no Java runtime is on PATH.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from deltalake import DeltaTable

from pipeline.cli import main

pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed")
if shutil.which("java") is None:
    pytest.skip("pyspark needs a Java runtime, and none is on PATH", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    yield session
    session.stop()


def snapshot(spark, table: Path):
    """The table as of its latest version, the way docs/schema.md tells Spark users to read it."""
    files = DeltaTable(str(table)).file_uris()
    return spark.read.option("basePath", str(table)).parquet(*files)


def test_spark_sees_every_table_as_deltalake_does(tmp_path: Path, spark) -> None:
    shutil.copytree(ROOT / "raw", tmp_path / "raw")
    clean = tmp_path / "clean"
    assert main(["ingest", str(tmp_path / "raw"), str(clean), "--workers", "1"]) == 0
    for name in ("articles", "paragraphs", "sources", "rejected"):
        expected = DeltaTable(str(clean / name)).to_pyarrow_table()
        frame = snapshot(spark, clean / name)
        assert frame.count() == expected.num_rows, name
        assert "ingest_date" in frame.columns
    articles = snapshot(spark, clean / "articles")
    years = {row[0] for row in articles.selectExpr("year(published_at)").collect()}
    assert years & {2018, 2019, 2020}, years
