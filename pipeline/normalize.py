"""Text normalisation for matching: one definition shared by the stripper's line statistics
and the dedup stage, so that both agree on when two lines are "the same".

Bump ``NORMALIZER_VERSION`` whenever the output of :func:`normalize_for_match` changes:
stored line statistics and dedup indexes record it and are not mixed across versions.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import xxhash

NORMALIZER_VERSION = 1

_NON_WORD = re.compile(r"[^\w]+|_+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD_CHAR = re.compile(r"\w")
#: ASCII characters that are not ``\w`` (and ``_``) map to a space: on ASCII text this
#: table does what ``_NON_WORD`` does, several times faster.
_ASCII_NON_WORD = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def normalize_for_match(text: str) -> str:
    """NFKD with accents folded, quotes and dashes unified, case folded, punctuation to
    spaces, whitespace collapsed; digits are kept.

    Quotes and dashes of every style are punctuation, so they all become the same space.
    Text that is ASCII once accents are folded (most Latin-script text) takes a fast path
    through ``str.replace`` and an ASCII translate table with the same output as the
    general path; the general path serves other scripts.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        for ch in set(_NON_ASCII.findall(text)):
            folded = _fold_non_ascii(ch)
            if folded is None:
                return _normalize_general(text)
            text = text.replace(ch, folded)
    return " ".join(text.lower().translate(_ASCII_NON_WORD).split())


@cache
def _fold_non_ascii(ch: str) -> str | None:
    """A decomposed non-ASCII character's fate: ``""`` for a combining mark, ``" "`` for
    punctuation or a symbol, ``None`` for a word character (the general path keeps it)."""
    if unicodedata.combining(ch):
        return ""
    return None if _WORD_CHAR.match(ch) else " "


def _normalize_general(decomposed: str) -> str:
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def match_key(text: str) -> int:
    """A signed 64-bit hash of the normalised text (fits Arrow's int64)."""
    return xxhash.xxh64_intdigest(normalize_for_match(text).encode()) - (1 << 63)
