"""Splitting text into the Lines the stripper works on."""

from __future__ import annotations

from pipeline.record_types import Line


def text_lines(body: str) -> list[Line]:
    """Every non-blank physical line (``\\n``-separated; a trailing ``\\r`` and surrounding
    whitespace dropped) with its 0-based line number, blank lines counted."""
    return [
        Line(number, stripped)
        for number, line in enumerate(body.split("\n"))
        if (stripped := line.strip())
    ]
