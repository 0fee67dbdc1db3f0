"""The fuzz corpus: hostile and broken source files of every format and wrapping.

Inputs come from two places: the files of ``raw/`` and ``tests/data`` (mutated), and
documents built from hypothesis-drawn text (plain text, HTML, JSONL, WARC). Either kind may
then be re-encoded (BOMs, legacy charsets), nested (JSON, HTML), given long header lines or
many records, damaged byte by byte, and wrapped (gzip, several gzip members, a gzip inside a
gzip, a truncated gzip). :func:`fuzz_input` turns one seeded ``random.Random`` into one
input, so a corpus is reproducible from its seeds; :data:`inputs` is the same as a
hypothesis strategy.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SEED_DIRS = (ROOT / "raw", ROOT / "tests" / "data")
EXTENSIONS = (".txt", ".html", ".jsonl", ".warc", ".htm", ".ndjson", "", ".bin")
CHARSETS = ("cp1252", "latin-1", "utf-16", "utf-16-be", "utf-32", "shift_jis", "koi8-r", "gb18030")
#: Largest input a mutation makes (compression makes larger ones: the gzip bombs).
MAX_INPUT_BYTES = 8 << 20
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")


@dataclass(frozen=True)
class FuzzInput:
    name: str
    data: bytes
    #: Bytes of the ``NAME.meta.json`` beside a text file, or None.
    sidecar: bytes | None = None


def _seed_files() -> list[tuple[str, bytes]]:
    found = []
    for top in SEED_DIRS:
        for path in sorted(top.rglob("*")):
            if path.is_file() and not path.name.startswith(".") and path.stat().st_size < 1 << 20:
                found.append((path.name, path.read_bytes()))
    return found


SEEDS = _seed_files()


# -- documents built from text --------------------------------------------------------------


def _paragraphs(rng: random.Random, text: str) -> list[str]:
    words = text.split() or ["word"]
    return [" ".join(rng.choices(words, k=rng.randint(1, 60))) for _ in range(rng.randint(1, 8))]


def _html(rng: random.Random, text: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in _paragraphs(rng, text))
    head = f"<head><title>{text[:40]}</title></head>"
    return f"<html>{head}<body><article>{body}</article></body></html>"


def _jsonl(rng: random.Random, text: str) -> bytes:
    lines = []
    for i in range(rng.randint(1, 6)):
        field = rng.choice(["html", "text", "body", None])
        record: dict[str, object] = {"url": f"https://n{i}.example/{text[:10]}"}
        if field:
            record[field] = (
                _html(rng, text) if field == "html" else "\n".join(_paragraphs(rng, text))
            )
        if rng.random() < 0.2:
            record["outlet"] = rng.choice([1, None, text, ["x"]])
        lines.append(json.dumps(record, ensure_ascii=rng.random() < 0.5))
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def warc_record(rng: random.Random, payload: bytes, uri: str = "https://news.example/a") -> bytes:
    status = rng.choice(["200 OK", "200 OK", "404 Not Found", "301 Moved"])
    content_type = rng.choice(["text/html; charset=utf-8", "text/html", "image/png", "text/plain"])
    http = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n\r\n".encode() + payload
    kind = rng.choice(["response", "response", "resource", "request", "metadata", "bogus"])
    uri = rng.choice([uri, uri.upper(), "/relative/path", "dns:example.com"])
    headers = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{rng.getrandbits(64):x}>\r\n"
        f"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: {uri}\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
    ).encode("utf-8", "surrogatepass")
    length = len(http) + rng.choice([0, 0, 0, -5, 7, 10_000])
    return headers + f"Content-Length: {length}\r\n\r\n".encode() + http + b"\r\n\r\n"


def _warc(rng: random.Random, text: str) -> bytes:
    records = [
        warc_record(rng, _html(rng, text).encode("utf-8", "surrogatepass"))
        for _ in range(rng.randint(1, 4))
    ]
    if rng.random() < 0.5:
        return b"".join(gzip.compress(r) for r in records)
    return b"".join(records)


def built(rng: random.Random, text: str) -> FuzzInput:
    kind = rng.choice(["txt", "html", "jsonl", "warc"])
    if kind == "txt":
        data = "\n".join(_paragraphs(rng, text)).encode("utf-8", "surrogatepass")
        sidecar = None
        if rng.random() < 0.4:
            sidecar = json.dumps({"url": text[:30], "outlet": rng.choice([text[:10], 3])}).encode()
        return FuzzInput("story.txt", data, sidecar)
    if kind == "html":
        return FuzzInput("page.html", _html(rng, text).encode("utf-8", "surrogatepass"))
    if kind == "jsonl":
        return FuzzInput("batch.jsonl", _jsonl(rng, text))
    return FuzzInput("crawl.warc", _warc(rng, text))


# -- mutations ------------------------------------------------------------------------------


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _cut(rng: random.Random, data: bytes) -> bytes:
    a = rng.randrange(len(data) + 1)
    return data[:a] + data[rng.randint(a, len(data)) :]


def _insert(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = rng.choice(
        [rng.randbytes(rng.randint(1, 64)), b"\x00", b"\x1b[2J", b"\r", b"WARC/1.0\r\n"]
    )
    return data[:at] + junk + data[at:]


def _repeat(rng: random.Random, data: bytes) -> bytes:
    """Many records: a line (or chunk) repeated up to thousands of times."""
    lines = data.splitlines(keepends=True) or [data]
    chosen = rng.choice(lines)
    times = min(rng.choice([10, 500, 5000]), MAX_INPUT_BYTES // max(1, len(chosen)))
    return data + chosen * times


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _bom(rng: random.Random, data: bytes) -> bytes:
    return rng.choice(BOMS) + data


def _recode(rng: random.Random, data: bytes) -> bytes:
    text = data.decode("utf-8", "replace")
    return text.encode(rng.choice(CHARSETS), "replace")


def _deep_json(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([50, 150, 5000, 100_000])
    deep = b"[" * depth + b"]" * depth * rng.randint(0, 1)
    wrapped = b'{"text": "x", "extra": ' + deep + b"}"
    return data + b"\n" + rng.choice([deep, wrapped]) + b"\n"


def _deep_html(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([300, 5000, 50_000])
    return data + b"<div>" * depth + b"<p>deep text</p>" + b"</div>" * rng.randint(0, depth)


def _long_header(rng: random.Random, data: bytes) -> bytes:
    line = b"X-Long: " + b"a" * rng.choice([1000, 70_000, 1_000_000]) + b"\r\n"
    at = data.find(b"\r\n")
    return data[: at + 2] + line + data[at + 2 :] if at >= 0 else line + data


def _long_line(rng: random.Random, data: bytes) -> bytes:
    return data + b"x" * rng.choice([10_000, 200_000, 2_000_000]) + b"\n"


MUTATIONS: tuple[Callable[[random.Random, bytes], bytes], ...] = (
    _flip, _cut, _insert, _repeat, _truncate, _bom, _recode,
    _deep_json, _deep_html, _long_header, _long_line,
)  # fmt: skip


# -- wrappings ------------------------------------------------------------------------------


def _members(rng: random.Random, data: bytes) -> bytes:
    cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randint(1, 3)))
    parts = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    return b"".join(gzip.compress(p) for p in parts)


def _bomb(rng: random.Random, data: bytes) -> bytes:
    """The data, then a gzip member that expands to megabytes of one filler."""
    filler = rng.choice([b"\n", b" ", b"a", b"x\n", b"{}\n"])
    return gzip.compress(data) + _bomb_member(filler, rng.choice([1, 20, 60]))


@cache
def _bomb_member(filler: bytes, mib: int) -> bytes:
    return gzip.compress(filler * ((mib << 20) // len(filler)), 1)


WRAPPINGS: tuple[Callable[[random.Random, bytes], bytes], ...] = (
    lambda rng, data: gzip.compress(data),
    _members,
    lambda rng, data: gzip.compress(gzip.compress(data)),
    lambda rng, data: _truncate(rng, gzip.compress(data)),
    _bomb,
)


def fuzz_input(rng: random.Random, text: str = "") -> FuzzInput:
    """One input: a seed file or a document built from ``text``, mutated and wrapped."""
    if text or rng.random() < 0.3:
        base = built(rng, text or "Council approves harbour budget after a long debate")
    else:
        name, data = rng.choice(SEEDS)
        base = FuzzInput(name, data)
    data = base.data
    for mutation in rng.sample(MUTATIONS, k=rng.choice([0, 1, 1, 2, 3])):
        data = mutation(rng, data)
    name = base.name
    if rng.random() < 0.15:
        name = "file" + rng.choice(EXTENSIONS)
    if rng.random() < 0.35:
        data = rng.choice(WRAPPINGS)(rng, data)
        name += ".gz" if rng.random() < 0.8 else ""
    sidecar = base.sidecar
    if name.endswith((".txt", ".txt.gz")) and rng.random() < 0.2:
        sidecar = rng.choice([b"[" * 100_000, b"not json", b'{"url": 5}', b'{"url": "u"}'])
    return FuzzInput(name, data, sidecar)


#: The corpus as a hypothesis strategy: hypothesis draws the text and the seed.
inputs = st.builds(
    fuzz_input,
    st.randoms(use_true_random=False),
    st.one_of(st.just(""), st.text(min_size=1, max_size=200)),
)
