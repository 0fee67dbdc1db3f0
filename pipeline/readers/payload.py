"""Getting at a file's bytes: bounded reads, transparent gzip, and spotting binary content."""

from __future__ import annotations

import gzip
import zlib
from typing import BinaryIO

from pipeline.readers.errors import RejectedInput

GZIP_MAGIC = b"\x1f\x8b"

#: Leading bytes of binary formats that turn up behind a text or HTML extension.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"PK\x03\x04", "ZIP archive (or an Office/EPUB file)"),
    (b"\x7fELF", "ELF executable"),
    (b"\xfd7zXZ\x00", "XZ archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"BZh", "bzip2 archive"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"RIFF", "RIFF media (WebP/WAV/AVI)"),
    (b"\x1f\x8b", "nested gzip stream"),
)
DECOMPRESS_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, OSError)


def binary_kind(head: bytes) -> str | None:
    """Name the binary format ``head`` (a file's first bytes) belongs to, or ``None``.

    NUL bytes count as binary unless a UTF-16/32 byte-order mark explains them.
    """
    for magic, name in _MAGIC:
        if head.startswith(magic):
            if magic == b"BZh" and not head[3:4].isdigit():
                continue
            return name
    if head[4:8] == b"ftyp":
        return "MP4/QuickTime media"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary data (NUL bytes)"
    return None


def open_decompressed(stream: BinaryIO) -> BinaryIO:
    """``stream`` itself, or a gzip reader over it when it starts with the gzip magic."""
    head = stream.read(2)
    stream.seek(0)
    return gzip.GzipFile(fileobj=stream, mode="rb") if head == GZIP_MAGIC else stream


def read_bounded(stream: BinaryIO, max_bytes: int) -> bytes:
    """All of a (possibly gzip-compressed) single-document stream, at most ``max_bytes``.

    Raises RejectedInput for an empty, oversized, truncated or corrupt stream; memory use
    never exceeds ``max_bytes + 1`` whatever the compression ratio.
    """
    reader = open_decompressed(stream)
    try:
        data = reader.read(max_bytes + 1)
    except DECOMPRESS_ERRORS as exc:
        raise RejectedInput(
            "read", "corrupt_compression", f"gzip stream unreadable: {exc}"
        ) from exc
    if len(data) > max_bytes:
        raise RejectedInput(
            "read", "too_large", f"larger than max_document_bytes={max_bytes} when decompressed"
        )
    if not data or data.isspace():
        raise RejectedInput("read", "empty", "no content (empty or whitespace only)")
    return data
