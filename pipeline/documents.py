"""A source file's bytes to its extracted, language-tagged documents: the one recipe (reader,
extractor, language) that the read stage, ``explain`` and the benchmarks all follow.

:func:`source_documents` yields an :class:`ExtractedDocument` per article of the file and a
Rejection per bad record (read by the file's reader, or rejected by the extractor); it raises
RejectedInput, as :func:`~pipeline.readers.read_source` does, when the file as a whole is no
article source. Budgets of time per file and the tally of rejections are the read stage's
(:mod:`pipeline.reading`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.extract import extract
from pipeline.language import detect_language
from pipeline.readers import Limits, RejectedInput, Rejection, read_source, sidecar_path
from pipeline.record_types import Document, Extracted
from pipeline.records import extracted_row
from pipeline.store import Root


@dataclass(frozen=True, slots=True)
class ExtractedDocument:
    extracted: Extracted
    language: str | None

    def row(self) -> dict:
        """The document as a row of the ``extracted`` work table."""
        return extracted_row(self.extracted, self.language)


def source_documents(
    path: str,
    sha256: str,
    data: bytes,
    *,
    sidecar: bytes | None = None,
    limits: Limits | None = None,
) -> Iterator[ExtractedDocument | Rejection]:
    """The documents of one source file, extracted and tagged with their language, and a
    Rejection per bad record. Arguments as for :func:`~pipeline.readers.read_source`."""
    limits = limits or Limits.from_env()
    for item in read_source(path, sha256, data, sidecar=sidecar, limits=limits):
        yield item if isinstance(item, Rejection) else extract_document(item, limits)


def extract_document(document: Document, limits: Limits) -> ExtractedDocument | Rejection:
    """One document read from a source, extracted and tagged with its language."""
    try:
        extracted = extract(document)
    except RejectedInput as error:
        return error.at(document.record_locator)
    if len(extracted.lines) > limits.max_article_lines:
        message = f"more than max_article_lines={limits.max_article_lines} lines extracted"
        return Rejection(document.record_locator, "extract", "too_many_lines", message)
    return ExtractedDocument(extracted, detect_language(extracted.lines))


def read_sidecar(root: Root, rel_path: str, limits: Limits) -> bytes | None:
    """The ``NAME.meta.json`` beside a text file, if there is one (read up to one byte past
    ``max_document_bytes``, which the sidecar parser rejects)."""
    side = sidecar_path(rel_path)
    if not (side and root.exists(side)):
        return None
    with root.open_read(side) as handle:
        return handle.read(limits.max_document_bytes + 1)


def local_file_documents(
    path: str | Path, *, recorded_as: str | None = None, limits: Limits | None = None
) -> Iterator[ExtractedDocument | Rejection]:
    """:func:`source_documents` of a file on the local disk and its sidecar, if any, recorded
    under ``recorded_as`` (default: ``path`` as given)."""
    limits = limits or Limits.from_env()
    file = Path(path)
    data = file.read_bytes()
    sidecar = read_sidecar(Root.open(str(file.parent)), file.name, limits)
    digest = hashlib.sha256(data).hexdigest()
    recorded = str(path) if recorded_as is None else recorded_as
    yield from source_documents(recorded, digest, data, sidecar=sidecar, limits=limits)
