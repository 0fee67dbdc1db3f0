"""FastWARC against warcio: the time to read every response payload of one WARC file.

    python -m benchmarks.bench_warc [--pages DIR] [--reps 7]

The WARC is written (by warcio's writer) from the ``*.html``/``*.html.gz`` pages of
``--pages`` (default: 400 generated pages), plain and gzipped per record. Both readers run in
this process, interleaved, and the medians are compared side by side (a ratio < 1 means
FastWARC is faster). Results are kept in docs/performance.md.
"""

from __future__ import annotations

import argparse
import gzip
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator as WarcioIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PARAGRAPH = "<p>The council met on Tuesday to debate the harbour plan, item {0}.</p>"


def pages(directory: Path | None, count: int = 400) -> list[bytes]:
    if directory is None:
        body = "".join(PARAGRAPH.format(i) for i in range(200))
        return [
            f"<html><body><article>{n}{body}</article></body></html>".encode() for n in range(count)
        ]
    found = sorted(directory.glob("*.html*"))
    return [gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes() for p in found]


def warc(payloads: list[bytes], compress: bool) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=compress)
    for i, payload in enumerate(payloads):
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        record = writer.create_warc_record(
            f"https://news.example/{i}",
            "response",
            payload=io.BytesIO(payload),
            http_headers=headers,
        )
        writer.write_record(record)
    return out.getvalue()


def read_with_warcio(data: bytes) -> int:
    total = 0
    for record in WarcioIterator(io.BytesIO(data), check_digests=False):
        if record.rec_type == "response":
            total += len(record.content_stream().read())
    return total


def read_with_fastwarc(data: bytes) -> int:
    total = 0
    for record in FastIterator(io.BytesIO(data), record_types=WarcRecordType.response):
        total += len(record.reader.read())
    return total


def time_once(read: Callable[[bytes], int], data: bytes, times: list[float]) -> None:
    started = time.perf_counter()
    read(data)
    times.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    payloads = pages(args.pages)
    for compress in (False, True):
        data = warc(payloads, compress)
        assert read_with_warcio(data) == read_with_fastwarc(data)
        slow: list[float] = []
        fast: list[float] = []
        for _ in range(args.reps):
            time_once(read_with_warcio, data, slow)
            time_once(read_with_fastwarc, data, fast)
        a, b = statistics.median(slow), statistics.median(fast)
        kind = "gzip per record" if compress else "plain"
        print(
            f"{kind:16} {len(payloads)} records, {len(data) / 1e6:.1f} MB: "
            f"warcio {a:.3f} s, FastWARC {b:.3f} s, ratio {b / a:.2f}"
        )


if __name__ == "__main__":
    main()
