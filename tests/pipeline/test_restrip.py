"""``restrip``: new rules reach old articles, as one new version of every table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake

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


def versions(clean: Path) -> dict[str, int]:
    return {name: DeltaTable(str(clean / name)).version() for name in DATASETS}


def rules_versions(clean: Path) -> set[str]:
    return set(DeltaTable(str(clean / "articles")).to_pyarrow_table()["rules_version"].to_pylist())


def test_restrip_without_stale_articles_writes_nothing_unless_forced(tmp_path, capsys):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    write_articles(raw, 6)
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    [stamped] = rules_versions(clean)
    before = versions(clean)
    capsys.readouterr()

    assert main(["restrip", str(raw), str(clean), "--workers", "1"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line == (
        f"restrip: all 6 article(s) already stripped with rules {stamped}; nothing to do "
        "(--force to restrip anyway)"
    )
    assert versions(clean) == before
    assert [e.operation for e in history(Root.open(str(clean)))] == ["ingest"]

    assert main(["restrip", str(raw), str(clean), "--workers", "1", "--force"]) == 0
    assert "(0 of 6 were stale)" in capsys.readouterr().out
    assert all(versions(clean)[name] > before[name] for name in DATASETS)
    assert [e.operation for e in history(Root.open(str(clean)))] == ["ingest", "restrip"]
    assert rules_versions(clean) == {stamped}


def test_restrip_after_a_rule_file_changed_reports_the_stale_articles(tmp_path, capsys):
    raw, clean, rules, edited = (tmp_path / n for n in ("raw", "clean", "rules", "edited"))
    write_articles(raw, 6)
    rules.mkdir()
    (rules / "extra.toml").write_text(RULE)
    assert main(["ingest", str(raw), str(clean), "--workers", "1", "--rules-dir", str(rules)]) == 0
    [old] = rules_versions(clean)
    shutil.copytree(rules, edited)
    (edited / "extra.toml").write_text(RULE.replace("^Officials said", "^The council of"))
    restrip = ["restrip", str(raw), str(clean), "--workers", "1", "--rules-dir", str(edited)]
    capsys.readouterr()

    assert main(restrip) == 0
    assert "(6 of 6 were stale)" in capsys.readouterr().out
    [new] = rules_versions(clean)
    assert new != old
    assert all(text.startswith("Council approves") for text in texts(clean).values())
    assert all("The council of" not in text for text in texts(clean).values())
    assert main(restrip) == 0  # now nothing is stale
    assert "nothing to do" in capsys.readouterr().out
    assert [e.operation for e in history(Root.open(str(clean)))] == ["ingest", "restrip"]


def test_restrip_gives_a_table_from_before_the_column_its_rules_versions(tmp_path, capsys):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    write_articles(raw, 3)
    assert main(["ingest", str(raw), str(clean), "--workers", "1"]) == 0
    articles = str(clean / "articles")
    old = DeltaTable(articles).to_pyarrow_table().drop_columns(["rules_version"])
    write_deltalake(articles, old, mode="overwrite", schema_mode="overwrite")
    assert "rules_version" not in DeltaTable(articles).to_pyarrow_table().schema.names
    capsys.readouterr()

    assert main(["restrip", str(raw), str(clean), "--workers", "1"]) == 0
    assert "(3 of 3 were stale)" in capsys.readouterr().out
    assert None not in rules_versions(clean)
    assert main(["restrip", str(raw), str(clean), "--workers", "1"]) == 0
    assert "nothing to do" in capsys.readouterr().out
