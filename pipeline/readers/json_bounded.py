"""JSON parsing with a nesting budget: a line of 100,000 ``[`` is a reject, not a crash."""

from __future__ import annotations

import json

from pipeline.readers.errors import RejectedInput


def load_json(data: bytes, max_depth: int, error_kind: str) -> object:
    """``json.loads(data)``; raise RejectedInput(``error_kind``) when it is not JSON and
    RejectedInput("too_deep") when arrays and objects nest deeper than ``max_depth``.

    The standard parser recurses once per level and gives up (RecursionError) near the
    interpreter's recursion limit; anything it parses is checked without recursion."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RejectedInput("read", error_kind, f"not JSON: {exc}") from exc
    if json_depth(value) > max_depth:
        raise _too_deep(max_depth)
    return value


def json_depth(value: object) -> int:
    """How deeply lists and dicts nest in ``value`` (a scalar: 0, ``[]``: 1)."""
    deepest = 0
    pending = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        pending.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def _too_deep(max_depth: int) -> RejectedInput:
    return RejectedInput("read", "too_deep", f"JSON nested deeper than max_json_depth={max_depth}")
