"""link_paragraphs: each duplicate kind, canonical choice, determinism, incremental runs."""

from __future__ import annotations

import random
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.dedup import (
    PARAGRAPH_INPUT,
    DedupParams,
    DedupResult,
    index_metadata,
    link_paragraphs,
    text_unique,
)
from pipeline.dedup.candidate_pairs import bucket_pairs
from pipeline.dedup.paragraph_features import feature_columns, features_of_table
from pipeline.normalize import match_key

WIRE = (
    "The city council voted on Tuesday to approve a new budget that raises spending on "
    "public transport and road repairs by nearly twelve percent over the next two years."
)
WIRE_EDITED = (
    "The city council voted on Monday to approve a new budget that raises spending on "
    "public transport and street repairs by nearly twelve percent over the next two years."
)
OTHER = (
    "Opposition members said the plan would force higher property taxes on families who "
    "already struggle with rising rents, and promised to challenge it in court next month."
)
SECOND = "Officials expect the first contracts to be signed before the end of the summer."
MERGED = f"{WIRE} {SECOND}"
SAME_STORY = (
    "The council also voted on Tuesday to delay a decision on the new stadium, citing "
    "concerns about spending and the costs of road repairs near the river."
)


def batch(*rows: tuple[str, int, str], published: dict | None = None) -> pa.Table:
    """Rows of (article_id, idx, text); ingest order follows the argument order."""
    published = published or {}
    return pa.table(
        {
            "article_id": [a for a, _, _ in rows],
            "idx": [i for _, i, _ in rows],
            "text": [t for _, _, t in rows],
            "published": [published.get(a) for a, _, _ in rows],
            "ingest_order": list(range(len(rows))),
            "is_truncated": [None] * len(rows),
        },
        schema=PARAGRAPH_INPUT,
    )


def links_of(result: DedupResult) -> dict[tuple[str, int], dict]:
    return {(r["article_id"], r["idx"]): r for r in result.links.to_pylist()}


def target(row: dict) -> tuple[str, int] | None:
    if row["duplicate_of_article"] is None:
        return None
    return (row["duplicate_of_article"], row["duplicate_of_idx"])


def test_accent_and_quote_variants_link_exactly() -> None:
    a = "Óscar Pérez said: “We will not surrender,” before the line went dead in the hills."
    b = 'Oscar Perez said: "We will not surrender," before the line went dead in the hills.'
    links = links_of(link_paragraphs(batch(("a", 0, a), ("b", 0, b)), []))
    assert target(links["a", 0]) is None and links["a", 0]["dup_kind"] is None
    assert target(links["b", 0]) == ("a", 0)
    assert links["b", 0]["dup_kind"] == "exact" and links["b", 0]["similarity"] == 1.0
    assert links["b", 0]["fingerprint"] == match_key(b) == match_key(a)


def test_word_edits_link_as_near_with_the_exact_bigram_jaccard() -> None:
    links = links_of(link_paragraphs(batch(("a", 0, WIRE), ("b", 3, WIRE_EDITED)), []))
    row = links["b", 3]
    assert target(row) == ("a", 0) and row["dup_kind"] == "near"
    words_a, words_b = (s.lower().rstrip(".").split() for s in (WIRE, WIRE_EDITED))
    grams_a, grams_b = (set(pairwise(w)) for w in (words_a, words_b))
    expected = len(grams_a & grams_b) / len(grams_a | grams_b)
    assert row["similarity"] == pytest.approx(expected, abs=1e-6)


def test_same_story_different_sentences_stay_apart() -> None:
    links = links_of(link_paragraphs(batch(("a", 0, WIRE), ("b", 0, SAME_STORY)), []))
    assert target(links["b", 0]) is None


def test_paragraph_merged_into_a_longer_one_is_contained() -> None:
    rows = batch(("wire", 0, WIRE), ("wire", 1, SECOND), ("outlet", 0, MERGED))
    links = links_of(link_paragraphs(rows, []))
    for idx in (0, 1):
        assert target(links["wire", idx]) == ("outlet", 0)
        assert links["wire", idx]["dup_kind"] == "contained"
        assert links["wire", idx]["similarity"] == 1.0
    assert target(links["outlet", 0]) is None


