"""Cheap per-line text features the stripper's decisions use."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

from pipeline.normalize import key_of_normalized, match_key, without_common_punctuation
from pipeline.strip.memo import Memo

_WORD = re.compile(r"\w+")
_NON_ASCII_WORD_CHAR = re.compile(r"[^\x00-\x7f\W]")
#: Lower-cases ASCII letters, keeps digits and ``_`` and maps every other byte to a space.
_WORD_BYTES = bytes(
    ord(chr(c).lower()) if c < 128 and (chr(c).isalnum() or chr(c) == "_") else ord(" ")
    for c in range(256)
)
_CLOSERS = "\"'”’»)]"
_SENTENCE_MARKS = (".", "!", "?", "…")
_LETTER = re.compile(r"[^\W\d_]")
_OPEN_SINGLE_QUOTE = re.compile(r"(?:^|[\s(\[])['‘][^'’]*$")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (``\\w+``).

    Text without non-ASCII word characters (most English text: its non-ASCII characters are
    curly quotes and dashes) takes a fast path: a byte translate table over its UTF-8 form
    lower-cases ASCII letters and turns every other non-word byte, those of non-ASCII
    characters included, into a space. No non-word character lower-cases to a word
    character, so this finds the tokens the regex finds."""
    text = without_common_punctuation(text)
    if text.isascii() or not _NON_ASCII_WORD_CHAR.search(text):
        return text.encode("utf-8", "surrogatepass").translate(_WORD_BYTES).decode().split()
    return _WORD.findall(text.lower())


def line_key(text: str, key: str) -> int:
    """:func:`pipeline.normalize.match_key` of ``text``, whose :func:`simple_key` is
    ``key``: the key corpus statistics count and look a line up by.

    Text that is ASCII once common punctuation is spaced and holds no ``_`` normalises to
    its words joined by single spaces (normalising and :func:`words` then both lower-case
    the ASCII letters and split at every other character), so its key is that string's
    hash, without normalising it again."""
    plain = without_common_punctuation(text)
    if plain.isascii() and "_" not in plain:
        return key_of_normalized(key.encode())
    return _match_key(text)


#: Other lines (accented names, other scripts) are normalised in full; furniture among them
#: recurs, so their keys are remembered.
_match_key = lru_cache(maxsize=8_192)(match_key)


def content_words(tokens: Iterable[str], stopwords: frozenset[str]) -> set[str]:
    """Tokens that carry topic: three letters or more, not numbers or stop words, cut to
    their first five characters so that inflections agree ("library", "librarian")."""
    stems = set(map(_stems(stopwords).__getitem__, tokens))
    stems.discard("")
    return stems


@cache
def _stems(stopwords: frozenset[str]) -> Memo[str]:
    """Token -> its stem, or ``""`` for a token that is no content word, remembered per
    process and set of stop words (one per language)."""

    def stem(token: str) -> str:
        if len(token) < 3 or token.isdigit() or token in stopwords:
            return ""
        return token[:5]

    return Memo(stem)


def simple_key(tokens: list[str]) -> str:
    """A cheap comparison key: the word tokens joined by single spaces."""
    return " ".join(tokens)


def ends_sentence(text: str) -> bool:
    """A final ``.``, ``!``, ``?`` or ``…`` (closing quotes and brackets may follow), or a
    final closing double quote."""
    end = text.rstrip()
    return end.endswith(('"', "”", "»")) or end.rstrip(_CLOSERS).endswith(_SENTENCE_MARKS)


def has_letters(text: str) -> bool:
    return bool(_LETTER.search(text))


def is_title_like(text: str, n_words: int, max_words: int = 20, *, questions: bool = False) -> bool:
    """Short, no sentence-final punctuation: how headlines, menu items and link texts look.
    A final ``?`` or ``!`` is allowed only with ``questions`` (headlines may ask)."""
    end = text.rstrip("\"'”’) ")
    stops = (".", ",", ";", ":") if questions else (".", ",", ";", ":", "!", "?")
    return 0 < n_words <= max_words and not end.endswith(stops)


def inside_quotes(text: str, position: int) -> bool:
    """Whether ``position`` falls inside a quotation: an odd number of double quote marks
    (straight or curly, which sources mix) or more „/« than closing marks before it, or an
    opening single quote not closed since. Matches inside quoted speech and titles are the
    story, not page furniture."""
    before = text[:position]
    if (before.count('"') + before.count("“") + before.count("”")) % 2 == 1:
        return True
    if before.count("„") > before.count("“") or before.count("«") > before.count("»"):
        return True
    return bool(_OPEN_SINGLE_QUOTE.search(before))
