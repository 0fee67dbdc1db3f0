"""Turn a Document into paragraphs (Lines) and metadata."""

from __future__ import annotations

from pipeline.author import clean_author
from pipeline.extract.html import extract_html
from pipeline.extract.lines import text_lines
from pipeline.outlet import choose_outlet
from pipeline.readers.errors import RejectedInput
from pipeline.record_types import Document, Extracted

__all__ = ["extract", "text_lines"]


def extract(doc: Document) -> Extracted:
    """Text documents: one Line per non-blank physical line. HTML: see :mod:`.html`.

    The author, whoever found it, goes through :func:`pipeline.author.clean_author`.
    Raises :class:`pipeline.readers.RejectedInput` (stage ``extract``) when there is no text.
    """
    if doc.body_kind == "html":
        extracted = extract_html(doc)
        extracted.author = clean_author(extracted.author)
        return extracted
    lines = text_lines(doc.body)
    if not lines:
        raise RejectedInput("extract", "no_text", "the text has no non-blank line")
    return Extracted(
        document=doc,
        lines=lines,
        url=doc.url,
        outlet=choose_outlet(doc.url, None, doc.outlet),
        published=doc.published,
    )