def test_short_paragraphs_link_only_on_exact_match() -> None:
    rows = batch(
        ("a", 0, "Two police officers were killed."),
        ("b", 0, "Two police officers were killed!"),
        ("c", 0, "Three police officers were killed."),
    )
    links = links_of(link_paragraphs(rows, []))
    assert target(links["b", 0]) == ("a", 0)
    assert target(links["c", 0]) is None


def test_cut_off_teaser_is_never_canonical() -> None:
    teaser = WIRE[: int(len(WIRE) * 0.8)].rstrip()
    assert teaser[-1].isalnum()
    rows = batch(("teaser", 0, teaser), ("full", 0, WIRE), published={"teaser": "2024-01-01"})
    result = link_paragraphs(rows, [])
    links = links_of(result)
    assert target(links["teaser", 0]) == ("full", 0)
    assert links["teaser", 0]["dup_kind"] == "near"
    index = {(r["article_id"], r["idx"]): r for r in result.index_rows.to_pylist()}
    assert index["teaser", 0]["is_truncated"] and not index["full", 0]["is_truncated"]


def test_canonical_is_the_earliest_published_then_first_ingested() -> None:
    rows = batch(("x", 0, WIRE), ("y", 0, WIRE), ("z", 0, WIRE_EDITED), published={"z": "2020"})
    links = links_of(link_paragraphs(rows, []))
    assert target(links["z", 0]) is None
    assert target(links["x", 0]) == target(links["y", 0]) == ("z", 0)
    assert links["x", 0]["dup_kind"] == "near"
    unpublished = links_of(link_paragraphs(batch(("y", 0, WIRE), ("x", 0, WIRE)), []))
    assert target(unpublished["x", 0]) == ("y", 0)  # first ingested wins


def corpus() -> pa.Table:
    rng = random.Random(7)
    texts = [WIRE, WIRE_EDITED, OTHER, SECOND, MERGED, SAME_STORY, WIRE.upper()]
    rows = [(f"art{rng.randrange(6)}", i, rng.choice(texts)) for i in range(40)]
    return batch(*rows)


def test_same_links_whatever_the_row_order_or_worker_count() -> None:
    table = corpus()
    expected = link_paragraphs(table, []).links.sort_by(
        [("article_id", "ascending"), ("idx", "ascending")]
    )
    order = np.random.default_rng(3).permutation(table.num_rows)
    shuffled = link_paragraphs(table.take(order), [], workers=2).links
    assert shuffled.sort_by([("article_id", "ascending"), ("idx", "ascending")]) == expected


def write_index(result: DedupResult, path: Path) -> str:
    pq.write_table(result.index_rows, path)
    return str(path)


def test_tomorrow_links_to_yesterday_and_reruns_are_stable(tmp_path: Path) -> None:
    day1 = batch(("a", 0, WIRE), ("a", 1, OTHER), ("b", 0, WIRE.replace("Tuesday", "Tues")))
    first = link_paragraphs(day1, [])
    parts = [write_index(first, tmp_path / "part-1.parquet")]
    day2 = batch(("c", 0, WIRE_EDITED), ("c", 1, OTHER), ("c", 2, SAME_STORY))
    second = link_paragraphs(day2, parts)
    links = links_of(second)
    assert target(links["c", 0]) == ("a", 0) and links["c", 0]["dup_kind"] == "near"
    assert target(links["c", 1]) == ("a", 1) and links["c", 1]["dup_kind"] == "exact"
    assert target(links["c", 2]) is None
    parts.append(write_index(second, tmp_path / "part-2.parquet"))

    rerun = link_paragraphs(pa.concat_tables([day1, day2]), parts)
    assert rerun.index_rows.num_rows == 0
    before = pa.concat_tables([first.links, second.links])
    assert rerun.links.sort_by("article_id") == before.sort_by("article_id")
    for row in rerun.links.to_pylist():
        assert target(row) != (row["article_id"], row["idx"])


