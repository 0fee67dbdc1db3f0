"""Progress inside a big file: records read so far are reported while the file is read, in
the reading process and across the reader's child process, throttled, without changing what
is read."""

from __future__ import annotations

import hashlib
import io
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.discover import SourceFile
from pipeline.file_progress import (
    ENV_DIR,
    ENV_INTERVAL,
    RecordCounter,
    RecordsRead,
    poll,
    sink_from_env,
)
from pipeline.readers import Limits
from pipeline.reading import ReadGuard, read_file

PAGE = "<html><head><title>Story {0}</title></head><body><p>Story number {0}.</p></body></html>"
#: Of every ``PAGE_EVERY`` records one is a page; the others are cheap rejects (HTTP 404).
RECORDS, PAGE_EVERY = 3000, 30


def big_warc(directory: Path) -> SourceFile:
    """A WARC of ``RECORDS`` HTML responses, written into ``directory`` as ``big.warc``."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    for i in range(RECORDS):
        status = "200 OK" if i % PAGE_EVERY == 0 else "404 Not Found"
        payload = PAGE.format(i).encode()
        headers = StatusAndHeaders(
            status, [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        record = writer.create_warc_record(
            f"https://news.example/{i}",
            "response",
            payload=io.BytesIO(payload),
            http_headers=headers,
        )
        writer.write_record(record)
    data = out.getvalue()
    (directory / "big.warc").write_bytes(data)
    return SourceFile("big.warc", "big.warc", len(data), hashlib.sha256(data).hexdigest())


@dataclass
class Collected:
    """A sink that keeps every report."""

    interval: float = 0.0
    updates: list[RecordsRead] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)

    def update(self, progress: RecordsRead) -> None:
        self.updates.append(progress)

    def finished(self, source: str) -> None:
        self.ended.append(source)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_counter_reports_at_most_once_per_interval_and_first_after_one() -> None:
    sink, clock = Collected(interval=1.0), FakeClock()
    counter = RecordCounter("a.warc", sink, clock)
    for _ in range(10):  # 2.5 seconds, a record every 0.25 s
        clock.now += 0.25
        counter.count()
    assert [(u.records, u.seconds) for u in sink.updates] == [(4, 1.0), (8, 2.0)]
    counter.close()
    assert sink.ended == ["a.warc"]


def test_a_file_read_within_the_interval_reports_nothing() -> None:
    sink = Collected(interval=60.0)
    counter = RecordCounter("small.txt", sink)
    counter.count()
    counter.close()
    assert sink.updates == [] and sink.ended == []


def test_records_are_reported_while_a_big_warc_is_read(tmp_path: Path) -> None:
    source = big_warc(tmp_path)
    limits = Limits(max_file_seconds=0)
    sink = Collected()
    outcome = read_file(str(tmp_path), source, limits, sink)
    counts = [u.records for u in sink.updates]
    assert counts == sorted(set(counts)) and counts[0] == 1
    assert counts[-1] == RECORDS  # every record, before the file ended
    assert sink.ended == ["big.warc"]
    assert all(u.source == "big.warc" for u in sink.updates)
    assert outcome == read_file(str(tmp_path), source, limits)  # no change to what is read
    assert len(outcome.rows) == RECORDS // PAGE_EVERY


def test_a_reader_process_reports_through_the_progress_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, progress = tmp_path / "raw", tmp_path / "progress"
    raw.mkdir()
    progress.mkdir()
    source = big_warc(raw)
    monkeypatch.setenv(ENV_DIR, str(progress))
    monkeypatch.setenv(ENV_INTERVAL, "0.01")
    guard = ReadGuard(Limits(max_file_seconds=120))
    assert guard.isolated and guard.progress == sink_from_env()
    guard.read(str(raw), source)  # the child process starts and imports the readers
    reading = threading.Thread(target=guard.read, args=(str(raw), source))
    reading.start()
    counts = []
    while reading.is_alive():
        counts += [r.records for r in poll(str(progress))]
        time.sleep(0.002)
    reading.join()
    guard.close()
    assert counts, "no report was seen while the file was read"
    assert 0 < min(counts) < RECORDS
    assert list(progress.iterdir()) == []  # removed when the file ended
