"""HTML extraction quality and speed on ../shared/html-dev (or --dev DIR).

Quality: the benchmark's metric -- word tokens, 4-token shingles, multiset precision and
recall of the extracted text against the gold body, per page, averaged over pages (a page
with no output scores P=R=0). Speed: pages/s on one core (the gzip of the dev files is undone
beforehand), each page timed back to back for every runner in the same run: trafilatura
alone, our reader + extractor (bytes -> read_source -> extract), and the pipeline end to end
(read, extract, then the strip stage's language detection and stripping).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_html.py \
        [--dev DIR | --pages DIR] [--keep MODULE:CALLABLE] [--rounds N]

``--pages`` times the ``*.html`` files of a directory without scoring them (no gold), e.g.
the generated corpus the ``html_ours``/``html_trafilatura`` bench rows use.

``--keep`` names a callable mapping an Extracted to the text to score and time; by default
the pipeline's own stripping (:func:`default_keep`).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura
from lxml.html import fromstring
from readability import Document as ReadabilityDocument

from benchmarks.corpus import SHARED
from pipeline.extract import extract
from pipeline.extract.html import TRAFILATURA_OPTIONS
from pipeline.language import detect_language
from pipeline.model import Extracted
from pipeline.readers import read_source
from pipeline.strip import Stripper

_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> Counter:
    tokens = _WORD.findall(text.lower())
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def score(predicted: str, gold: str) -> tuple[float, float, float]:
    ours, truth = shingles(predicted), shingles(gold)
    common = sum((ours & truth).values())
    precision = common / sum(ours.values()) if ours else 0.0
    recall = common / sum(truth.values()) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def load_pages(dev: Path) -> list[tuple[str, bytes, str]]:
    gold = json.loads((dev / "ground-truth.json").read_text())
    return [
        (
            page_id,
            gzip.decompress((dev / "html" / f"{page_id}.html.gz").read_bytes()),
            entry["articleBody"],
        )
        for page_id, entry in sorted(gold.items())
    ]


def trafilatura_text(html: bytes, **options: object) -> str:
    return trafilatura.extract(html, **options) or ""


def readability_text(html: bytes) -> str:
    summary = ReadabilityDocument(html).summary(html_partial=True)
    return fromstring(summary).text_content() if summary.strip() else ""


def our_extracted(page_id: str, html: bytes) -> Extracted | None:
    sha = hashlib.sha256(html).hexdigest()
    for doc in read_source(f"{page_id}.html", sha, html):
        return extract(doc)
    return None


def lines_text(extracted: Extracted | None) -> str:
    return "\n".join(line.text for line in extracted.lines) if extracted else ""


def default_keep() -> Callable[[Extracted], str]:
    """The pipeline's stripping of extracted text, as the read and strip stages run it."""
    stripper = Stripper()

    def keep(extracted: Extracted) -> str:
        kept = stripper.strip(
            extracted.lines,
            outlet=extracted.outlet,
            language=detect_language(extracted.lines),
            title=extracted.title,
            body_kind=extracted.document.body_kind,
        ).kept
        return "\n".join(line.text for line in kept)

    return keep


def load_callable(spec: str) -> Callable[[Extracted], str]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def interleaved_seconds(
    runners: dict[str, Callable[[str, bytes], object]],
    pages: list[tuple[str, bytes, str]],
    rounds: int,
) -> dict[str, float]:
    """Total seconds per runner, each page timed for every runner back to back and the best
    of ``rounds`` kept per page, so that load from other processes hits all runners alike.
    The runners take turns going first on a page: the first meets the page's data in cold
    caches, the later ones in warm."""
    names = list(runners)
    best = {name: [float("inf")] * len(pages) for name in names}
    for round_ in range(rounds):
        for index, (page_id, html, _) in enumerate(pages):
            first = (index + round_) % len(names)
            for name in names[first:] + names[:first]:
                start = time.perf_counter()
                runners[name](page_id, html)
                best[name][index] = min(best[name][index], time.perf_counter() - start)
    return {name: sum(times) for name, times in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", type=Path, default=SHARED / "html-dev")
    parser.add_argument(
        "--pages", type=Path, help="time only, on the *.html files of this directory (no gold)"
    )
    parser.add_argument("--keep", help="MODULE:CALLABLE mapping Extracted -> kept text")
    parser.add_argument(
        "--rounds", type=int, default=2, help="timing rounds (best per page is kept)"
    )
    args = parser.parse_args()
    keep = load_callable(args.keep) if args.keep else default_keep()
    if args.pages:
        pages = [(p.name, p.read_bytes(), "") for p in sorted(args.pages.glob("*.html"))]
        print(f"{len(pages)} pages from {args.pages}")
    else:
        pages = load_pages(args.dev)
        print(f"{len(pages)} pages from {args.dev}\n")
        print_quality(pages, keep)
    print_speed(pages, keep, args.rounds)


def print_quality(pages: list[tuple[str, bytes, str]], keep: Callable[[Extracted], str]) -> None:
    ours = {page_id: our_extracted(page_id, html) for page_id, html, _ in pages}
    rows: dict[str, Callable[[str, bytes], str]] = {
        "trafilatura defaults, no comments": lambda _, h: trafilatura_text(
            h, include_comments=False
        ),
        "trafilatura as configured": lambda _, h: trafilatura_text(
            h, **{**TRAFILATURA_OPTIONS, "with_metadata": False}
        ),
        "readability-lxml": lambda _, h: readability_text(h),
        "ours: read_source + extract": lambda page_id, _: lines_text(ours[page_id]),
        "ours + stripping (kept lines)": lambda page_id, _: keep(ours[page_id]),
    }
    print(f"{'extraction':36s} {'P':>7s} {'R':>7s} {'F1':>7s}")
    for name, run in rows.items():
        scores = [score(run(page_id, html), gold) for page_id, html, gold in pages]
        p, r, f = (sum(s[i] for s in scores) / len(scores) for i in range(3))
        print(f"{name:36s} {p:7.4f} {r:7.4f} {f:7.4f}")


def print_speed(
    pages: list[tuple[str, bytes, str]], keep: Callable[[Extracted], str], rounds: int
) -> None:
    """trafilatura with its metadata (what an Extracted holds) against ours, interleaved."""
    seconds = interleaved_seconds(
        {
            "trafilatura as configured": lambda _, h: trafilatura.bare_extraction(
                h, **TRAFILATURA_OPTIONS
            ),
            "ours: read + extract": our_extracted,
            "ours end to end": lambda page_id, h: keep(our_extracted(page_id, h)),
        },
        pages,
        rounds,
    )
    print(f"\n{'speed (one core)':36s} {'pages/s':>9s}")
    for name, total in seconds.items():
        print(f"{name:36s} {len(pages) / total:9.1f}")
    for name in ("ours: read + extract", "ours end to end"):
        overhead = seconds[name] / seconds["trafilatura as configured"] - 1
        print(f"{'overhead, ' + name:36s} {overhead:9.1%}")


if __name__ == "__main__":
    main()
