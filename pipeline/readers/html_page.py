"""A single HTML page."""

from __future__ import annotations

from pipeline.model import Document
from pipeline.readers.decode import decode


def read_html(path: str, sha256: str, data: bytes) -> Document:
    """One article from an already decompressed HTML file (charset from BOM, bytes or meta)."""
    return Document(
        source_path=path,
        source_sha256=sha256,
        source_format="html",
        record_locator=None,
        body=decode(data, html=True).text,
        body_kind="html",
    )
