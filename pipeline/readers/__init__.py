"""Readers turn a source file's bytes into Documents, one per article it holds.

Formats, detection, encodings, limits and reject kinds are documented in docs/inputs.md.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.readers.detect import decompressed_head
from pipeline.readers.errors import RejectedInput, Rejection
from pipeline.readers.formats import FORMATS, Format, detect_format, format_of
from pipeline.readers.limits import DEFAULT_LIMITS, Limits
from pipeline.readers.payload import binary_kind
from pipeline.readers.plain_text import is_sidecar, sidecar_path
from pipeline.readers.source_input import Reader, SourceInput
from pipeline.record_types import Document

__all__ = [
    "DEFAULT_LIMITS",
    "FORMATS",
    "Format",
    "Limits",
    "Reader",
    "RejectedInput",
    "Rejection",
    "SourceInput",
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
    :meth:`Limits.from_env`. The reader is the file's entry in :data:`FORMATS`.
    """
    limits = limits or Limits.from_env()
    if not data or data.isspace():
        raise RejectedInput("read", "empty", "the file is empty")
    head = decompressed_head(data)
    found = format_of(path, head)
    if not found.admits_binary(head):
        _reject_binary(head, found.name)
    yield from found.read(SourceInput(path, sha256, data, head, sidecar, limits))


def _reject_binary(head: bytes, kind: str) -> None:
    found = binary_kind(head)
    if found:
        raise RejectedInput(
            "read", "binary_content", f"{found}, not {kind} (detected from the first bytes)"
        )
