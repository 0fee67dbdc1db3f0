"""Bytes to text, choosing the encoding in a documented order (see docs/inputs.md):

1. a byte-order mark (UTF-8, UTF-16, UTF-32);
2. strict UTF-8, when the bytes are valid UTF-8 (pure ASCII included);
3. the declared charset: the HTTP ``Content-Type`` header (WARC), then for HTML a
   ``<meta charset>``/``http-equiv`` or XML declaration in the first 4 KiB, when the bytes
   decode under it without error;
4. "mostly UTF-8": valid UTF-8 with a few stray bytes (at most 1 in 10 non-ASCII bytes),
   the stray bytes read as cp1252 (the usual result of concatenating legacy text);
5. charset-normalizer's best guess, cp1252 winning over another Latin-script guess when
   charset-normalizer finds it plausible as well;
6. cp1252, with undefined bytes read as latin-1 (never fails).

Labels follow the WHATWG Encoding Standard, as browsers do: latin-1/ascii mean cp1252,
Shift_JIS means cp932, GB2312/GBK mean GB18030, EUC-KR means cp949.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import charset_normalizer

from pipeline.readers.errors import RejectedInput

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WHATWG_ALIASES = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "shift_jis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
}
_CHARSET_IN_HEAD = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_STRAY_BYTE_RATIO = 0.1
#: Share of control characters (other than whitespace) above which decoded text is binary.
_MAX_CONTROL_RATIO = 0.01
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_STRAY = re.compile("[\udc80-\udcff]")
_ASCII_BYTES = bytes(range(0x80))


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    #: Which step of the order above chose the encoding ("bom", "utf-8", "declared", ...).
    method: str


def decode(data: bytes, *, declared: str | None = None, html: bool = False) -> Decoded:
    """Decode ``data``; raise RejectedInput("read", "binary_content") if it is not text."""
    decoded = _decode(data, declared, html)
    if _looks_binary(decoded.text):
        raise RejectedInput(
            "read", "binary_content", f"control characters in text decoded as {decoded.encoding}"
        )
    return decoded


def charset_from_content_type(value: str | None) -> str | None:
    """The ``charset`` parameter of an HTTP ``Content-Type`` value."""
    match = _CHARSET_PARAM.search(value or "")
    return match.group(1) if match else None


def _decode(data: bytes, declared: str | None, html: bool) -> Decoded:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(encoding, errors="replace"), encoding, "bom")
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    for label in (declared, _charset_in_head(data) if html else None):
        encoding = _codec_name(label)
        if encoding:
            try:
                return Decoded(data.decode(encoding), encoding, "declared")
            except UnicodeDecodeError:
                continue
    if _mostly_utf8(data):
        return Decoded(data.decode("utf-8", errors=_CP1252_FALLBACK), "utf-8", "mostly-utf-8")
    guess = _guess(data)
    if guess:
        return Decoded(data.decode(guess, errors="replace"), guess, "guessed")
    return Decoded(data.decode("cp1252", errors=_CP1252_FALLBACK), "cp1252", "fallback")


def _guess(data: bytes) -> str | None:
    """charset-normalizer's best guess, except that cp1252 wins over another Latin-script
    code page whenever charset-normalizer finds cp1252 plausible too. Short text gives the
    detector little to go on (two lines of English with an é, a ’ and a € come out as Mac
    Central European); cp1252 is the commonest legacy encoding of news and the WHATWG
    default for Western locales, so it is the better bet between Latin readings."""
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return None
    guess = _codec_name(best.encoding) or best.encoding
    if guess != "cp1252" and _latin_script(str(best)) and _cp1252_plausible(data):
        return "cp1252"
    return guess


def _latin_script(text: str) -> bool:
    """Whether every non-ASCII letter of ``text`` is a Latin one."""
    letters = {c for c in text if c.isalpha() and not c.isascii()}
    return all(unicodedata.name(c, "").startswith("LATIN") for c in letters)


def _cp1252_plausible(data: bytes) -> bool:
    return charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best() is not None


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name.replace("-", "_")
    except LookupError:
        return None
    return _WHATWG_ALIASES.get(name, name)


def _charset_in_head(data: bytes) -> str | None:
    match = _CHARSET_IN_HEAD.search(data[:4096])
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def _mostly_utf8(data: bytes) -> bool:
    stray = len(_STRAY.findall(data.decode("utf-8", errors="surrogateescape")))
    non_ascii = len(data.translate(None, _ASCII_BYTES))
    return stray <= _STRAY_BYTE_RATIO * non_ascii


def _cp1252_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors=_LATIN1_FALLBACK), error.end


def _latin1_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    return error.object[error.start : error.end].decode("latin-1"), error.end


def _register(name: str, handler: Callable[[UnicodeDecodeError], tuple[str, int]]) -> str:
    codecs.register_error(name, handler)
    return name


_LATIN1_FALLBACK = _register("pipeline-latin1", _latin1_byte)
_CP1252_FALLBACK = _register("pipeline-cp1252", _cp1252_byte)


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    return len(_CONTROL.findall(sample)) > _MAX_CONTROL_RATIO * len(sample)
