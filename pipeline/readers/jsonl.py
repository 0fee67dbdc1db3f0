"""JSON Lines: one article object per line, ``{"url", "html"}`` or ``{"url", "text"}`` with
optional ``outlet``, ``published`` and ``fetched_at``. A bad line is rejected on its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from pipeline.model import Document
from pipeline.readers.errors import RejectedInput, Rejection
from pipeline.readers.limits import Limits
from pipeline.readers.payload import DECOMPRESS_ERRORS, open_decompressed
from pipeline.readers.text import check_line_length, optional_str, provenance

_BODY_FIELDS = (("html", "html"), ("text", "text"))


def read_jsonl(
    path: str, sha256: str, stream: BinaryIO, limits: Limits
) -> Iterator[Document | Rejection]:
    """Yield a Document per good line and a Rejection (locator: 1-based line number) per bad one.

    Lines are read one at a time and each is capped at ``max_document_bytes``, so memory stays
    bounded; a truncated gzip ends the file with a Rejection after the lines read so far.
    """
    lines = open_decompressed(stream)
    number = 0
    while True:
        number += 1
        try:
            line = lines.readline(limits.max_document_bytes + 1)
            too_long = len(line) > limits.max_document_bytes
            if too_long:
                _skip_rest_of_line(lines)
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


def _document(path: str, sha256: str, number: int, line: bytes, limits: Limits) -> Document:
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RejectedInput("read", "malformed_record", f"not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise RejectedInput("read", "malformed_record", "not a JSON object")
    for field, kind in _BODY_FIELDS:
        body = optional_str(obj, field, "malformed_record")
        if body and body.strip():
            if kind == "text":
                check_line_length(body, limits)
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


def _skip_rest_of_line(lines: BinaryIO) -> None:
    while True:
        chunk = lines.readline(1 << 20)
        if not chunk or chunk.endswith(b"\n"):
            return
