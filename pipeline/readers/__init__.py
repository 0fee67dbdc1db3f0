"""Readers turn a source file's bytes into Documents, one per article it holds.

Formats, detection, encodings, limits and reject kinds are documented in docs/inputs.md.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from pipeline.model import Document
from pipeline.readers.detect import decompressed_head, detect_format
from pipeline.readers.errors import RejectedInput, Rejection
from pipeline.readers.html_page import read_html
from pipeline.readers.jsonl import read_jsonl
from pipeline.readers.limits import DEFAULT_LIMITS, Limits
from pipeline.readers.payload import binary_kind, read_bounded
from pipeline.readers.plain_text import is_sidecar, read_text, sidecar_path
from pipeline.readers.warc import read_warc

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "RejectedInput",
    "Rejection",
    "detect_format",
    "is_sidecar",
    "read_source",
    "sidecar_path",
]


def read_source(
    path: str,
    sha256: str,
    data: bytes,
    *,
    sidecar: bytes | None = None,
    limits: Limits | None = None,
) -> Iterator[Document | Rejection]:
    """Yield the articles in one source file, and a Rejection for each bad record in it.

    ``path`` is only recorded and used for its extension (any str, surrogate-escaped bytes
    included); ``data`` is the file's raw (possibly gzip-compressed) content; ``sidecar`` the
    bytes of the ``NAME.meta.json`` next to a text file (see :func:`sidecar_path`), if any.
    Raises RejectedInput when the file as a whole is no article source. Container formats
    (WARC, JSONL) never raise once they have started yielding. ``limits`` default to
    :meth:`Limits.from_env`.
    """
    limits = limits or Limits.from_env()
    if not data or data.isspace():
        raise RejectedInput("read", "empty", "the file is empty")
    kind = detect_format(path, data)
    head = decompressed_head(data)
    if kind != "warc" or not head.startswith(b"WARC/"):
        _reject_binary(head, kind)
    if kind == "warc" and not head.startswith(b"WARC/"):
        raise RejectedInput("read", "wrong_format", "a WARC file must start with 'WARC/1.x'")
    if kind == "warc":
        yield from read_warc(path, sha256, data, limits)
    elif kind == "jsonl":
        yield from read_jsonl(path, sha256, io.BytesIO(data), limits)
    else:
        content = read_bounded(io.BytesIO(data), limits.max_document_bytes)
        if kind == "html":
            yield read_html(path, sha256, content)
        else:
            yield read_text(path, sha256, content, sidecar, limits)


def _reject_binary(head: bytes, kind: str) -> None:
    found = binary_kind(head)
    if found:
        raise RejectedInput(
            "read", "binary_content", f"{found}, not {kind} (detected from the first bytes)"
        )
