"""WARC files (plain or per-record gzip): every HTML response record is an article.

A damaged record does not end the file: the reader reports it and resumes at the next record
boundary (the next ``WARC/1.x`` header line, or the next gzip member).
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Generator, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from pipeline.model import Document
from pipeline.readers.decode import charset_from_content_type, decode
from pipeline.readers.errors import RejectedInput, Rejection
from pipeline.readers.limits import Limits
from pipeline.readers.payload import GZIP_MAGIC

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PLAIN_START = re.compile(rb"WARC/1\.[01]\r?\n")
_GZIP_START = re.compile(re.escape(GZIP_MAGIC + b"\x08"))


def read_warc(
    path: str, sha256: str, data: bytes, limits: Limits
) -> Iterator[Document | Rejection]:
    """Yield a Document per HTML response record, a Rejection per damaged or failed one."""
    if data.startswith(GZIP_MAGIC) and not _gzip_member_per_record(data):
        yield from _read_whole_file_gzip(path, sha256, data, limits)
        return
    boundary = _GZIP_START if data.startswith(GZIP_MAGIC) else _PLAIN_START
    position: int | None = 0
    while position is not None and position < len(data):
        position = yield from _read_from(path, sha256, data, position, boundary, limits)


def _read_from(
    path: str,
    sha256: str,
    data: bytes,
    position: int,
    boundary: re.Pattern[bytes],
    limits: Limits,
) -> Generator[Document | Rejection, None, int | None]:
    """Read records from ``position`` until the end (return None) or until damage (return
    the next record boundary after it, where reading resumes)."""
    stream = io.BytesIO(data)
    stream.seek(position)
    records = ArchiveIterator(stream, check_digests=False)
    last_start: int | None = None
    try:
        for record in records:
            item = _record_item(path, sha256, record, limits)
            # Known once the record is read to its end; an offset into data (warcio uses tell).
            last_start = records.get_record_offset()
            if not (record.rec_type and record.rec_headers.get_header("WARC-Record-ID")):
                yield Rejection(
                    f"byte {last_start}",
                    "read",
                    "corrupt_record",
                    "record header has no WARC-Type or WARC-Record-ID",
                )
                # warcio's idea of where this record ends cannot be trusted either.
                return _next_start(boundary, data, last_start)
            if item is not None:
                yield item
    # warcio raises many unrelated types (ArchiveLoadFailed, zlib.error, EOFError,
    # ValueError, ...) on damaged input; any of them means "this record is unreadable".
    except Exception as exc:
        if last_start is None:
            # Failed on the first record read from here: that record is the damaged one.
            yield Rejection(f"byte {position}", "read", "corrupt_record", _short(exc))
            return _next_start(boundary, data, position)
        # Resume right after the last good record; a damaged one fails the next pass.
        return _next_start(boundary, data, last_start)
    return None


def _read_whole_file_gzip(
    path: str, sha256: str, data: bytes, limits: Limits
) -> Iterator[Document | Rejection]:
    """A WARC gzip-compressed as one stream: read it streaming; damage ends the file, as
    there is no record boundary to resume at without decompressing everything first."""
    records = ArchiveIterator(gzip.GzipFile(fileobj=io.BytesIO(data)), check_digests=False)
    count = 0
    try:
        for record in records:
            count += 1
            item = _record_item(path, sha256, record, limits)
            if item is not None:
                yield item
    except Exception as exc:  # as in read_warc: damaged input raises any type
        yield Rejection(f"record {count + 1}+", "read", "corrupt_record", _short(exc))


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


def _next_start(boundary: re.Pattern[bytes], data: bytes, after: int) -> int | None:
    match = boundary.search(data, after + 1)
    return match.start() if match else None


def _record_item(
    path: str, sha256: str, record: ArcWarcRecord, limits: Limits
) -> Document | Rejection | None:
    """The record as a Document, a Rejection, or None for records that are not pages."""
    headers = record.rec_headers
    record_id = headers.get_header("WARC-Record-ID")
    content_type = _page_content_type(record)
    if content_type is None:
        return None
    status = (record.http_headers.get_statuscode() if record.http_headers else "200") or "none"
    if not status.startswith("2"):
        return Rejection(record_id, "read", "http_error_status", f"HTTP status {status}")
    try:
        payload = record.content_stream().read(limits.max_document_bytes + 1)
    except Exception as exc:  # as in read_warc: damaged content raises any type
        return Rejection(record_id, "read", "corrupt_record", _short(exc))
    if len(payload) > limits.max_document_bytes:
        return Rejection(
            record_id, "read", "too_large", f"payload over {limits.max_document_bytes} bytes"
        )
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
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
        url=headers.get_header("WARC-Target-URI"),
        fetched_at=headers.get_header("WARC-Date"),
    )


def _page_content_type(record: ArcWarcRecord) -> str | None:
    """The HTML content type of a response/resource record, else None."""
    if record.rec_type == "response" and record.http_headers is not None:
        content_type = record.http_headers.get_header("Content-Type") or ""
    elif record.rec_type == "resource":
        content_type = record.rec_headers.get_header("Content-Type") or ""
    else:
        return None
    return content_type if content_type.lower().lstrip().startswith(_HTML_TYPES) else None


def _short(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 200 else text[:200] + "..."
