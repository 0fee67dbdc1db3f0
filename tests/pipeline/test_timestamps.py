"""``published_at``/``fetched_at_utc``: the date strings as UTC timestamps, with the precision
the source gave; German and Spanish dates lifted from removed lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.strip.lifted_values import published_from
from pipeline.timestamps import parse_timestamp, timestamp_columns

CASES = {
    "2025-08-22": (datetime(2025, 8, 22, tzinfo=UTC), "date"),
    "2025-08-22T17:45:00+01:00": (datetime(2025, 8, 22, 16, 45, tzinfo=UTC), "datetime"),
    "2025-08-22T17:45:00Z": (datetime(2025, 8, 22, 17, 45, tzinfo=UTC), "datetime"),
    "2025-08-22T17:45:00": (datetime(2025, 8, 22, 17, 45, tzinfo=UTC), "datetime"),
    "2025-08-22 17:45": (datetime(2025, 8, 22, 17, 45, tzinfo=UTC), "datetime"),
    "March 5, 2024": (datetime(2024, 3, 5, tzinfo=UTC), "date"),
    "5 de marzo de 2024": (datetime(2024, 3, 5, tzinfo=UTC), "date"),
    "not a date": (None, None),
    "": (None, None),
}


@pytest.mark.parametrize(("text", "expected"), CASES.items(), ids=list(CASES))
def test_date_strings_become_utc_timestamps(text: str, expected: tuple) -> None:
    assert parse_timestamp(text) == expected


def test_columns_of_a_row() -> None:
    assert timestamp_columns("2024-01-02", "2024-01-03T10:00:00Z") == {
        "published_at": datetime(2024, 1, 2, tzinfo=UTC),
        "published_precision": "date",
        "fetched_at_utc": datetime(2024, 1, 3, 10, tzinfo=UTC),
    }
    assert timestamp_columns(None, None) == dict.fromkeys(
        ("published_at", "published_precision", "fetched_at_utc")
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Madrid, 5 de marzo de 2024 - 11:45 h", "2024-03-05T11:45:00"),
        ("Publicado el 14 de febrero de 2023 a las 09:12", "2023-02-14T09:12:00"),
        ("Aktualisiert am 12. April 2023, 14:30 Uhr", "2023-04-12T14:30:00"),
        ("Veröffentlicht am Dienstag, 4. Juni 2024", "2024-06-04"),
        ("Von Anna Schröder | 3. März 2024", "2024-03-03"),
        ("This post originally ran in April 2013.", None),  # no day: not a publish date
    ],
)
def test_german_and_spanish_dates_are_lifted(line: str, expected: str | None) -> None:
    assert published_from([line]) == expected
