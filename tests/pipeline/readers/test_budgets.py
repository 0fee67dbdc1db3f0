"""Per-file budgets: poison files become reject rows with a named reason, never a crash."""

from __future__ import annotations

import gzip
import io
import json

import pytest

from pipeline.cli import main
from pipeline.explain import explain_file
from pipeline.readers import Limits, RejectedInput, Rejection, read_source
from pipeline.readers.decode import decode
from pipeline.record_types import Document
from pipeline.terminal import printable

DEEP = 100_000
PAGE = b"<html><body><article><p>" + b"The council met on Tuesday to debate the plan. " * 8
PAGE += b"</p></article></body></html>"


def items(name: str, data: bytes, **kwargs: object) -> list[Document | Rejection]:
    return list(read_source(name, "sha", data, **kwargs))


def kinds(found: list) -> list[str]:
    return [i.error_kind for i in found if isinstance(i, Rejection)]


def warc_record(uri: bytes = b"https://news.example/a", http_header: bytes = b"") -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + http_header + b"\r\n" + PAGE
    return (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:" + uri[-1:] + b">\r\n"
        b"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: " + uri + b"\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: " + str(len(http)).encode() + b"\r\n\r\n" + http + b"\r\n\r\n"
    )


# -- JSON nesting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"[" * DEEP,
        b'{"url": "u", "text": "A line.", "extra": ' + b"[" * DEEP + b"]" * DEEP + b"}",
        b'{"text": "A line.", "x": ' + b'{"a":' * 200 + b"1" + b"}" * 200 + b"}",
    ],
    ids=["line", "extra-field", "over-budget"],
)
def test_deeply_nested_jsonl_line_is_too_deep(line: bytes) -> None:
    good = json.dumps({"url": "https://a.example/1", "text": "A fine line."}).encode()
    found = items("a.jsonl", good + b"\n" + line + b"\n")
    assert isinstance(found[0], Document)
    assert kinds(found) == ["too_deep"]


def test_deeply_nested_sidecar_is_too_deep() -> None:
    with pytest.raises(RejectedInput) as caught:
        items("a.txt", b"A line of text.\n", sidecar=b'{"url": ' + b"[" * DEEP)
    assert caught.value.error_kind == "too_deep"


def test_explain_reports_a_deeply_nested_line(tmp_path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b"[" * DEEP + b"\n")
    assert "rejected (too_deep)" in explain_file(str(path))


# -- JSONL budgets ---------------------------------------------------------------------------


def test_jsonl_stops_at_max_records() -> None:
    line = json.dumps({"text": "A fine line."}).encode() + b"\n"
    found = items("a.jsonl", line * 10, limits=Limits(max_records=4))
    assert sum(isinstance(i, Document) for i in found) == 4
    assert found[-1].error_kind == "too_many_records" and found[-1].record_locator == "5+"


def test_blank_lines_count_against_the_budgets() -> None:
    data = gzip.compress(b"\n" * 5_000_000)
    assert kinds(items("a.jsonl.gz", data)) == ["too_many_records"]
    data = gzip.compress((b" " * 99 + b"\n") * 50_000)
    found = items("a.jsonl.gz", data, limits=Limits(max_container_bytes=1_000_000))
    assert kinds(found) == ["too_large"]


def test_an_overlong_line_without_newline_stops_at_the_container_budget() -> None:
    data = gzip.compress(b'{"text": "' + b"a" * 20_000_000)
    limits = Limits(max_document_bytes=1000, max_container_bytes=2_000_000)
    assert kinds(items("a.jsonl.gz", data, limits=limits)) == ["too_large", "too_large"]


# -- WARC ------------------------------------------------------------------------------------


@pytest.mark.parametrize("wrap", [bytes, gzip.compress], ids=["plain", "gzip"])
def test_a_long_warc_header_line_is_rejected_quickly(wrap) -> None:
    record = warc_record(http_header=b"X-Long: " + b"a" * 2_000_000 + b"\r\n")
    found = items("a.warc.gz", wrap(record + warc_record(b"https://news.example/b")))
    assert kinds(found) == ["header_too_long"]
    assert [d.url for d in found if isinstance(d, Document)] == ["https://news.example/b"]


