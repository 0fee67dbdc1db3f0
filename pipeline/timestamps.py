"""Typed timestamps beside the date strings of an article (``published``, ``fetched_at``).

The strings stay as the source gave them (a day, a date-time with or without an offset); the
``*_at`` columns hold the same instant as ``timestamp[us, UTC]``, which every Parquet reader
takes as a timestamp without format hints. A date-time without an offset is taken as UTC (the
source gives no zone to convert from), a bare day as its midnight in UTC; ``published_precision``
says which of the two the source gave (``date`` or ``datetime``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pipeline.strip.lifted_values import parse_date

_HAS_TIME = re.compile(r"\d[T ]\d|\d:\d")


def timestamp_columns(published: str | None, fetched_at: str | None) -> dict[str, object]:
    """The ``articles`` columns ``published_at``, ``published_precision``, ``fetched_at_utc``."""
    published_at, precision = parse_timestamp(published)
    return {
        "published_at": published_at,
        "published_precision": precision,
        "fetched_at_utc": parse_timestamp(fetched_at)[0],
    }


def parse_timestamp(value: str | None) -> tuple[datetime | None, str | None]:
    """The UTC instant of an ISO 8601 date or date-time (else of the first date that
    :func:`pipeline.strip.lifted_values.parse_date` finds in the text) and its precision."""
    if not value or not value.strip():
        return None, None
    text = value.strip()
    parsed = _iso(text)
    if parsed is None:
        lifted = parse_date(text)
        parsed = _iso(lifted) if lifted else None
        text = lifted or text
    if parsed is None:
        return None, None
    precision = "datetime" if _HAS_TIME.search(text) else "date"
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC), precision
    return parsed.astimezone(UTC), precision


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
