"""Plain-text articles (one paragraph per line) and their optional ``NAME.meta.json`` sidecar."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from itertools import islice

from pipeline.readers.decode import decode
from pipeline.readers.errors import RejectedInput
from pipeline.readers.json_bounded import load_json
from pipeline.readers.limits import DEFAULT_LIMITS, Limits
from pipeline.readers.source_input import SourceInput
from pipeline.record_types import Document

SIDECAR_SUFFIX = ".meta.json"
PROVENANCE_FIELDS = ("url", "outlet", "published", "fetched_at")
_TEXT_SUFFIXES = (".txt.gz", ".txt")
_NON_BLANK = re.compile(r"^[^\S\n]*\S", re.MULTILINE)


def decode_text(data: bytes) -> str:
    """The text of a plain-text file (encoding chosen as in :mod:`pipeline.readers.decode`)."""
    return decode(data).text


def sidecar_path(rel_path: str) -> str | None:
    """The sidecar that may sit next to a text file: ``a/NAME.txt[.gz]`` -> ``a/NAME.meta.json``.

    ``None`` for files that are not plain text. Works on any str path, including names with
    bytes that are not UTF-8 (surrogate-escaped).
    """
    for suffix in _TEXT_SUFFIXES:
        if rel_path.lower().endswith(suffix):
            return rel_path[: -len(suffix)] + SIDECAR_SUFFIX
    return None


def is_sidecar(rel_path: str) -> bool:
    return posixpath.basename(rel_path).lower().endswith(SIDECAR_SUFFIX)


def read_text(source: SourceInput) -> Iterator[Document]:
    """The file as one article, with the provenance of its sidecar (if any)."""
    text = decode(source.content()).text
    check_text_shape(text, source.limits)
    yield Document(
        source_path=source.path,
        source_sha256=source.sha256,
        source_format="txt",
        record_locator=None,
        body=text,
        body_kind="text",
        **parse_sidecar(source.sidecar, source.limits),
    )


def parse_sidecar(data: bytes | None, limits: Limits = DEFAULT_LIMITS) -> dict[str, str | None]:
    """The provenance fields of a sidecar; absent or null fields are ``None``."""
    if data is None:
        return {}
    if len(data) > limits.max_document_bytes:
        raise RejectedInput(
            "read",
            "malformed_sidecar",
            f"over max_document_bytes={limits.max_document_bytes}",
        )
    meta = load_json(data, limits.max_json_depth, "malformed_sidecar")
    if not isinstance(meta, dict):
        raise RejectedInput("read", "malformed_sidecar", "sidecar is not a JSON object")
    return provenance(meta, "malformed_sidecar")


def provenance(obj: dict, error_kind: str) -> dict[str, str | None]:
    """The provenance fields (url, outlet, published, fetched_at) of a sidecar or JSONL
    object, each a string or ``None``."""
    return {name: optional_str(obj, name, error_kind) for name in PROVENANCE_FIELDS}


def optional_str(obj: dict, name: str, error_kind: str) -> str | None:
    """``obj[name]`` when it is a string, ``None`` when absent or null; anything else is bad."""
    value = obj.get(name)
    if value is None or isinstance(value, str):
        return value or None
    raise RejectedInput("read", error_kind, f"field {name!r} is {type(value).__name__}, not text")


def check_text_shape(text: str, limits: Limits) -> None:
    """Reject a plain-text article with a physical line over ``max_text_line_chars`` or
    more than ``max_article_lines`` non-blank lines (counted without splitting the text, so
    that megabytes of one-character lines cost no more than one pass over them)."""
    most = limits.max_article_lines
    if (
        text.count("\n") >= most
        and sum(1 for _ in islice(_NON_BLANK.finditer(text), most + 1)) > most
    ):
        raise RejectedInput(
            "read", "too_many_lines", f"more than max_article_lines={most} non-blank lines"
        )
    limit = limits.max_text_line_chars
    if len(text) > limit and max(map(len, text.split("\n"))) > limit:
        raise RejectedInput(
            "read", "line_too_long", f"a line is longer than max_text_line_chars={limit}"
        )
