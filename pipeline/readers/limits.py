"""Size limits that keep a reader's memory bounded whatever the input.

Each limit can be overridden with an environment variable of the same name in upper case
prefixed with ``PIPELINE_`` (e.g. ``PIPELINE_MAX_DOCUMENT_BYTES=1000000``) or by passing a
:class:`Limits` to :func:`pipeline.readers.read_source`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    #: Largest decompressed size of one document: a .txt/.html file, a WARC record's
    #: payload, a JSONL line. Larger ones are rejected as ``too_large`` without being read
    #: further (a gzip bomb stops here too).
    max_document_bytes: int = 32 * MIB
    #: Longest physical line of a plain-text article, in characters. No real paragraph is
    #: this long; such files are logs or blobs and are rejected as ``line_too_long``.
    max_text_line_chars: int = 100_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = f"PIPELINE_{f.name.upper()}"
            if (raw := env.get(name)) is not None:
                values[f.name] = _positive_int(name, raw)
        return cls(**values)


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name}={raw!r} is not valid: give a positive whole number, or unset it")
    return value


DEFAULT_LIMITS = Limits()
