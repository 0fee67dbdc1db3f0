"""WARC files (plain or per-record gzip): every HTML response record is an article.

Parsed with FastWARC (the resiliparse project's WARC reader), which bounds the length of a
header block (``max_header_bytes``) and reads an HTTP response by its ``application/http``
content type, whatever the case or form of its target URI. A damaged record does not end the
file: the reader reports it and resumes at the next record boundary (the next ``WARC/1.x``
header line, or the next gzip member). The whole file's records and decompressed bytes are
budgeted too (``max_records``, ``max_container_bytes``).
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from pipeline.readers.decode import charset_from_content_type, decode
from pipeline.readers.errors import RejectedInput, Rejection
from pipeline.readers.limits import Limits
from pipeline.readers.payload import GZIP_MAGIC
from pipeline.readers.source_input import SourceInput
from pipeline.record_types import Document

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PLAIN_START = re.compile(rb"WARC/1\.[01]\r?\n")
_GZIP_START = re.compile(re.escape(GZIP_MAGIC + b"\x08"))
_HEADER_TOO_LONG = "header length"


@dataclass
class _Budget:
    """What the file has spent so far of its record and decompressed-byte budgets."""

    limits: Limits
    records: int = 0
    declared_bytes: int = 0

    def spend(self, record: WarcRecord) -> RejectedInput | None:
        self.records += 1
        self.declared_bytes += record.content_length
        if self.records > self.limits.max_records:
            return RejectedInput(
                "read", "too_many_records", f"more than max_records={self.limits.max_records}"
            )
        if self.declared_bytes > self.limits.max_container_bytes:
            return RejectedInput(
                "read",
                "too_large",
                f"records over max_container_bytes={self.limits.max_container_bytes} in all",
            )
        return None


def is_warc(head: bytes) -> bool:
    """Whether a file's first bytes (decompressed) start a WARC record."""
    return head.startswith(b"WARC/")


def read_warc(source: SourceInput) -> Iterator[Document | Rejection]:
    """Yield a Document per HTML response record, a Rejection per damaged or failed one."""
    if not is_warc(source.head):
        raise RejectedInput("read", "wrong_format", "a WARC file must start with 'WARC/1.x'")
    path, sha256, data = source.path, source.sha256, source.data
    budget = _Budget(source.limits)
    if data.startswith(GZIP_MAGIC) and not _gzip_member_per_record(data):
        # One gzip stream: there is no boundary to resume at, so damage ends the file.
        yield from _read_from(path, sha256, data, 0, None, budget)
        return
    boundary = _GZIP_START if data.startswith(GZIP_MAGIC) else _PLAIN_START
    position: int | None = 0
    while position is not None and position < len(data):
        position = yield from _read_from(path, sha256, data, position, boundary, budget)


def _read_from(
    path: str,
    sha256: str,
    data: bytes,
    position: int,
    boundary: re.Pattern[bytes] | None,
    budget: _Budget,
) -> Generator[Document | Rejection, None, int | None]:
    """Read records from ``position`` until the end or a budget runs out (return None) or
    until damage (return the next record boundary after it, where reading resumes)."""
    stream = io.BytesIO(data)
    stream.seek(position)
    records = ArchiveIterator(
        stream, parse_http=False, max_header_len=budget.limits.max_header_bytes
    )
    last_start: int | None = None
    try:
        for record in records:
            last_start = record.stream_pos
            over = budget.spend(record)
            if over:
                yield over.at(f"byte {last_start}+")
                return None
            if not (record.record_id and record.record_type != WarcRecordType.unknown):
                yield Rejection(
                    f"byte {last_start}",
                    "read",
                    "corrupt_record",
                    "record header has no known WARC-Type or no WARC-Record-ID",
                )
                return _next_start(boundary, data, last_start)
            item = _record_item(path, sha256, record, budget.limits)
            if item is not None:
                yield item
    # FastWARC raises OSError on damaged input; a Python-level error in its bindings means
    # the same ("this record is unreadable").
    except Exception as exc:
        if last_start is None or boundary is None:
            where = f"byte {position}" if boundary else f"record {budget.records + 1}+"
            yield Rejection(where, "read", _damage_kind(exc), _short(exc))
            return _next_start(boundary, data, position)
        # Resume at the next record after the last good one; a damaged one fails that pass.
        return _next_start(boundary, data, last_start)
    return None


def _damage_kind(exc: Exception) -> str:
    return "header_too_long" if _HEADER_TOO_LONG in str(exc) else "corrupt_record"


def _gzip_member_per_record(data: bytes) -> bool:
    """Whether the first gzip member ends before the file does (one member per record, as
    crawlers write WARCs) rather than spanning the whole file. Memory stays bounded: the
    first member is decompressed in chunks and the output dropped."""
    member = zlib.decompressobj(wbits=31)
    pending = data
    try:
        while not member.eof and pending:
            member.decompress(pending, 1 << 16)
            pending = member.unconsumed_tail
    except zlib.error:
        return True  # damaged: let the record-by-record reader report and resync
    return bool(member.unused_data)


def _next_start(boundary: re.Pattern[bytes] | None, data: bytes, after: int) -> int | None:
    match = boundary.search(data, after + 1) if boundary else None
    return match.start() if match else None


def _record_item(
    path: str, sha256: str, record: WarcRecord, limits: Limits
) -> Document | Rejection | None:
    """The record as a Document, a Rejection, or None for records that are not pages."""
    record_id = record.record_id
    try:
        content_type = _page_content_type(record)
    except Exception as exc:  # a damaged HTTP header block
        return Rejection(record_id, "read", _damage_kind(exc), _short(exc))
    if content_type is None:
        return None
    status = str(record.http_headers.status_code) if record.http_headers else "200"
    if not status.startswith("2"):
        return Rejection(record_id, "read", "http_error_status", f"HTTP status {status}")
    if record.content_length > limits.max_document_bytes:
        return Rejection(
            record_id, "read", "too_large", f"payload over {limits.max_document_bytes} bytes"
        )
    try:
        payload = record.reader.read(limits.max_document_bytes + 1)
    except Exception as exc:  # damaged content (a gzip member cut short)
        return Rejection(record_id, "read", "corrupt_record", _short(exc))
    missing = record.content_length - len(payload)
    if missing > 0:
        return Rejection(record_id, "read", "corrupt_record", f"truncated: {missing} bytes missing")
    if not payload.strip():
        return Rejection(record_id, "read", "empty", "empty HTML payload")
    try:
        body = decode(payload, declared=charset_from_content_type(content_type), html=True)
    except RejectedInput as problem:
        return problem.at(record_id)
    return Document(
        source_path=path,
        source_sha256=sha256,
        source_format="warc",
        record_locator=record_id,
        body=body.text,
        body_kind="html",
        url=record.headers.get("WARC-Target-URI"),
        fetched_at=record.headers.get("WARC-Date"),
    )


def _page_content_type(record: WarcRecord) -> str | None:
    """The HTML content type of a response/resource record, else None. Parses the HTTP
    headers of a response (``application/http``); a response that is not HTTP (``dns:``)
    is no page."""
    if record.record_type == WarcRecordType.response and record.is_http:
        record.parse_http()
        content_type = record.http_headers.get("Content-Type") or ""
    elif record.record_type == WarcRecordType.resource:
        content_type = record.headers.get("Content-Type") or ""
    else:
        return None
    return content_type if content_type.lower().lstrip().startswith(_HTML_TYPES) else None


def _short(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 200 else text[:200] + "..."
