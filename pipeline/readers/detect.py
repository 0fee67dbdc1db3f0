"""Which reader a file needs: content first (a WARC is a WARC whatever its name), then the
extension (after any ``.gz``), then content again for ``.txt`` and unknown extensions."""

from __future__ import annotations

import re
import zlib

from pipeline.readers.payload import GZIP_MAGIC

_EXTENSIONS = {
    ".warc": "warc",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "txt",
}
_COMPRESSED = (".gz", ".gzip")
_HTML_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"<(?:!doctype\s+html|html|head|body)[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_HEAD_BYTES = 4096


def detect_format(path: str, data: bytes) -> str:
    """One of ``warc``, ``jsonl``, ``html``, ``txt``."""
    head = decompressed_head(data)
    if head.startswith(b"WARC/"):
        return "warc"
    by_extension = _format_from_name(path)
    if by_extension not in (None, "txt"):
        return by_extension
    if _HTML_START.match(head):
        return "html"
    if by_extension is None and head.lstrip().startswith(b"{"):
        return "jsonl"
    return "txt"


def decompressed_head(data: bytes) -> bytes:
    """The first bytes of the content, decompressed if gzip; ``b""`` if that fails."""
    if not data.startswith(GZIP_MAGIC):
        return data[:_HEAD_BYTES]
    try:
        return zlib.decompressobj(wbits=31).decompress(data[:65536], _HEAD_BYTES)
    except zlib.error:
        return b""


def _format_from_name(path: str) -> str | None:
    name = path.lower()
    for suffix in _COMPRESSED:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    for extension, kind in _EXTENSIONS.items():
        if name.endswith(extension):
            return kind
    return None
