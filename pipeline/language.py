"""Language identification with langdetect, seeded so that results are deterministic.

langdetect costs time in proportion to the text it reads, so it reads a bounded sample: the
longest paragraphs, up to ``SAMPLE_CHARS`` characters. Article prose is uniform enough that a
few hundred characters decide the language as well as the whole text does.
"""

from __future__ import annotations

from collections.abc import Sequence

from langdetect import DetectorFactory, LangDetectException, detect_langs

from pipeline.model import Line

DetectorFactory.seed = 0

SAMPLE_CHARS = 600
MIN_LETTERS = 20
MIN_PROBABILITY = 0.70


def language_sample(lines: Sequence[Line], limit: int = SAMPLE_CHARS) -> str:
    """The longest paragraphs, in source order, up to ``limit`` characters."""
    longest = sorted(range(len(lines)), key=lambda i: -len(lines[i].text))
    chosen, total = [], 0
    for i in longest:
        if total >= limit:
            break
        chosen.append(i)
        total += len(lines[i].text)
    return "\n".join(lines[i].text for i in sorted(chosen))[: limit * 2]


def detect_language(lines: Sequence[Line]) -> str | None:
    """ISO 639-1 code (``zh-cn``/``zh-tw`` for Chinese), or None when unsure or too short."""
    sample = language_sample(lines)
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return None
    return best.lang if best.prob >= MIN_PROBABILITY else None
