"""Clusters that cannot chain, template lines with other facts, shared spans below the
paragraph (character offsets) and text_unique dropping exactly the repeated span."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from benchmarks.rows_flow import plain_ingest
from pipeline.dedup import PARAGRAPH_INPUT, link_paragraphs
from pipeline.dedup.paragraph_features import extract_features
from pipeline.dedup.spans import span_keys, word_char_spans
from pipeline.dedup.unique import unique_part
from pipeline.normalize import normalize_for_match

QUOTE = "Animals in our care deserve to be treated humanely and with respect at every farm."
LONG = (
    "The people shown in the video were all trained in proper animal handling, yet chose to "
    f"ignore it, said the company's vice president for food production. “{QUOTE}” She added "
    "that the company would review its contracts with every supplier in the region."
)
SHORT = f"Daugherty added: “{QUOTE}”"

#: One template, other facts: a court list as papers print it, one line per person.
TEMPLATE = (
    "{name}, {age}, of {town}, was charged with burglary and theft after a break-in on Main Street."
)
PEOPLE = [
    ("John Miller", 25, "Springfield"),
    ("Anna Kowalski", 31, "Riverside"),
    ("Peter Jones", 47, "Lakewood"),
    ("Maria Garcia", 19, "Fairview"),
    ("Tom Baker", 52, "Greenville"),
]


def batch(*rows: tuple[str, int, str]) -> pa.Table:
    return pa.table(
        {
            "article_id": [a for a, _, _ in rows],
            "idx": [i for _, i, _ in rows],
            "text": [t for _, _, t in rows],
            "published": [None] * len(rows),
            "ingest_order": list(range(len(rows))),
            "is_truncated": [None] * len(rows),
        },
        schema=PARAGRAPH_INPUT,
    )


def links_of(table: pa.Table) -> dict[tuple[str, int], dict]:
    return {(r["article_id"], r["idx"]): r for r in table.to_pylist()}


def test_template_lines_with_other_facts_stay_apart() -> None:
    lines = [TEMPLATE.format(name=n, age=a, town=t) for n, a, t in PEOPLE]
    links = link_paragraphs(batch(*((f"paper{i}", 0, t) for i, t in enumerate(lines))), [])
    assert links.links["duplicate_of_article"].null_count == len(lines)


def test_a_template_line_still_links_to_its_own_reprint() -> None:
    line = TEMPLATE.format(name="John Miller", age=25, town="Springfield")
    reprint = line.replace("after a break-in", "following a break-in")
    links = links_of(link_paragraphs(batch(("a", 0, line), ("b", 0, reprint)), []).links)
    assert links["b", 0]["duplicate_of_article"] == "a"


def test_every_member_verifies_against_its_canonical() -> None:
    """A chain of edits: each step changes a few words, the ends share little. The ends must
    not share a canonical unless the later end itself verifies against it."""
    sentence = (
        "the regional transport authority said on friday that it would extend the night bus "
        "service across the northern districts from march after complaints from shift workers"
    )
    words = sentence.split(" ")
    rng = np.random.default_rng(3)
    versions = [list(words)]
    for _ in range(8):
        edited = list(versions[-1])
        for pos in rng.choice(len(edited), 3, replace=False):
            edited[pos] = f"w{rng.integers(1_000_000)}"
        versions.append(edited)
    texts = [" ".join(v).capitalize() + "." for v in versions]
    result = link_paragraphs(batch(*((f"v{i}", 0, t) for i, t in enumerate(texts))), [])
    links = links_of(result.links)
    canonical = {
        k: (r["duplicate_of_article"], r["duplicate_of_idx"]) if r["duplicate_of_article"] else k
        for k, r in links.items()
    }
    features = extract_features(texts, 6)
    for (article, _), canon in canonical.items():
        if canon == (article, 0):
            continue
        i, j = int(article[1:]), int(canon[0][1:])
        assert _verified(features, i, j), f"{article} joined {canon} without verifying against it"
    assert len(set(canonical.values())) > 1  # the chain was split


def _verified(features, i: int, j: int) -> bool:
    from pipeline.dedup.pair_verification import NodeArrays, accepted
    from pipeline.dedup.params import DedupParams

    cut = np.zeros(len(features.n_words), bool)
    nodes = NodeArrays.of_words(features.word_hash, features.word_offsets, features.n_words, cut)
    return bool(accepted(np.array([[i, j]]), nodes, DedupParams())[0])


def test_a_quote_inside_a_longer_paragraph_links_with_both_spans() -> None:
    result = link_paragraphs(batch(("long", 0, LONG), ("short", 0, SHORT)), [])
    row = links_of(result.links)["short", 0]
    assert (row["duplicate_of_article"], row["dup_kind"]) == ("long", "contained")
    shared = SHORT[row["shared_start"] : row["shared_end"]]
    assert shared == QUOTE[:-1]  # word to word: the closing full stop is not a word
    assert LONG[row["canonical_start"] : row["canonical_end"]] == QUOTE[:-1]


def test_a_quote_found_only_by_its_span_keys_is_a_candidate() -> None:
    """The short paragraph's MinHash bands and sentence keys miss the long paragraph (its
    attribution differs, its sentence is not split off alone): span keys find it."""
    result = link_paragraphs(batch(("long", 0, LONG), ("short", 0, SHORT)), [])
    assert result.stats["candidate_pairs"] >= 1
    assert links_of(result.links)["short", 0]["duplicate_of_article"] == "long"


def test_span_keys_survive_any_surroundings_of_a_long_enough_run() -> None:
    run = ["one", "two", "three", "four", "five", "six", "seven"]  # span_words + span_window - 1
    texts = [" ".join(["alpha", "beta", *run, "gamma"]), " ".join(["delta", *run])]
    f = extract_features(texts, 6)
    keys, offsets = span_keys(f.word_hash, f.word_offsets, 4, 4)
    first, second = set(keys[offsets[0] : offsets[1]]), set(keys[offsets[1] : offsets[2]])
    assert first & second


@pytest.mark.parametrize(
    "text", ["Pérez didn’t say “no” — ½ of it", "A.B.C. test_case  x", "naïve café"]
)
def test_word_char_spans_line_up_with_the_normalised_words(text: str) -> None:
    spans = word_char_spans(text)
    assert len(spans) == len(normalize_for_match(text).split())
    for (start, end), word in zip(spans, normalize_for_match(text).split(), strict=True):
        assert normalize_for_match(text[start:end]).replace(" ", "") in (word, "12")


def test_unique_part_drops_exactly_the_shared_span() -> None:
    start = SHORT.index(QUOTE)
    end = start + len(QUOTE) - 1
    assert unique_part(SHORT, "short", "long", start, end) == "Daugherty added: “ .”"
    assert unique_part(QUOTE, "short", "long", 0, len(QUOTE) - 1) is None  # only punctuation
    assert unique_part(SHORT, "short", "long") is None  # no span: the whole paragraph
    assert unique_part(SHORT, "short", "short", start, end) == SHORT  # canonical in itself


def test_text_unique_of_the_flow_drops_the_reprinted_span(tmp_path: Path) -> None:
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    lead = "Workers at two poultry farms were filmed kicking and throwing live birds, a group said."
    (raw / "a_wire.txt").write_text(f"{lead}\n\n{LONG}\n", encoding="utf-8")
    (raw / "b_outlet.txt").write_text(
        f"A poultry company fired nine workers this week.\n\n{SHORT}\n", encoding="utf-8"
    )
    plain_ingest(str(raw), str(clean))
    paragraphs = ds.dataset(clean / "paragraphs", partitioning="hive").to_table().to_pylist()
    short = next(p for p in paragraphs if p["text"] == SHORT)
    assert short["dup_kind"] == "contained"
    assert SHORT[short["shared_start"] : short["shared_end"]] == QUOTE[:-1]
    articles = ds.dataset(clean / "articles", partitioning="hive").to_table().to_pylist()
    outlet = next(a for a in articles if a["source_path"].endswith("b_outlet.txt"))
    assert QUOTE[:-1] not in outlet["text_unique"]
    assert "Daugherty added" in outlet["text_unique"]
    wire = next(a for a in articles if a["source_path"].endswith("a_wire.txt"))
    assert QUOTE in wire["text_unique"]


def test_a_merged_paragraph_overlapping_a_longer_one_is_not_inside_it() -> None:
    """A+B (node 3) passes the share inside B+C (node 4), but A is not in B+C: A+B only
    overlaps it, and A must not end in B+C's cluster."""
    from pipeline.dedup.cluster import NodeInfo, assign
    from pipeline.dedup.pair_verification import Matches

    contained = {(0, 3), (1, 3), (1, 4), (2, 4), (3, 4)}  # (inner, container)
    small, large = (np.array(side, np.int64) for side in zip(*sorted(contained), strict=True))
    share = np.where(small == 3, 0.68, 1.0)
    matches = Matches(small, large, np.ones(len(small), bool), share)
    # Outlet "x" printed B and C on their own too, so every cluster shares its article.
    articles = [{"w"}, {"w", "x"}, {"w", "x"}, {"x"}, {"y"}]
    words = [10, 20, 20, 30, 40]

    def info(n: int) -> NodeInfo:
        return NodeInfo(("node", n), (n,), n, None, words[n], frozenset(articles[n]))

    def verified(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        pairs = zip(u.tolist(), v.tolist(), strict=True)
        return np.array([(a, b) in contained or (b, a) in contained for a, b in pairs])

    out = assign(5, info, matches, verified, lambda key: key[1])
    assert out[3].canonical == ("node", 3) and out[3].container is None
    assert out[0].canonical == out[1].canonical == ("node", 3)  # B's tightest container
    assert out[2].canonical == ("node", 4)