def test_new_copy_of_a_stored_near_duplicate_points_at_the_stored_canonical(
    tmp_path: Path,
) -> None:
    first = link_paragraphs(batch(("a", 0, WIRE), ("b", 0, WIRE_EDITED)), [])
    parts = [write_index(first, tmp_path / "part-1.parquet")]
    later = links_of(link_paragraphs(batch(("c", 0, WIRE_EDITED), ("d", 0, WIRE)), parts))
    assert target(later["c", 0]) == target(later["d", 0]) == ("a", 0)
    assert later["c", 0]["dup_kind"] == "near" and later["d", 0]["dup_kind"] == "exact"


def test_same_day_canonical_is_the_copy_most_others_match() -> None:
    """An outlet's edit ingested first but published on the wire's day does not become the
    canonical: the wire, which every outlet's edit matches, does (two edits of a short
    paragraph do not match each other)."""
    wire = "Council members approved the transport budget after a long debate"
    changes = [("members", "leaders"), ("transport", "transit"), ("long", "lengthy")]
    edits = [wire.replace(*change) for change in changes]
    rows = [("outlet1", 0, edits[0]), ("wire", 0, wire), ("outlet2", 0, edits[1])]
    rows.append(("outlet3", 0, edits[2]))
    day = dict.fromkeys(("outlet1", "wire", "outlet2", "outlet3"), "2026-03-02")
    links = links_of(link_paragraphs(batch(*rows, published=day), []))
    assert target(links["wire", 0]) is None
    assert all(target(links[f"outlet{i}", 0]) == ("wire", 0) for i in (1, 2, 3))
    day["wire"] = "2026-03-03"  # a day later: the earliest copy stays the canonical
    links = links_of(link_paragraphs(batch(*rows, published=day), []))
    assert target(links["outlet1", 0]) is None and target(links["wire", 0]) == ("outlet1", 0)


def test_index_from_other_parameters_is_refused(tmp_path: Path) -> None:
    first = link_paragraphs(batch(("a", 0, WIRE)), [])
    path = tmp_path / "old.parquet"
    other = DedupParams(bands=16)
    pq.write_table(first.index_rows.replace_schema_metadata(index_metadata(other)), path)
    with pytest.raises(ValueError, match="MinHash parameters"):
        link_paragraphs(batch(("b", 0, WIRE)), [str(path)])


def test_hot_bucket_pairs_only_with_its_first_members() -> None:
    n, cap = 1000, 5
    keys = np.zeros(n, np.int64)
    pairs = bucket_pairs(keys, np.arange(n), np.ones(n, bool), cap)
    assert len(pairs) == cap * (cap - 1) // 2 + (n - cap) * cap
    assert set(pairs[:, 0].tolist()) == set(range(cap))


def test_hot_bucket_cap_bounds_candidates_but_keeps_links() -> None:
    rows = [(f"art{i}", 0, WIRE.replace("twelve", f"{i} and twelve")) for i in range(60)]
    uncapped = link_paragraphs(batch(*rows), [], params=DedupParams(hot_bucket_cap=1000))
    result = link_paragraphs(batch(*rows), [], params=DedupParams(hot_bucket_cap=4))
    assert uncapped.stats["candidate_pairs"] == 60 * 59 // 2
    assert result.stats["candidate_pairs"] < uncapped.stats["candidate_pairs"] / 2
    assert all(target(r) == ("art0", 0) for r in result.links.to_pylist()[1:])


def test_candidate_budget_bounds_verified_pairs_but_keeps_links() -> None:
    rows = [(f"art{i}", 0, WIRE.replace("twelve", f"{i} and twelve")) for i in range(60)]
    unbounded = link_paragraphs(batch(*rows), [], params=DedupParams(candidate_budget=1000))
    result = link_paragraphs(batch(*rows), [], params=DedupParams(candidate_budget=5))
    assert unbounded.stats["verified_pairs"] == 60 * 59 // 2
    assert result.stats["candidate_pairs"] == 60 * 59 // 2
    assert result.stats["verified_pairs"] <= 60 * 5
    assert all(target(r) == ("art0", 0) for r in result.links.to_pylist()[1:])


