"""Language identification: langdetect, seeded so that results are deterministic, is the
detector of record; pycld2, when installed, answers first where it is sure.

langdetect's cost is nearly constant per call (seven trials of random n-gram draws until the
estimate converges), whatever the length of the text, so reading a shorter sample barely
helps; pycld2 is far cheaper (docs/performance.md has both). Where the
sample has at least ``CLD2_MIN_LETTERS`` letters and pycld2 calls its answer reliable, that
answer stands; short or ambiguous text goes to langdetect. On the labelled articles of
``benchmarks/language.py`` (English, German and Spanish, whole and cut short) the two
arrangements gave the same label on every sample; see docs/performance.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from langdetect import DetectorFactory, LangDetectException, detect_langs
from langdetect.detector_factory import PROFILES_DIRECTORY

from pipeline.record_types import Line

try:
    import pycld2
except ImportError:  # optional: without it langdetect reads every article
    pycld2 = None

DetectorFactory.seed = 0

SAMPLE_CHARS = 600
MIN_LETTERS = 20
MIN_PROBABILITY = 0.70
CLD2_MIN_LETTERS = 200
#: pycld2 codes that langdetect spells otherwise.
_CLD2_TO_LANGDETECT = {"zh": "zh-cn", "zh-Hant": "zh-tw", "iw": "he"}
#: Characters pycld2 rejects as invalid UTF-8 (controls and lone surrogates).
_CLD2_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


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
    letters = sum(map(str.isalpha, sample))
    if letters < MIN_LETTERS:
        return None
    if letters >= CLD2_MIN_LETTERS and (code := _cld2_reliable(sample)):
        return code
    return langdetect_code(sample)


def langdetect_code(text: str) -> str | None:
    """langdetect's best language for ``text`` when it is at least ``MIN_PROBABILITY`` sure."""
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return None
    return best.lang if best.prob >= MIN_PROBABILITY else None


def _cld2_reliable(text: str) -> str | None:
    """pycld2's answer in langdetect's spelling, if it is reliable and langdetect knows it."""
    if pycld2 is None:
        return None
    try:
        reliable, _, details = pycld2.detect(_CLD2_UNSAFE.sub(" ", text))
    except pycld2.error:
        return None
    code = _CLD2_TO_LANGDETECT.get(details[0][1], details[0][1])
    return code if reliable and code in _langdetect_codes() else None


@cache
def _langdetect_codes() -> frozenset[str]:
    """The languages langdetect has profiles for (one file each)."""
    return frozenset(path.name for path in Path(PROFILES_DIRECTORY).iterdir())
