"""What every reader is given: one source file's bytes and what the reading knows of them."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pipeline.readers.errors import Rejection
from pipeline.readers.limits import Limits
from pipeline.readers.payload import read_bounded
from pipeline.record_types import Document


@dataclass(frozen=True, slots=True)
class SourceInput:
    #: Only recorded and used for its extension (any str, surrogate-escaped bytes included).
    path: str
    sha256: str
    #: The file's raw content, possibly gzip-compressed.
    data: bytes
    #: Its first bytes, decompressed (``b""`` when they do not decompress).
    head: bytes
    #: The bytes of the ``NAME.meta.json`` beside a text file, if any.
    sidecar: bytes | None
    limits: Limits

    def content(self) -> bytes:
        """The whole file decompressed, as one document of at most ``max_document_bytes``
        (raises RejectedInput for an empty, oversized, truncated or corrupt one)."""
        return read_bounded(io.BytesIO(self.data), self.limits.max_document_bytes)


#: A reader: the articles of one source file, and a Rejection per bad record in it. It raises
#: RejectedInput when the file as a whole is no article source; a container format (many
#: records) never raises once it has started yielding.
Reader = Callable[[SourceInput], Iterator[Document | Rejection]]