def test_furniture_skips_the_near_stage_but_links_exactly() -> None:
    prompt = "Sign up to our free newsletter to get the best stories of the day in your inbox"
    rows = [(f"art{i}", 9, prompt) for i in range(5)] + [("z", 0, prompt + " now")]
    result = link_paragraphs(batch(*rows), [], params=DedupParams(furniture_max_articles=3))
    links = links_of(result)
    assert all(links[f"art{i}", 9]["dup_kind"] == "exact" for i in range(1, 5))
    assert target(links["z", 0]) is None
    assert result.stats["furniture_texts"] == 1


def test_text_unique_drops_only_paragraphs_canonical_elsewhere() -> None:
    rows = batch(("a", 0, WIRE), ("b", 0, OTHER), ("b", 1, WIRE), ("b", 2, OTHER))
    links = link_paragraphs(rows, []).links.to_pylist()
    for_b = [r for r in links if r["article_id"] == "b"]
    assert text_unique([OTHER, WIRE, OTHER], for_b, "b") == f"{OTHER}\n{OTHER}"


def test_contained_text_points_at_its_container_when_the_canonical_lacks_it() -> None:
    short = "Officials expect the first contracts to be signed before the summer."
    lead = f"{WIRE} {OTHER}"  # long enough that adding the short one keeps a near copy
    rows = batch(("p", 0, lead), ("m", 0, f"{lead} {short}"), ("q", 0, short))
    links = links_of(link_paragraphs(rows, []))
    assert target(links["m", 0]) == ("p", 0) and links["m", 0]["dup_kind"] == "near"
    assert target(links["q", 0]) == ("m", 0)
    assert links["q", 0]["dup_kind"] == "contained" and links["q", 0]["similarity"] == 1.0


#: A clause that keeps a short container of SECOND from being a copy of a long one.
SPOKESMAN = "A spokesman declined to say which companies had applied for the work so far."


def test_contained_text_points_at_the_tightest_container() -> None:
    rows = batch(
        ("a", 0, f"{OTHER} {SECOND} {SAME_STORY}"),
        ("b", 0, f"{SECOND} {SPOKESMAN}"),
        ("q", 0, SECOND),
    )
    links = links_of(link_paragraphs(rows, []))
    assert target(links["a", 0]) is None and target(links["b", 0]) is None
    assert target(links["q", 0]) == ("b", 0) and links["q", 0]["dup_kind"] == "contained"


def test_contained_text_points_at_another_article_before_its_own() -> None:
    # Article "a" repeats its own paragraph as a pull quote; another outlet holds it too.
    rows = batch(("a", 0, f"{SECOND} {SPOKESMAN}"), ("a", 1, SECOND), ("b", 0, f"{OTHER} {SECOND}"))
    links = links_of(link_paragraphs(rows, []))
    assert target(links["a", 1]) == ("b", 0) and links["a", 1]["dup_kind"] == "contained"
    for_a = [links["a", 0], links["a", 1]]
    assert text_unique([f"{SECOND} {SPOKESMAN}", SECOND], for_a, "a") == f"{SECOND} {SPOKESMAN}"


def test_a_text_inside_one_of_two_merged_paragraphs_is_no_copy_of_the_other() -> None:
    # "m" 0 and 1 are merged into "z" 0; "c" 0 sits inside "m" 0 only. Sharing z's
    # canonical would make "c" 0 a duplicate of "m" 1, another outlet's other paragraph.
    merged_part = f"{SECOND} {SPOKESMAN}"
    rows = batch(
        ("z", 0, f"{WIRE} {merged_part} {OTHER}"),
        ("m", 0, merged_part),
        ("m", 1, OTHER),
        ("c", 0, SECOND),
    )
    links = links_of(link_paragraphs(rows, []))
    assert target(links["m", 0]) == ("z", 0) and target(links["m", 1]) == ("z", 0)
    assert target(links["c", 0]) is None


def test_a_later_run_never_rewrites_the_stored_canonical(tmp_path: Path) -> None:
    first = link_paragraphs(batch(("late", 0, WIRE), published={"late": "2024-05-01"}), [])
    parts = [write_index(first, tmp_path / "part-1.parquet")]
    early = batch(("early", 0, WIRE_EDITED), published={"early": "2024-01-01"})
    links = links_of(link_paragraphs(early, parts))
    assert target(links["early", 0]) == ("late", 0)


