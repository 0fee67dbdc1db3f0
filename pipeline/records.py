"""Arrow tables of the work files that pass between batch stages, and their conversions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import pyarrow as pa

from pipeline.readers.errors import Rejection
from pipeline.record_types import Document, Extracted, Line, Removal, Stripped
from pipeline.store.schema import ARTICLES
from pipeline.timestamps import timestamp_columns

LINE_TYPE = pa.struct([("source_line", pa.int32()), ("text", pa.string())])

#: Columns an article takes over unchanged from its extracted document.
CARRIED_COLUMNS = (
    "article_id",
    "source_path",
    "source_sha256",
    "source_format",
    "record_locator",
    "url",
    "outlet",
    "language",
    "fetched_at",
)
#: Metadata that the stripper may lift from removed lines when the extractor found none.
METADATA_COLUMNS = ("title", "author", "published")

#: One row per extracted document (stage ``read`` -> stage ``strip``).
EXTRACTED = pa.schema(
    [ARTICLES.field(name) for name in CARRIED_COLUMNS + METADATA_COLUMNS]
    + [pa.field("body_kind", pa.string()), pa.field("lines", pa.list_(LINE_TYPE))]
)


def article_id(source_sha256: str, record_locator: str | None) -> str:
    """Stable id: a hash of the source bytes' hash and the record's place in the source."""
    key = f"{source_sha256}\x00{record_locator or ''}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


def extracted_row(extracted: Extracted, language: str | None) -> dict:
    doc: Document = extracted.document
    return {
        "article_id": article_id(doc.source_sha256, doc.record_locator),
        "source_path": doc.source_path,
        "source_sha256": doc.source_sha256,
        "source_format": doc.source_format,
        "record_locator": doc.record_locator,
        "url": extracted.url or doc.url,
        "outlet": extracted.outlet or doc.outlet,
        "title": extracted.title,
        "author": extracted.author,
        "published": extracted.published or doc.published,
        "fetched_at": doc.fetched_at,
        "language": language,
        "body_kind": doc.body_kind,
        "lines": [{"source_line": ln.source_line, "text": ln.text} for ln in extracted.lines],
    }


def reject_row(source_path: str, source_sha256: str, problem: Rejection) -> dict:
    """A ``rejected`` row (before the run's stamp) of ``problem`` in a source file."""
    return {
        "source_path": source_path,
        "source_sha256": source_sha256,
        "record_locator": problem.record_locator,
        "stage": problem.stage,
        "error_kind": problem.error_kind,
        "message": problem.message,
    }


def lines_of(row: dict) -> list[Line]:
    return [Line(item["source_line"], item["text"]) for item in row["lines"]]


def removal_rows(removed: Sequence[Removal]) -> list[dict]:
    return [
        {
            "source_line": r.source_line,
            "text": r.text,
            "kind": r.kind,
            "rule": r.rule,
            "probability": r.probability,
        }
        for r in removed
    ]


def join_paragraphs(kept: Sequence[Line]) -> tuple[str, list[tuple[int, int]]]:
    """The article text (paragraphs joined by ``\\n``) and each paragraph's character span."""
    spans, position = [], 0
    for line in kept:
        spans.append((position, position + len(line.text)))
        position += len(line.text) + 1
    return "\n".join(line.text for line in kept), spans


def paragraph_rows(article: str, kept: Sequence[Line]) -> Iterable[dict]:
    _, spans = join_paragraphs(kept)
    for idx, (line, (start, end)) in enumerate(zip(kept, spans, strict=True)):
        yield {
            "article_id": article,
            "idx": idx,
            "source_line": line.source_line,
            "text": line.text,
            "char_start": start,
            "char_end": end,
        }


def article_row(row: dict, stripped: Stripped) -> dict:
    """An ``articles`` row (less the run's stamps) from an extracted row and its stripping.

    Explicit metadata (HTML meta tags, sidecars) wins over what the stripper lifted."""
    text, _ = join_paragraphs(stripped.kept)
    lifted = {"title": stripped.title, "author": stripped.author, "published": stripped.published}
    metadata = {name: row[name] or lifted[name] for name in METADATA_COLUMNS}
    return {
        **{name: row[name] for name in CARRIED_COLUMNS},
        **metadata,
        **timestamp_columns(metadata["published"], row["fetched_at"]),
        "text": text,
        "text_unique": None,
        "removed": removal_rows(stripped.removed),
        "credits": stripped.credits,
        "strip_model": stripped.model,
    }
