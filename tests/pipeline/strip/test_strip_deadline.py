"""An article that takes too long to strip is left out and accounted for; the rest go on."""

from __future__ import annotations

import random
import re

import duckdb

from pipeline.cli import main
from pipeline.record_types import Line
from pipeline.strip import Stripper
from pipeline.strip.stripper import Article
from pipeline.verify import verify

SMALL = (
    "Harbour reopens after repairs\n\n"
    "The harbour reopened on Monday after three weeks of repairs to its sea wall.\n\n"
    "Fishing boats returned to their moorings by the afternoon, the harbour master said.\n"
)


#: The deadline of these tests: several times what the small article needs on a loaded
#: machine, a fraction of what the huge one does.
SECONDS = 0.8


def _huge_text(lines: int = 1_900, words: int = 1_500) -> str:
    """An English article near ``max_article_lines`` of long, varied paragraphs (English, so
    that the line model reads it too): seconds to strip."""
    rng = random.Random(7)
    vocabulary = re.findall(r"[a-z]+", SMALL.lower())
    paragraphs = (" ".join(rng.choices(vocabulary, k=words)) + "." for _ in range(lines))
    return "A very long report\n\n" + "\n\n".join(paragraphs) + "\n"


def _article(text: str) -> Article:
    lines = [Line(n, line) for n, line in enumerate(text.splitlines()) if line]
    return Article(lines, "news.example", "en", lines[0].text)


def test_strip_within_leaves_out_only_the_article_over_its_deadline() -> None:
    small, huge = _article(SMALL), _article(_huge_text())
    outcomes = Stripper().strip_within([small, huge, small], SECONDS)
    assert [o is None for o in outcomes] == [False, True, False]
    assert outcomes[0] == outcomes[2] == Stripper().strip_many([small])[0]


def test_an_article_over_max_strip_seconds_is_rejected_and_its_file_accounted_for(
    tmp_path,
) -> None:
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    (raw / "small.txt").write_text(SMALL)
    (raw / "huge.txt").write_text(_huge_text())
    args = ["ingest", str(raw), str(clean), "--workers", "2", "--max-strip-seconds", str(SECONDS)]
    assert main(args) == 0
    con = duckdb.connect()
    rejected = con.execute(
        f"SELECT source_path, stage, error_kind FROM '{clean}/rejected/*/*.parquet'"
    ).fetchall()
    assert rejected == [("huge.txt", "strip", "timeout")]
    ledger = con.execute(
        "SELECT source_path, outcome, articles, rejected_records"
        f" FROM '{clean}/sources/*/*.parquet' ORDER BY source_path"
    ).fetchall()
    assert ledger == [("huge.txt", "rejected", 0, 1), ("small.txt", "ingested", 1, 0)]
    kept = con.execute(f"SELECT source_path FROM '{clean}/articles/*/*.parquet'").fetchall()
    assert kept == [("small.txt",)]
    assert verify(str(clean), raw_dir=str(raw)) == []
