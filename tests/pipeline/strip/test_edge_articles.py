"""Articles at the edges: other languages, mixed languages, nothing but boilerplate."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest

from pipeline.cli import main

GERMAN = (
    "Stadtrat beschließt neuen Haushalt für die Altstadt\n"
    "Der Stadtrat hat am Dienstag nach langer Debatte den Haushalt für das kommende Jahr "
    "beschlossen. Die Mittel fließen vor allem in Schulen und in die Sanierung der Brücken.\n"
    "Die Opposition kritisierte, dass die Bibliothek erneut leer ausgehe.\n"
    "Read More\n"
    "Teilen auf Facebook\n"
)
MIXED = (
    "Tourists return to the old harbour\n"
    "Tourists returned to the old harbour this summer in greater numbers than before the "
    "pandemic, the city's tourism office said on Friday.\n"
    "„Wir sind sehr zufrieden mit der Saison“, sagte die Leiterin des Amtes.\n"
    "Hotels reported that most rooms were booked until the end of September.\n"
)
ONLY_BOILERPLATE = (
    "Subscribe to our newsletter\n"
    "Follow us on Facebook\n"
    "Share this article\n"
    "Advertisement\n"
    "© 2024 Example Media. All rights reserved.\n"
)


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    base = tmp_path_factory.mktemp("edges")
    raw = base / "raw"
    raw.mkdir()
    (raw / "german.txt").write_text(GERMAN)
    (raw / "mixed.txt").write_text(MIXED)
    (raw / "only-boilerplate.txt").write_text(ONLY_BOILERPLATE)
    assert main(["ingest", str(raw), str(base / "clean"), "--workers", "1"]) == 0
    table = ds.dataset(base / "clean" / "articles", partitioning="hive").to_table()
    return {row["source_path"]: row for row in table.to_pylist()}


def test_language_is_recorded(output):
    assert output["german.txt"]["language"] == "de"
    assert output["mixed.txt"]["language"] == "en"


def test_english_rules_are_not_applied_to_other_languages(output):
    rules = [r["rule"] for r in output["german.txt"]["removed"]]
    assert not any(rule.startswith("en.") for rule in rules), rules
    assert "Teilen auf Facebook" not in output["german.txt"]["text"]
    assert "Die Opposition kritisierte" in output["german.txt"]["text"]


def test_quote_in_another_language_is_kept(output):
    assert "Wir sind sehr zufrieden" in output["mixed.txt"]["text"]


def test_article_of_nothing_but_boilerplate_is_kept_empty_with_its_removals(output):
    article = output["only-boilerplate.txt"]
    assert article["text"] == ""
    assert len(article["removed"]) == ONLY_BOILERPLATE.count("\n")
    assert {r["kind"] for r in article["removed"]} >= {"subscription_prompt", "social_widget"}