@pytest.mark.parametrize("uri", [b"HTTP://EXAMPLE.COM/a", b"/relative/b"])
def test_warc_responses_with_unusual_target_uris_are_read(uri: bytes) -> None:
    (doc,) = items("a.warc", warc_record(uri))
    assert isinstance(doc, Document) and doc.url == uri.decode()


def test_warc_stops_at_max_records() -> None:
    data = b"".join(warc_record(b"https://n.example/%d" % i) for i in range(5))
    found = items("a.warc", data, limits=Limits(max_records=2))
    assert kinds(found) == ["too_many_records"]
    assert sum(isinstance(i, Document) for i in found) == 2


# -- settings --------------------------------------------------------------------------------


def test_a_bad_budget_in_the_environment_names_the_variable() -> None:
    with pytest.raises(ValueError, match="PIPELINE_MAX_RECORDS"):
        Limits.from_env({"PIPELINE_MAX_RECORDS": "lots"})
    assert Limits.from_env({"PIPELINE_MAX_FILE_SECONDS": "2.5"}).max_file_seconds == 2.5


def test_a_bad_budget_flag_is_a_usage_error(tmp_path, capsys) -> None:
    (tmp_path / "raw").mkdir()
    assert main(["ingest", str(tmp_path / "raw"), str(tmp_path / "c"), "--max-records", "-1"]) == 2
    assert "--max-records" in capsys.readouterr().err


# -- decoding and terminal safety ------------------------------------------------------------


def test_short_cp1252_text_is_decoded_as_cp1252() -> None:
    text = decode(b"Caf\xe9 owners said the council\x92s plan would cost \x80200").text
    assert text == "Café owners said the council’s plan would cost €200"


def test_control_characters_from_input_are_escaped() -> None:
    hostile = "a\x1b[2Jb\x1b]0;title\x07c\x1b]8;;http://x\x1b\\d\u202ee\x9bf\tg"
    assert printable(hostile) == (
        "a\\x1b[2Jb\\x1b]0;title\\x07c\\x1b]8;;http://x\\x1b\\d\\u202ee\\x9bf\tg"
    )


def test_explain_escapes_terminal_sequences(tmp_path) -> None:
    path = tmp_path / "evil.jsonl"
    record = {
        "url": "https://a.example/\x1b]8;;http://evil\x1b\\",
        "text": "Clear \x1b[2J the screen.\nSet \x1b]0;owned\x07 the title.",
    }
    path.write_text(json.dumps(record) + "\n")
    shown = explain_file(str(path), color=True)
    assert "\x1b[2J" not in shown and "\x1b]" not in shown and "\x07" not in shown
    assert "\\x1b[2J" in shown


def test_explain_escapes_a_hostile_warc_record_id(tmp_path) -> None:
    record = warc_record().replace(b"<urn:uuid:a>", b"<urn:\x1b]0;owned\x07>")
    path = tmp_path / "evil.warc"
    path.write_bytes(record)
    shown = explain_file(str(path))
    assert "\x1b" not in shown and "\\x1b]0;owned\\x07" in shown


def test_reader_output_is_unchanged_by_escaping() -> None:
    """Escaping is for display only: the stored text keeps what the input said."""
    data = json.dumps({"text": "tab\there \x1b[1m bold"}).encode()
    (doc,) = items("a.jsonl", data)
    assert doc.body == "tab\there \x1b[1m bold"


def _gzip_members(*parts: bytes) -> bytes:
    out = io.BytesIO()
    for part in parts:
        out.write(gzip.compress(part))
    return out.getvalue()


def test_a_jsonl_of_several_gzip_members_is_read_whole() -> None:
    line = json.dumps({"text": "A fine line."}).encode() + b"\n"
    assert len(items("a.jsonl.gz", _gzip_members(line, line, line))) == 3


# -- the real flow: every poison file is one reject row, the rest is ingested ----------------


