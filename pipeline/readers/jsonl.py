"""JSON Lines: one article object per line, ``{"url", "html"}`` or ``{"url", "text"}`` with
optional ``outlet``, ``published`` and ``fetched_at``. A bad line is rejected on its own."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from pipeline.readers.errors import RejectedInput, Rejection
from pipeline.readers.json_bounded import load_json
from pipeline.readers.limits import Limits
from pipeline.readers.payload import DECOMPRESS_ERRORS, open_decompressed
from pipeline.readers.plain_text import check_text_shape, optional_str, provenance
from pipeline.readers.source_input import SourceInput
from pipeline.record_types import Document

_BODY_FIELDS = (("html", "html"), ("text", "text"))
_SKIP_CHUNK = 1 << 20


def read_jsonl(source: SourceInput) -> Iterator[Document | Rejection]:
    """Yield a Document per good line and a Rejection (locator: 1-based line number) per bad one.

    Lines are read one at a time and each is capped at ``max_document_bytes``, so memory stays
    bounded; a truncated gzip ends the file with a Rejection after the lines read so far, and
    so do the budgets of the whole file (``max_records`` lines, ``max_container_bytes``).
    """
    path, sha256, limits = source.path, source.sha256, source.limits
    lines = open_decompressed(io.BytesIO(source.data))
    number = total = 0
    while True:
        number += 1
        over = _over_budget(number, total, limits)
        if over:
            yield over.at(f"{number}+")
            return
        try:
            line = lines.readline(limits.max_document_bytes + 1)
            total += len(line)
            too_long = len(line) > limits.max_document_bytes
            if too_long:
                total += _skip_rest_of_line(lines, limits.max_container_bytes - total)
        except DECOMPRESS_ERRORS as exc:
            yield Rejection(f"{number}+", "read", "corrupt_compression", str(exc))
            return
        if not line:
            return
        if too_long:
            yield RejectedInput(
                "read", "too_large", f"line longer than {limits.max_document_bytes} bytes"
            ).at(str(number))
            continue
        if not line.strip():
            continue
        try:
            yield _document(path, sha256, number, line, limits)
        except RejectedInput as problem:
            yield problem.at(str(number))


def _over_budget(number: int, total: int, limits: Limits) -> RejectedInput | None:
    """Why reading must stop before line ``number``, ``total`` bytes into the file."""
    if number > limits.max_records:
        return RejectedInput(
            "read", "too_many_records", f"more than max_records={limits.max_records} lines"
        )
    if total > limits.max_container_bytes:
        return RejectedInput(
            "read",
            "too_large",
            f"more than max_container_bytes={limits.max_container_bytes} decompressed",
        )
    return None


def _document(path: str, sha256: str, number: int, line: bytes, limits: Limits) -> Document:
    if not line.lstrip().startswith((b"{", b"[", b"\xef\xbb\xbf")):  # cheap: junk lines
        raise RejectedInput("read", "malformed_record", "not a JSON object")
    obj = load_json(line, limits.max_json_depth, "malformed_record")
    if not isinstance(obj, dict):
        raise RejectedInput("read", "malformed_record", "not a JSON object")
    for field, kind in _BODY_FIELDS:
        body = optional_str(obj, field, "malformed_record")
        if body and body.strip():
            if kind == "text":
                check_text_shape(body, limits)
            return Document(
                source_path=path,
                source_sha256=sha256,
                source_format="jsonl",
                record_locator=str(number),
                body=body,
                body_kind=kind,
                **provenance(obj, "malformed_record"),
            )
    raise RejectedInput("read", "empty", 'no non-empty "html" or "text" field')


def _skip_rest_of_line(lines: BinaryIO, budget: int) -> int:
    """Read past the end of an overlong line, at most ``budget + 1`` bytes; bytes read."""
    skipped = 0
    while skipped <= budget:
        chunk = lines.readline(_SKIP_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            break
    return skipped
