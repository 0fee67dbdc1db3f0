"""A single HTML page."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.readers.decode import decode
from pipeline.readers.source_input import SourceInput
from pipeline.record_types import Document


def read_html(source: SourceInput) -> Iterator[Document]:
    """The page as one article (charset from BOM, bytes or meta)."""
    yield Document(
        source_path=source.path,
        source_sha256=source.sha256,
        source_format="html",
        record_locator=None,
        body=decode(source.content(), html=True).text,
        body_kind="html",
    )