def test_full_paragraph_arriving_after_its_stored_teaser_joins_it(tmp_path: Path) -> None:
    teaser = WIRE[: int(len(WIRE) * 0.7)].rstrip()
    first = link_paragraphs(batch(("teaser", 0, teaser)), [])
    parts = [write_index(first, tmp_path / "part-1.parquet")]
    links = links_of(link_paragraphs(batch(("full", 0, WIRE)), parts))
    assert target(links["full", 0]) == ("teaser", 0)
    assert links["full", 0]["dup_kind"] == "near"


def test_a_repeated_id_is_one_paragraph_never_linked_to_itself() -> None:
    result = link_paragraphs(batch(("a", 0, WIRE), ("a", 0, WIRE), ("b", 0, WIRE)), [])
    rows = result.links.to_pylist()
    assert [target(r) for r in rows] == [None, None, ("a", 0)]
    assert result.index_rows.num_rows == 2


def test_same_links_against_a_stored_index_whatever_the_order_or_workers(tmp_path: Path) -> None:
    table = corpus()
    first, second = table.slice(0, 20), table.slice(20)
    parts = [write_index(link_paragraphs(first, []), tmp_path / "part-1.parquet")]
    expected = link_paragraphs(second, parts).links.sort_by("idx")
    shuffled = second.take(np.random.default_rng(5).permutation(second.num_rows))
    got = link_paragraphs(shuffled, parts, workers=3).links.sort_by("idx")
    assert got == expected
    assert any(r["duplicate_of_article"] for r in got.to_pylist())


def test_features_carried_beside_the_paragraphs_give_the_same_result() -> None:
    """The strip workers compute the features (feature_columns); the link stage reads them
    back after joins, sorts and concatenations (features_of_table)."""
    rows = [
        ("a", 0, WIRE),
        ("a", 1, OTHER),
        ("b", 0, WIRE_EDITED),
        ("b", 1, "Größere Städte melden „Rekorde“ — für die Straßenbahn."),
        ("c", 0, MERGED),
        ("c", 1, WIRE[:90]),
        ("d", 0, ""),
        ("d", 1, SAME_STORY),
    ]
    table = batch(*rows)
    columns = feature_columns(table["text"].to_pylist(), DedupParams())
    for field, column in zip(columns.schema, columns.columns, strict=True):
        table = table.append_column(field, column)
    order = pa.array([5, 2, 7, 0, 3, 6, 1, 4])
    shuffled = pa.concat_tables([table.take(order).slice(0, 3), table.take(order).slice(3)])
    carried = link_paragraphs(shuffled, [], features=features_of_table(shuffled, DedupParams()))
    computed = link_paragraphs(shuffled.select(PARAGRAPH_INPUT.names), [])
    assert carried.links.equals(computed.links)
    assert carried.index_rows.equals(computed.index_rows)
    with pytest.raises(ValueError, match="feature rows"):
        link_paragraphs(shuffled.slice(1), [], features=features_of_table(shuffled, DedupParams()))


def test_two_paragraphs_merged_elsewhere_come_from_one_article_through_any_copy() -> None:
    # "y" 0 is a copy of "w" 0, ingested first, so it represents that text; "x" 0 merges
    # "w" 0 and 1. Both clusters hold a paragraph of "w": one source.
    rows = batch(("y", 0, WIRE), ("w", 0, WIRE), ("w", 1, OTHER), ("x", 0, f"{WIRE} {OTHER}"))
    links = links_of(link_paragraphs(rows, []))
    assert target(links["x", 0]) is None
    for key in [("y", 0), ("w", 0), ("w", 1)]:
        assert target(links[key]) == ("x", 0) and links[key]["dup_kind"] == "contained"


def test_a_teaser_of_one_wire_paragraph_is_no_near_copy_of_a_merged_one() -> None:
    teaser = WIRE[: int(len(WIRE) * 0.8)].rstrip()
    rows = batch(("w", 0, SECOND), ("w", 1, WIRE), ("x", 0, f"{SECOND} {WIRE}"), ("t", 0, teaser))
    links = links_of(link_paragraphs(rows, []))
    assert target(links["x", 0]) is None
    for key in [("w", 0), ("w", 1), ("t", 0)]:
        assert target(links[key]) == ("x", 0)
