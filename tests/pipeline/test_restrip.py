"""``restrip``: new rules reach old articles, as one new version of every table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.dataset as ds
from deltalake import DeltaTable

from pipeline.cli import main
from pipeline.store import DATASETS, Root
from pipeline.store.history import history
from pipeline.verify import verify
from tests.pipeline.store.test_crash_recovery import write_articles

RULE = """language = "any"

[[rule]]
id = "test.officials-said"
kind = "other"
pattern = "^Officials said"
"""


def texts(clean: Path) -> dict[str, str]:
    table = DeltaTable(str(clean / "articles")).to_pyarrow_table()
    return dict(zip(table["article_id"].to_pylist(), table["text"].to_pylist(), strict=True))


def test_restrip_applies_new_rules_to_old_articles_as_one_version(tmp_path):
    raw, clean, rules = tmp_path / "raw", tmp_path / "clean", tmp_path / "rules"
    write_articles(raw, 6)
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    before = texts(clean)
    assert all("Officials said" in text for text in before.values())
    rules.mkdir()
    (rules / "extra.toml").write_text(RULE)
    assert main(["restrip", str(raw), str(clean), "--rules-dir", str(rules), "--workers", "1"]) == 0

    after = texts(clean)
    assert after.keys() == before.keys()  # the same articles, stripped again
    assert not any("Officials said" in text for text in after.values())
    entries = history(Root.open(str(clean)))
    assert [e.operation for e in entries] == ["ingest", "restrip"]
    assert set(entries[1].versions) == set(DATASETS)  # one new version of every table
    for name in DATASETS:  # the replaced rows are gone from disk: a glob counts right
        files = [p for p in (clean / name).rglob("*.parquet") if "_delta_log" not in p.parts]
        rows = ds.dataset(files, format="parquet").count_rows() if files else 0
        assert rows == DeltaTable(str(clean / name)).to_pyarrow_table().num_rows
    assert verify(str(clean), raw_dir=str(raw)) == []
    shutil.rmtree(rules)
