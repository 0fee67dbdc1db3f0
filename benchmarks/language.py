"""Arrangements of language detectors, and their accuracy on labelled articles.

langdetect's cost is nearly constant per call (seven trials of random n-gram draws until the
estimate converges), so reading less text barely helps; calling it less often does. The
arrangements compared here differ in which detector reads what:

    langdetect sample   langdetect on the longest paragraphs (the previous pipeline)
    langdetect full     langdetect on the whole text
    pycld2 full         pycld2 alone on the whole text (the speed floor)
    pipeline            pipeline.language.detect_language as shipped: pycld2 where it is
                        sure of a long enough sample, langdetect on the sample elsewhere
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pycld2

from benchmarks.corpus import SHARED, TEST_ARTICLES, generate
from pipeline.language import MIN_LETTERS, detect_language, langdetect_code, language_sample
from pipeline.record_types import Line

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
#: Labelled samples shorter than this many characters are the "short" group.
SHORT_CHARS = 200


def cld2_code(text: str) -> str | None:
    reliable, _, details = pycld2.detect(_CONTROL.sub(" ", text))
    code = details[0][1]
    return code if reliable and code != "un" else None


def _joined(lines: Sequence[Line]) -> str:
    return "\n".join(line.text for line in lines)


def langdetect_on_sample(lines: Sequence[Line]) -> str | None:
    """The previous pipeline arrangement: langdetect alone on the sample."""
    sample = language_sample(lines)
    return langdetect_code(sample) if sum(map(str.isalpha, sample)) >= MIN_LETTERS else None


ARRANGEMENTS: dict[str, Callable[[Sequence[Line]], str | None]] = {
    "pipeline (pycld2, then langdetect)": detect_language,
    "langdetect sample": langdetect_on_sample,
    "langdetect full": lambda lines: langdetect_code(_joined(lines)),
    "pycld2 full": lambda lines: cld2_code(_joined(lines)),
}


def labelled_samples() -> list[tuple[str, list[Line]]]:
    """(language, lines): the shared dev articles and seeds (English), the stripper's test
    articles (their ``# language:`` header), short cuts of each (first paragraph, and a
    single 60-200 character line), and synthetic German and Spanish corpus articles."""
    whole: list[tuple[str, list[str]]] = []
    for folder in (SHARED / "dev-text/docs", SHARED / "seeds"):
        for path in sorted(folder.glob("*.txt")):
            whole.append(("en", path.read_text(encoding="utf-8").split("\n")))
    for path in sorted(TEST_ARTICLES.glob("*.txt")):
        whole.append(_test_article(path))
    samples = []
    for language, lines in whole:
        lines = [line for line in lines if line.strip()]
        samples.append((language, lines))
        samples.append((language, [max(lines[:3], key=len)]))
        short = [line for line in lines if 60 <= len(line) <= SHORT_CHARS]
        if short:
            samples.append((language, short[:1]))
    for article in generate(600, seed=7).articles:
        if article.outlet.language != "en":
            samples.append((article.outlet.language, article.lines))
    return [(lang, [Line(i, t) for i, t in enumerate(lines)]) for lang, lines in samples]


def _test_article(path: Path) -> tuple[str, list[str]]:
    language, lines = "en", []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# language:"):
            language = line.split(":", 1)[1].strip()
        elif line[:2] in ("+ ", "? "):
            lines.append(line[2:])
        elif line.startswith("- "):
            lines.append(line[2:].partition(" ")[2])
    return language, lines


def accuracy(samples: list[tuple[str, list[Line]]]) -> dict[str, dict[str, float]]:
    """Per arrangement: share of samples labelled right, overall, short and non-English.
    ``None`` (unsure) counts as wrong."""
    groups = {
        "all": lambda lang, lines: True,
        "short": lambda lang, lines: len(_joined(lines)) < SHORT_CHARS,
        "non-English": lambda lang, lines: lang != "en",
    }
    out = {}
    for name, detect in ARRANGEMENTS.items():
        hits = [(lang, lines, detect(lines) == lang) for lang, lines in samples]
        out[name] = {
            group: sum(hit for lang, lines, hit in hits if keep(lang, lines))
            / max(1, sum(1 for lang, lines, _ in hits if keep(lang, lines)))
            for group, keep in groups.items()
        }
        out[name]["n"] = len(hits)
    return out
