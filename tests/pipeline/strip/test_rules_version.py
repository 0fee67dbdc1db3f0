"""The rules version: a content hash of the rule files and the line model, the same
wherever the files are."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.strip import Stripper
from pipeline.strip.rule_files import load_rules

RULE = """language = "any"

[[rule]]
id = "test.subscribe"
kind = "subscription_prompt"
pattern = "^Subscribe now"
"""


def version(rules_dir: Path, model: str | None = "shipped") -> str:
    if model is None:
        return Stripper(load_rules([rules_dir]), model=None).rules_version
    return Stripper(load_rules([rules_dir])).rules_version


def test_the_same_files_elsewhere_have_the_same_version(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "extra.toml").write_text(RULE)
    shutil.copytree(tmp_path / "a", tmp_path / "elsewhere" / "b")
    assert version(tmp_path / "a") == version(tmp_path / "elsewhere" / "b")
    assert len(version(tmp_path / "a")) == 16


def test_other_rules_or_no_model_give_another_version(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "extra.toml").write_text(RULE)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "extra.toml").write_text(RULE.replace("now", "today"))
    assert version(tmp_path / "a") != version(tmp_path / "b")
    assert version(tmp_path / "a") != version(tmp_path / "a", model=None)
