"""Corpus line statistics: recurring furniture versus a quote shared by one story."""

from __future__ import annotations

import random
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalize import NORMALIZER_VERSION, match_key
from pipeline.record_types import Line
from pipeline.strip import LINE_STATS_SCHEMA, LineStats, Stripper, count_lines, merge_counts
from pipeline.strip.stats import distinct_stories
from pipeline.strip.text import line_key, simple_key, words

TOPICS = [
    "council bridge river crossing councillors vote scheme footbridge flood estates buses",
    "wildfire evacuation mountain winds acres containment sheriff crews smoke ridge blaze",
    "orchid roundabout wildlife mowing seeds flowering botanist county species meadow",
    "senate spending shutdown funding lawmakers budget measure agencies deadline aides",
    "streaming subscribers prices password shows viewers platform advertising churn plans",
    "museum statue bronze looted ceremony collection artefacts curator palace returned",
    "rowing atlantic ocean oars storms rudder crossing antigua charity voyage rower",
    "librarian reading children memorial retired generations books volunteers shelves",
]
FURNITURE = "Snow warning for part of West Sussex"
QUOTE = '"We will not stop until every family has a safe home," the minister said.'


def story(topic: str, seed: int, extra: list[str] = ()) -> list[Line]:
    rng = random.Random(seed)
    words = topic.split()
    texts = [
        " ".join(rng.sample(words, 6)).capitalize(),
        *(" ".join(rng.choices(words, k=18)).capitalize() + "." for _ in range(5)),
        *extra,
    ]
    return [Line(i, t) for i, t in enumerate(texts)]


def unrelated_batch(outlet: str = "gazette", n: int = 6) -> list[tuple[str, list[Line]]]:
    return [(outlet, story(TOPICS[i], i, [FURNITURE])) for i in range(n)]


def one_story_batch(n: int = 6) -> list[tuple[str, list[Line]]]:
    return [(f"outlet-{i}", story(TOPICS[0], 100 + i, [QUOTE])) for i in range(n)]


def test_schema_and_one_row_per_outlet_and_line():
    table = count_lines(unrelated_batch(n=3))
    assert table.schema.equals(LINE_STATS_SCHEMA)
    furniture = table.filter(pa.compute.equal(table["key"], match_key(FURNITURE)))
    assert furniture["docs"].to_pylist() == [3]
    assert furniture["outlet"].to_pylist() == ["gazette"]
    assert set(table["normalizer"].to_pylist()) == {NORMALIZER_VERSION}


def test_a_line_counts_once_per_document():
    doc = story(TOPICS[0], 1, [FURNITURE, FURNITURE])
    table = count_lines([("gazette", doc)])
    row = table.filter(pa.compute.equal(table["key"], match_key(FURNITURE)))
    assert row["docs"].to_pylist() == [1]


def test_recurring_line_across_unrelated_stories_is_furniture():
    stats = LineStats.from_table(count_lines(unrelated_batch()))
    found = stats.furniture(match_key(FURNITURE), "gazette")
    assert found is not None and found.rule == "stats.outlet-recurring"


def test_quote_carried_by_several_outlets_on_one_story_is_not_furniture():
    stats = LineStats.from_table(count_lines(one_story_batch()))
    assert stats.furniture(match_key(QUOTE), "outlet-0") is None
    assert stats.furniture(match_key(QUOTE), None) is None


def test_distinct_stories_estimates():
    same = count_lines(one_story_batch())
    apart = count_lines([(o, lines) for o, lines in unrelated_batch()])

    def stories(table: pa.Table, key: int) -> float:
        merged = merge_counts(
            [table.set_column(1, "outlet", pa.array([None] * len(table), pa.string()))]
        )
        row = merged.filter(pa.compute.equal(merged["key"], key)).to_pylist()[0]
        return distinct_stories(row["docs"], row["terms"], row["sketch"])

    assert stories(same, match_key(QUOTE)) < 2.0
    assert stories(apart, match_key(FURNITURE)) > 4.0


def test_counts_persist_across_batches_and_runs(tmp_path):
    path = tmp_path / "line_stats.parquet"
    first, second = (
        unrelated_batch(n=2),
        [("gazette", story(TOPICS[i], i, [FURNITURE])) for i in range(2, 6)],
    )
    pq.write_table(merge_counts([count_lines(first)]), path)
    assert (
        LineStats.from_table(pq.read_table(path)).furniture(match_key(FURNITURE), "gazette") is None
    )
    merged = merge_counts([pq.read_table(path), count_lines(second)])
    assert LineStats.from_table(merged).furniture(match_key(FURNITURE), "gazette") is not None


def _rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: (r["outlet"] or "", r["key"]))


def test_merge_is_associative_and_commutative():
    a, b, c = (count_lines(unrelated_batch(outlet, 3)) for outlet in ("x", "y", "x"))
    left = merge_counts([merge_counts([a, b]), c])
    right = merge_counts([a, merge_counts([c, b])])
    assert _rows(left) == _rows(right) == _rows(merge_counts([c, b, a]))


