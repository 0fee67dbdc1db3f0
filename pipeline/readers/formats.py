"""The registry of input formats: one :class:`Format` per reader, and how a file finds its own.

Adding a format is one module with a :data:`~pipeline.readers.source_input.Reader` and one
entry in :data:`FORMATS` (see docs/inputs.md, "Adding a format").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from pipeline.readers.detect import (
    decompressed_head,
    looks_like_html,
    looks_like_json_object,
    name_without_compression,
)
from pipeline.readers.html_page import read_html
from pipeline.readers.jsonl import read_jsonl
from pipeline.readers.plain_text import read_text
from pipeline.readers.source_input import Reader
from pipeline.readers.warc import is_warc, read_warc


class Claim(IntEnum):
    """Against which file names a format's sniffer, recognising the content, is believed."""

    #: Only a file whose extension names no format.
    UNNAMED = 1
    #: Also a file whose extension is only a weak hint (:attr:`Format.weak_name`: ``.txt``).
    WEAKLY_NAMED = 2
    #: Any file, whatever its name says (a WARC is a WARC).
    ANY = 3


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    #: File name endings, after any ``.gz``/``.gzip``, lower case.
    extensions: tuple[str, ...]
    read: Reader
    #: Whether a file's first bytes (decompressed) are this format's; None: never sniffed.
    sniff: Callable[[bytes], bool] | None = None
    claim: Claim = Claim.UNNAMED
    #: Whether content another format's sniffer recognises overrides this format's name.
    weak_name: bool = False
    #: Whether content that looks binary (see :func:`~pipeline.readers.payload.binary_kind`)
    #: may reach the reader, when the sniffer recognised it as this format's. Otherwise such
    #: a file is rejected as ``binary_content`` before it is read.
    binary: bool = False

    def sniffed(self, head: bytes) -> bool:
        return self.sniff is not None and self.sniff(head)

    def admits_binary(self, head: bytes) -> bool:
        return self.binary and self.sniffed(head)


TEXT = Format("txt", (".txt",), read_text, weak_name=True)
#: In sniffing order: when several sniffers recognise a file, the first one wins.
FORMATS: tuple[Format, ...] = (
    Format("warc", (".warc",), read_warc, sniff=is_warc, claim=Claim.ANY, binary=True),
    Format("html", (".html", ".htm", ".xhtml"), read_html, looks_like_html, Claim.WEAKLY_NAMED),
    Format("jsonl", (".jsonl", ".ndjson"), read_jsonl, looks_like_json_object),
    TEXT,
)
#: The format of a file that no name or sniffer claims.
FALLBACK = TEXT


def format_of(path: str, head: bytes) -> Format:
    """The format of a file named ``path`` whose first bytes (decompressed) are ``head``:
    the first format whose sniffer recognises ``head`` and is believed against the name,
    else the format the name says, else :data:`FALLBACK`."""
    named = _named(path)
    needed = (
        Claim.UNNAMED if named is None else Claim.WEAKLY_NAMED if named.weak_name else Claim.ANY
    )
    for candidate in FORMATS:
        if candidate.claim >= needed and candidate.sniffed(head):
            return candidate
    return named or FALLBACK


def detect_format(path: str, data: bytes) -> str:
    """The name of the format of a file named ``path`` holding ``data``."""
    return format_of(path, decompressed_head(data)).name


def _named(path: str) -> Format | None:
    name = name_without_compression(path)
    for candidate in FORMATS:
        if name.endswith(candidate.extensions):
            return candidate
    return None