def _poison_raw(raw) -> dict[str, str]:
    """Write poison files and one good file into ``raw``; the reject kind each must get."""
    raw.mkdir()
    (raw / "good.txt").write_text("The harbour reopened on Monday after repairs.\n")
    (raw / "deep.jsonl").write_bytes(b"[" * DEEP + b"\n")
    (raw / "noted.txt").write_text("A text whose sidecar is poison.\n")
    (raw / "noted.meta.json").write_bytes(b"[" * DEEP)
    (raw / "bad-lines.jsonl.gz").write_bytes(gzip.compress(b"x\n" * 100_000))
    (raw / "blank.jsonl.gz").write_bytes(gzip.compress(b"\n" * 1000))
    info = b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:i>\r\n"
    (raw / "no-pages.warc").write_bytes(info + b"Content-Length: 2\r\n\r\nhi\r\n\r\n")
    (raw / "long-header.warc").write_bytes(
        warc_record(http_header=b"X: " + b"a" * 200_000 + b"\r\n")
    )
    slow = json.dumps({"url": "https://a.example/", "html": PAGE.decode()}) + "\n"
    (raw / "slow.jsonl").write_text(slow * 5000)
    return {
        "deep.jsonl": "too_deep",
        "noted.txt": "too_deep",
        "bad-lines.jsonl.gz": "malformed_record",
        "blank.jsonl.gz": "no_articles",
        "no-pages.warc": "no_articles",
        "long-header.warc": "header_too_long",
        "slow.jsonl": "timeout",
    }


def test_poison_files_do_not_stop_the_run(tmp_path) -> None:
    import duckdb

    from pipeline.verify import verify

    raw, clean = tmp_path / "raw", tmp_path / "clean"
    expected = _poison_raw(raw)
    assert main(["ingest", str(raw), str(clean), "--max-file-seconds", "8"]) == 0
    con = duckdb.connect()
    rejected = con.execute(
        f"SELECT source_path, error_kind, message FROM '{clean}/rejected/*/*.parquet'"
    ).fetchall()
    assert sorted((p, k) for p, k, _ in rejected) == sorted(expected.items())
    (message,) = [m for p, _, m in rejected if p == "bad-lines.jsonl.gz"]
    assert message.startswith("100000 records rejected (100000 malformed_record)")
    ledger = dict(
        con.execute(f"SELECT source_path, outcome FROM '{clean}/sources/*/*.parquet'").fetchall()
    )
    assert ledger == {"good.txt": "ingested", **dict.fromkeys(expected, "rejected")}
    assert verify(str(clean), raw_dir=str(raw)) == []


def test_megabytes_of_short_lines_are_too_many_lines() -> None:
    with pytest.raises(RejectedInput) as caught:
        items("a.txt", b"x\n" * 5_000_000)
    assert caught.value.error_kind == "too_many_lines"
    assert items("a.txt", b"A line.\n\n" * 2000)  # blank lines do not count


def test_a_reader_process_reports_its_own_peak_memory_not_its_parents(tmp_path) -> None:
    """A spawned reader starts from a fork of its parent, and Linux carries ``ru_maxrss``
    across ``exec``: a parent of 1.5 GB made every file of its readers look 1.5 GB big (the
    fuzz test's memory budget then failed on a file that read in a few MB)."""
    import hashlib

    from pipeline.discover import SourceFile
    from pipeline.reading import read_guard

    ballast = bytearray(1536 << 20)  # this process's resident memory, touched below
    ballast[::4096] = b"x" * len(ballast[::4096])
    (tmp_path / "a.txt").write_text("The harbour reopened on Monday after repairs.\n")
    data = (tmp_path / "a.txt").read_bytes()
    source = SourceFile("a.txt", "a.txt", len(data), hashlib.sha256(data).hexdigest())
    with read_guard(Limits(max_file_seconds=60)) as guard:
        assert guard.isolated
        outcome = guard.read(str(tmp_path), source)
    del ballast
    assert outcome.rows
    assert 0 < outcome.peak_rss < 1 << 30
