"""Cheap per-line text features the stripper's decisions use."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s*$|[\"”»]\s*$")
_LETTER = re.compile(r"[^\W\d_]")


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _WORD.findall(text.lower())


def content_words(tokens: list[str], stopwords: frozenset[str]) -> set[str]:
    """Tokens that carry topic: three letters or more, not numbers or stop words, with a
    plural ``s`` folded so that "planet" and "planets" agree."""
    out = set()
    for token in tokens:
        if len(token) < 3 or token.isdigit() or token in stopwords:
            continue
        out.add(token[:-1] if len(token) > 4 and token.endswith("s") else token)
    return out


def simple_key(tokens: list[str]) -> str:
    """A cheap comparison key: the word tokens joined by single spaces."""
    return " ".join(tokens)


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text))


def has_letters(text: str) -> bool:
    return bool(_LETTER.search(text))


def is_title_like(text: str, n_words: int, max_words: int = 20) -> bool:
    """Short, no sentence-final full stop: how headlines, menu items and link texts look."""
    return 0 < n_words <= max_words and not text.rstrip("\"'”’) ").endswith((".", ",", ";", ":"))


def inside_quotes(text: str, position: int) -> bool:
    """Whether ``position`` falls inside a quotation (an odd number of quote marks before it).
    Matches inside quoted speech are the story, not page furniture."""
    before = text[:position]
    if before.count("“") > before.count("”"):
        return True
    return before.count('"') % 2 == 1
