"""Sniffing a file: its first bytes decompressed, whether they start an HTML page or a JSON
object, and its name without a compression suffix (:mod:`pipeline.readers.formats` decides
with them which reader a file needs)."""

from __future__ import annotations

import re
import zlib

from pipeline.readers.payload import GZIP_MAGIC

_COMPRESSED = (".gz", ".gzip")
#: How a page a browser renders as HTML starts, after whitespace and comments: a doctype (cut
#: short too: ``<!DOCTYPE htm``), the document's own elements, or one of the tags the WHATWG
#: MIME-sniffing algorithm takes for HTML (https://mimesniff.spec.whatwg.org/, "text/html").
_HTML_START = re.compile(
    rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"<(?:!doctype|(?:html|head|body|meta|link|title|script|style|iframe|h1|div"
    rb"|font|table|a|b|br|p)(?:[\s/>]|$))",
    re.IGNORECASE | re.DOTALL,
)
#: A page behind a little leading junk: a few stray bytes (a broken byte-order mark) or a few
#: lines (a server warning) before a doctype or ``<html``/``<head`` that starts a line.
_HTML_AFTER_JUNK = re.compile(
    rb"(?:[^\s<]{1,8}|[^<]{0,256}\n)\s*<(?:!doctype\s+html|html|head)[\s>]", re.IGNORECASE
)
_TEXT_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_HEAD_BYTES = 4096


def looks_like_html(head: bytes) -> bool:
    """Whether the first bytes of a file (decompressed) start an HTML page."""
    head = _without_bom(head)
    return bool(_HTML_START.match(head) or _HTML_AFTER_JUNK.match(head))


def _without_bom(head: bytes) -> bytes:
    """The head after its byte-order mark, UTF-16/32 re-encoded as UTF-8 to match on."""
    for bom, encoding in _TEXT_BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore").encode()
    return head


def decompressed_head(data: bytes) -> bytes:
    """The first bytes of the content, decompressed if gzip; ``b""`` if that fails."""
    if not data.startswith(GZIP_MAGIC):
        return data[:_HEAD_BYTES]
    try:
        return zlib.decompressobj(wbits=31).decompress(data[:65536], _HEAD_BYTES)
    except zlib.error:
        return b""


def looks_like_json_object(head: bytes) -> bool:
    return head.lstrip().startswith(b"{")


def name_without_compression(path: str) -> str:
    """The lower-cased name without a ``.gz``/``.gzip`` suffix."""
    name = path.lower()
    for suffix in _COMPRESSED:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name