def test_bounded_merge_drops_single_document_keys_first():
    table = count_lines(unrelated_batch(n=4))
    small = merge_counts([table], max_rows=5)
    assert len(small) <= 5
    assert match_key(FURNITURE) in small["key"].to_pylist()
    assert min(small["docs"].to_pylist()) > 1


def test_rows_of_another_normalizer_version_are_ignored():
    table = count_lines(unrelated_batch())
    old = table.set_column(
        0, "normalizer", pa.array([NORMALIZER_VERSION + 1] * len(table), pa.int32())
    )
    assert len(LineStats.from_table(old)) == 0
    assert len(merge_counts([old])) == 0


@pytest.mark.parametrize("outlet", ["gazette", None])
def test_stripper_removes_furniture_known_from_statistics(outlet):
    batch = [
        *unrelated_batch(),
        ("other", story(TOPICS[6], 7, [FURNITURE])),
        ("third", story(TOPICS[7], 8, [FURNITURE])),
    ]
    stripper = Stripper(stats=LineStats.from_table(count_lines(batch)), model=None)
    article = story(
        TOPICS[5],
        42,
        [
            "The museum said the statue would go on display in May.",
            FURNITURE,
            "More details are expected next week.",
        ],
    )
    result = stripper.strip(article, outlet=outlet)
    removed = [r for r in result.removed if r.text == FURNITURE]
    assert removed and removed[0].rule.startswith("stats.")
    assert "More details are expected next week." in [line.text for line in result.kept]


VOCABULARY = [
    *[
        "council",
        "bridge",
        "river",
        "Müller’s",
        "café™",
        "ﬁnal",
        "“quoted”",
        "naïve",
        "2024",
        "x9",
        "über_alles",
        "a",
        "an",
    ],
    *[
        "Ελλάδα",
        "Москва",
        "shop-front",
        "co-op",
        "été",
        "½",
        "—",
        "…",
        "it’s",
        "12:30",
        "Straße",
        "İstanbul",
    ],
]


def reference_counts(docs: list[tuple[str | None, list[Line]]]) -> list[dict]:
    """count_lines by its definition: per (outlet, line key), the documents holding the line
    (up to 64 words), their summed vocabulary sizes and the 64 smallest hashes of the union
    of their vocabularies."""
    rows: dict[tuple[str | None, int], tuple[int, int, set[int]]] = {}
    for outlet, lines in docs:
        tokens = [re.findall(r"\w+", line.text.lower()) for line in lines]
        vocabulary = {t[:5] for ts in tokens for t in ts if len(t) >= 3 and not t.isdigit()}
        hashes = {xxhash.xxh64_intdigest(w.encode()) - (1 << 63) for w in vocabulary}
        keys = {
            match_key(line.text)
            for line, ts in zip(lines, tokens, strict=True)
            if 0 < len(ts) <= 64
        }
        for key in keys:
            n, terms, union = rows.get((outlet, key), (0, 0, set()))
            rows[(outlet, key)] = (n + 1, terms + len(vocabulary), union | hashes)
    return [
        {
            "normalizer": NORMALIZER_VERSION,
            "outlet": outlet,
            "key": key,
            "docs": n,
            "terms": terms,
            "sketch": sorted(union)[:64],
        }
        for (outlet, key), (n, terms, union) in sorted(
            rows.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])
        )
    ]


def random_docs(seed: int, n: int) -> list[tuple[str | None, list[Line]]]:
    rng = random.Random(seed)
    furniture = [" ".join(rng.choices(VOCABULARY, k=rng.randint(1, 6))) for _ in range(5)]
    docs = []
    for _ in range(n):
        own = [" ".join(rng.choices(VOCABULARY, k=rng.randint(0, 80))) for _ in range(6)]
        texts = own + rng.sample(furniture, 3) + ["", "—", own[0]]
        rng.shuffle(texts)
        docs.append(
            (rng.choice(["gazette", "herald", None]), [Line(i, t) for i, t in enumerate(texts)])
        )
    return docs


@pytest.mark.parametrize("seed", [1, 2])
def test_count_lines_gives_the_table_its_definition_gives(seed):
    docs = random_docs(seed, 60)
    table = count_lines(docs)
    assert table.schema.equals(LINE_STATS_SCHEMA)
    assert table.to_pylist() == reference_counts(docs)


@settings(max_examples=500, deadline=None)
@given(st.text(st.one_of(st.characters(), st.sampled_from(" _-’“Σİ™ﬁé\u0301ß"))))
def test_words_are_the_lower_cased_regex_tokens(text):
    assert words(text) == re.findall(r"\w+", text.lower())


@settings(max_examples=500, deadline=None)
@given(st.text(st.one_of(st.characters(), st.sampled_from(" _-’“Σİ™ﬁé\u0301ß"))))
def test_line_key_is_the_match_key(text):
    assert line_key(text, simple_key(words(text))) == match_key(text)
