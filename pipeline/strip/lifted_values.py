"""Values lifted from removed lines: publish date, author, credits.

Removing a byline must not lose who wrote the story or when; these helpers read them from
the removed text so they can fill :class:`pipeline.record_types.Stripped`.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from pipeline.author import author_words, clean_author, starts_with_label

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_TIME = (
    r"(?:\s*[,|•·@-]?\s*(?:at\s+)?(?P<h>\d{1,2})[:.](?P<min>\d{2})"
    r"\s*(?P<ampm>[ap])?\.?(?:m\.?)?)?"
)
_DATES = [
    re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}}){_TIME}", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<y>\d{{4}}){_TIME}", re.I),
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<h>\d{2}):(?P<min>\d{2}))?"),
    # The dotted day-first form (12.04.2023) is unambiguous; slashed forms are not parsed.
    re.compile(
        r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"
        r"(?:\s*[-,|]?\s*(?:um\s+)?(?P<h>\d{1,2})[:.](?P<min>\d{2}))?"
    ),
]
#: Languages of the day-month-year dates (``12. April 2023``, ``5 de marzo de 2024``) that
#: :func:`_other_language_date` hands to dateparser.
_OTHER_LANGUAGES = ["de", "es", "fr"]
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
_PUBLISHED_FIRST = re.compile(r"^\s*(?:published|posted|first published|by\b)", re.I)
_PHOTO_CREDIT = re.compile(
    r"(?:photo(?:graph)?|foto|image|bild|picture|credit|imagen|fotografía)s?\s*(?:by|:|/)\s*"
    r"([^()\[\]:]{2,60}?)\s*[)\]]?\.?\s*$",
    re.I,
)
_CREDIT_WRAPPER = re.compile(
    r"^[\s(\[—–-]*(?:courtesy(?: of)?|source|via|credit|from|photo(?:graph)?s?|images?|"
    r"pictures?|video)?\s*(?:by|:)?\s*|\s*(?:contributed(?: to)?(?: this)?(?: report| story)?|"
    r"originally published (?:on|in|by)|information from\s*:)\s*",
    re.I,
)


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD``, or ``YYYY-MM-DDTHH:MM:00`` when a
    clock time follows it (no zone: the source seldom gives one we can trust).

    English month names and numeric forms are read here; German, Spanish and French day-month-
    year dates ("12. April 2023, 14:30 Uhr", "5 de marzo de 2024") by dateparser."""
    return _pattern_date(text) or _other_language_date(text)


def _pattern_date(text: str) -> str | None:
    for pattern in _DATES:
        m = pattern.search(text)
        if not m:
            continue
        groups = m.groupdict()
        month = _MONTHS[groups["mon"][:3].lower()] if groups.get("mon") else int(groups["m"])
        day, year = int(groups["d"]), int(groups["y"])
        if not (1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100):
            continue
        date = f"{year:04d}-{month:02d}-{day:02d}"
        if groups.get("h"):
            hour, ampm = int(groups["h"]), (groups.get("ampm") or "").lower()
            if ampm:
                hour = hour % 12 + (12 if ampm == "p" else 0)
            # "12:00 AM" is what CMSs print when they store no time: treat it as unknown.
            if hour < 24 and not (hour == 0 and groups["min"] == "00" and ampm):
                return f"{date}T{hour:02d}:{int(groups['min']):02d}:00"
        return date
    return None


@cache
def _other_language_pattern() -> re.Pattern[str]:
    """A day, a month name of ``author_words.toml`` and a year, perhaps a clock time after."""
    months = "|".join(sorted(map(re.escape, author_words().months), key=len, reverse=True))
    return re.compile(
        rf"\b\d{{1,2}}\.?\s+(?:de\s+)?(?:{months})\.?,?\s+(?:de\s+)?(?:19|20)\d{{2}}\b"
        r"(?:\s*(?:[-,|]\s*)?(?:um\s+|a las\s+|à\s+)?\d{1,2}[:.]\d{2}\b)?",
        re.IGNORECASE,
    )


def _other_language_date(text: str) -> str | None:
    """The day-month-year date the pattern finds, read by dateparser (which knows the month
    names of every language; htmldate's own reader has no Spanish)."""
    found = _other_language_pattern().search(text)
    return None if found is None else _read_date(found.group(0))


@lru_cache(maxsize=4096)  # a template's dateline recurs on every article of its outlet
def _read_date(span: str) -> str | None:
    from dateparser import parse  # loads its language data: only when needed

    moment = parse(span, languages=_OTHER_LANGUAGES, settings=_DATEPARSER_SETTINGS)
    if moment is None:
        return None
    if _CLOCK.search(span):
        return moment.strftime("%Y-%m-%dT%H:%M:00")
    return moment.strftime("%Y-%m-%d")


_DATEPARSER_SETTINGS = {
    "DATE_ORDER": "DMY",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def published_from(lines: list[str]) -> str | None:
    """The publish date among byline/publish lines: "Published"/"Posted"/byline stamps win
    over "Updated" ones; the first date otherwise."""
    ordered = sorted(lines, key=lambda t: not _PUBLISHED_FIRST.match(t))
    for text in ordered:
        if date := parse_date(text):
            return date
    return None


def author_from(lines: list[str]) -> str | None:
    """The author names of the first byline ("By ...", "Von ...", "Por ...") that holds any,
    cleaned as every author value is (:func:`pipeline.author.clean_author`)."""
    for text in lines:
        if starts_with_label(text) and (names := clean_author(text)):
            return names
    return None


def photo_credit_from(text: str) -> str | None:
    """The credit of a caption: "... (Photo: Jane Roe/AP)" -> "Jane Roe/AP"."""
    m = _PHOTO_CREDIT.search(text)
    return m.group(1).strip(" .,;") if m else None


def credit_from(text: str) -> str | None:
    """The credited party of a credit line or fragment: "(Courtesy BBC)" -> "BBC"."""
    cleaned = _CREDIT_WRAPPER.sub(" ", text).strip(" ()[]—–-.:;,|")
    return cleaned or None
