"""JSON parsing with a nesting budget: a line of 100,000 ``[`` is a reject, not a crash.

A ``\\ud800`` escape with no partner is valid JSON but no character: the parser gives a lone
surrogate, which cannot be encoded as UTF-8 (Parquet, the stripper's automaton and lxml all
need it), so each becomes U+FFFD, as a browser's decoder does with bytes it cannot decode.
"""

from __future__ import annotations

import json
import re

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
    if _SURROGATE_ESCAPE.search(data):
        value = _without_lone_surrogates(value)
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


#: An escape of ``\\uD800``-``\\uDFFF`` in JSON text: where a lone surrogate can come from.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: object) -> object:
    """``value`` with every lone surrogate in its strings (keys included) replaced by
    U+FFFD; containers are fixed in place, without recursion."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    pending = [value] if isinstance(value, dict | list) else []
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            fixed = {_without_lone_surrogates(k): v for k, v in item.items()}
            item.clear()
            item.update(fixed)
            keys = list(item)
        else:
            keys = range(len(item))
        for key in keys:
            child = item[key]
            if isinstance(child, str):
                item[key] = _LONE_SURROGATE.sub("\ufffd", child)
            elif isinstance(child, dict | list):
                pending.append(child)
    return value


def _too_deep(max_depth: int) -> RejectedInput:
    return RejectedInput("read", "too_deep", f"JSON nested deeper than max_json_depth={max_depth}")
