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
#: Lower-cases ASCII letters and maps every other ASCII byte that is not a letter or digit
#: (``_`` included) to a space: on ASCII text, what ``_NON_WORD`` and ``casefold`` do.
_ASCII_FOLD = bytes(
    ord(chr(c).lower()) if chr(c).isalnum() else ord(" ") if c < 128 else c for c in range(256)
)


def normalize_for_match(text: str) -> str:
    """NFKD with accents folded, quotes and dashes unified, case folded, punctuation to
    spaces, whitespace collapsed; digits are kept.

    Quotes and dashes of every style are punctuation, so they all become the same space.
    """
    return _normalized(text).decode()


def match_key(text: str) -> int:
    """A signed 64-bit hash of the normalised text (fits Arrow's int64)."""
    return key_of_normalized(_normalized(text))


def key_of_normalized(normalized: bytes) -> int:
    """:func:`match_key` of a text whose :func:`normalize_for_match` is ``normalized``
    (UTF-8 encoded), for callers that have the normalised form already."""
    return xxhash.xxh64_intdigest(normalized) - (1 << 63)


def without_common_punctuation(text: str) -> str:
    """``text`` with the non-ASCII punctuation common in news (curly quotes, dashes,
    ellipses, no-break spaces) as spaces. Each of these folds to punctuation and is no word
    character, so the text keeps its normalisation and its ``\\w+`` words, and it is often
    ASCII afterwards, which the fast paths here and in the stripper take."""
    if not text.isascii():
        for ch in _COMMON_PUNCTUATION:
            text = text.replace(ch, " ")
    return text


def _normalized(text: str) -> bytes:
    """The normalised text, UTF-8 encoded.

    Text that is ASCII once accents are folded (most Latin-script text) takes a fast path:
    each distinct non-ASCII character is replaced by its folded decomposition (see
    :func:`fold_non_ascii`), then one byte translate table does case and punctuation. The
    output is that of the general path, which serves other scripts.
    """
    text = without_common_punctuation(text)
    if not text.isascii():
        for ch in set(_NON_ASCII.findall(text)):
            folded = fold_non_ascii(ch)
            if folded is None:
                return _normalize_general(unicodedata.normalize("NFKD", text)).encode()
            text = text.replace(ch, folded)
    return b" ".join(text.encode().translate(_ASCII_FOLD).split())


@cache
def fold_non_ascii(ch: str) -> str | None:
    """What a non-ASCII character becomes before case and punctuation are done: its NFKD
    decomposition with combining marks dropped and other non-ASCII punctuation or symbols
    as spaces, and other word characters case-folded where that makes them ASCII ("ß" is
    "ss"); ``None`` when a non-ASCII word character is left (the general path keeps it).

    Per character this equals decomposing and case-folding the whole text: NFKD decomposes
    character by character and then only reorders combining marks, all of which are
    dropped, and case folding maps each character on its own."""
    folded = []
    for part in unicodedata.normalize("NFKD", ch):
        if part.isascii():
            folded.append(part)
        elif not unicodedata.combining(part):
            if not _WORD_CHAR.match(part):
                folded.append(" ")
            elif (cased := part.casefold()).isascii():
                folded.append(cased)
            else:
                return None
    return "".join(folded)


def _folds_to_punctuation(ch: str) -> bool:
    """A non-word character whose folded form holds no ASCII letter or digit."""
    folded = fold_non_ascii(ch)
    return folded is not None and not _WORD_CHAR.match(ch) and not any(map(str.isalnum, folded))


_COMMON_PUNCTUATION = tuple(
    ch for ch in "’‘“”—–…«»„\u00a0•·′″‹›\u2009\u200b" if _folds_to_punctuation(ch)
)


def _normalize_general(decomposed: str) -> str:
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())
