"""Throughput of the stripper against datatrove's C4QualityFilter on the same articles.

    python benchmarks/bench_strip.py [--articles N] [--reps R]

Articles are ~4 KB, built from the shared development texts and the stripper's own test
articles (lines appended until 4,000 characters). Both tools run in this one process, one
after the other.

The articles repeat the few source texts, so every line recurs and the stripper's per-line
cache (:mod:`pipeline.strip.analysis`) answers nearly all of them. The "unique story lines"
row is closer to a real feed: each article's story lines (12 words or more) are made unique
by a word of their own, while short lines (furniture) still recur; each repetition starts
with a new Stripper (an empty cache). The ``count_lines`` row times the line statistics
the read stage gathers for the same unique-story-line articles.

Rows with "rules alone" run ``Stripper(model=None)``, the stripper before the line model;
"line model" rows the package's model, per article (:meth:`Stripper.strip`) or in batches
(:meth:`Stripper.strip_many`, what the strip stage calls); side by side in this one process,
so their ratio is the model's cost.

The table gives the median of R repetitions as articles per CPU-second of
the process (one core; the machine is shared, so CPU time is steadier than wall time) and,
for reference, per wall-clock second. datatrove's English sentence splitter needs spacy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.corpus import SHARED
from pipeline.record_types import Line
from pipeline.strip import LineStats, Stripper, count_lines
from pipeline.strip.stripper import Article

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    SHARED / "dev-text" / "docs",
    SHARED / "seeds",
    ROOT / "tests/data/strip",
]
TARGET_CHARS = 4000
#: Articles per :meth:`Stripper.strip_many` call.
BATCH = 200


def source_lines() -> list[list[str]]:
    docs = []
    for folder in SOURCES:
        for path in sorted(folder.glob("*.txt")):
            lines = path.read_text(encoding="utf-8").split("\n")
            docs.append([_unlabel(line) for line in lines if not line.startswith("# ")])
    return docs


def _unlabel(line: str) -> str:
    """Drop the label of a tests/data/strip line ("+ ", "- kind ", "? ")."""
    if line.startswith(("+ ", "? ")):
        return line[2:]
    if line.startswith("- "):
        return line[2:].partition(" ")[2]
    return line


def build_articles(n: int) -> list[list[str]]:
    docs = source_lines()
    flat = [line for doc in docs for line in doc]
    articles, pos = [], 0
    for i in range(n):
        article = list(docs[i % len(docs)])
        while sum(len(x) + 1 for x in article) < TARGET_CHARS:
            article.append(flat[pos % len(flat)])
            pos += 1
        while sum(len(x) + 1 for x in article) > TARGET_CHARS * 1.25 and len(article) > 1:
            article.pop()
        articles.append(article)
    return articles


def with_unique_story_lines(articles: list[list[str]]) -> list[list[str]]:
    """The articles with a distinct word after the first word of every line of 12 words or
    more, so that no story line recurs across articles."""
    unique = []
    for n, article in enumerate(articles):
        lines = []
        for line in article:
            first, _, rest = line.partition(" ")
            lines.append(f"{first} u{n}x {rest}" if len(line.split()) >= 12 else line)
        unique.append(lines)
    return unique


def strip_all(stripper: Stripper, articles: list[list[Line]]) -> None:
    for article in articles:
        stripper.strip(article)


def strip_batches(
    stripper: Stripper, articles: list[list[Line]], outlet: str | None = None
) -> None:
    """:meth:`Stripper.strip_many` over ``BATCH`` articles at a time (as the strip stage)."""
    for start in range(0, len(articles), BATCH):
        stripper.strip_many([Article(a, outlet) for a in articles[start : start + BATCH]])


def rate(run: Callable[[], None], count: int, reps: int) -> tuple[float, float]:
    """Items per CPU-second and per wall-clock second (medians of ``reps`` runs)."""
    cpu, wall = [], []
    for _ in range(reps):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
    return count / statistics.median(cpu), count / statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    articles = build_articles(args.articles)
    as_lines = [[Line(i, t) for i, t in enumerate(a)] for a in articles]
    unique = [[Line(i, t) for i, t in enumerate(a)] for a in with_unique_story_lines(articles)]
    mean_kb = sum(len("\n".join(a)) for a in articles) / len(articles) / 1024

    rules = Stripper(model=None)
    stripper = Stripper()
    stats = LineStats.from_table(count_lines(("outlet", lines) for lines in as_lines))
    with_stats = Stripper(stats=stats)
    rows = [
        (
            "pipeline.strip Stripper, rules alone",
            rate(lambda: [rules.strip(a) for a in as_lines], len(articles), args.reps),
        ),
        (
            "pipeline.strip Stripper, line model, per article",
            rate(lambda: [stripper.strip(a) for a in as_lines], len(articles), args.reps),
        ),
        (
            f"pipeline.strip Stripper, line model, {BATCH} a batch",
            rate(lambda: strip_batches(stripper, as_lines), len(articles), args.reps),
        ),
        (
            "pipeline.strip Stripper, rules alone, unique story lines",
            rate(lambda: strip_all(Stripper(model=None), unique), len(articles), args.reps),
        ),
        (
            f"pipeline.strip Stripper, line model, {BATCH} a batch, unique story lines",
            rate(lambda: strip_batches(Stripper(), unique), len(articles), args.reps),
        ),
        (
            "pipeline.strip count_lines, unique story lines",
            rate(
                lambda: count_lines(("outlet", lines) for lines in unique), len(articles), args.reps
            ),
        ),
        (
            f"pipeline.strip Stripper + line stats, line model, {BATCH} a batch",
            rate(
                lambda: strip_batches(with_stats, as_lines, outlet="outlet"),
                len(articles),
                args.reps,
            ),
        ),
    ]
    try:
        from datatrove.data import Document
        from datatrove.pipeline.filters import C4QualityFilter
    except ImportError:
        pass
    else:
        c4 = C4QualityFilter(filter_no_terminal_punct=True)
        texts = ["\n".join(a) for a in articles]

        def run_c4() -> None:
            for i, text in enumerate(texts):
                c4.filter(Document(text=text, id=str(i)))

        rows.append(("datatrove C4QualityFilter", rate(run_c4, len(articles), args.reps)))
    print(f"{len(articles)} articles, mean {mean_kb:.1f} KB, median of {args.reps} runs, 1 core")
    print(f"{'tool':48s} {'articles/CPU-s':>15s} {'articles/wall-s':>16s}")
    for name, (per_cpu, per_wall) in rows:
        print(f"{name:48s} {per_cpu:15,.0f} {per_wall:16,.0f}")


if __name__ == "__main__":
    main()
