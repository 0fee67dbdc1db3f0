"""One clean-up of author values, whatever found them: trafilatura or JSON-LD on an HTML
page, a "By ..." line the stripper removed, a container's field.

A value is split into parts (``;``, ``,``, ``|``, ``•``, ``/``, "and", "&"); in each part the
leading labels ("By", "Posted", "Por", "Von") are dropped and the name ends where a date,
weekday, month, label, e-mail, handle, URL or lower-case word begins. What is left is kept
only when it looks like a person's name: two to five words starting with a capital (name
particles such as "van" or "de" inside), not a role or desk ("Staff Writer", "News Desk"),
not a place ("Madrid", "New York"). A one-word value is dropped too, as trafilatura drops a
one-word meta author: a handle, a site or a first name alone is not an author. The word lists
are data: ``pipeline/data/author_words.toml`` and ``pipeline/data/places.txt``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
#: Separators between the names of one value.
_PARTS = re.compile(r"\s*(?:[;,|•·/]|\s[-–—]\s|\band\b|\bund\b|&)\s*", re.IGNORECASE)
_PUNCTUATION = '()[]{}"“”«»:!?'
_MIN_WORDS, _MAX_WORDS = 2, 5


@dataclass(frozen=True, slots=True)
class AuthorWords:
    """The word lists of ``author_words.toml``, lower-cased; labels as word tuples."""

    labels: frozenset[tuple[str, ...]]
    not_author_labels: frozenset[tuple[str, ...]]
    roles: frozenset[str]
    particles: frozenset[str]
    months: frozenset[str]
    dates: frozenset[str]  # months and weekdays
    places: frozenset[str]
    longest_label: int  # in words


@cache
def author_words() -> AuthorWords:
    data = tomllib.loads((DATA_DIR / "author_words.toml").read_text(encoding="utf-8"))

    def words(section: str) -> frozenset[str]:
        return frozenset(w.lower() for values in data[section].values() for w in values)

    places = (DATA_DIR / "places.txt").read_text(encoding="utf-8").splitlines()
    labels = frozenset(tuple(label.split()) for label in words("labels"))
    not_author_labels = frozenset(tuple(label.split()) for label in words("not_author_labels"))
    return AuthorWords(
        labels=labels,
        not_author_labels=not_author_labels,
        roles=words("roles"),
        particles=words("particles"),
        months=words("months"),
        dates=words("months") | words("weekdays"),
        places=frozenset(p.lower() for p in places if p and not p.startswith("#")),
        longest_label=max(len(label) for label in labels | not_author_labels),
    )


def clean_author(value: str | None) -> str | None:
    """The person names in ``value``, joined by ``"; "``; ``None`` when there are none."""
    if not value:
        return None
    names: list[str] = []
    for part in _PARTS.split(value):
        name = person_name(part)
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return "; ".join(names) or None


def person_name(part: str) -> str | None:
    """The name a single part of an author value holds, or ``None``."""
    words = author_words()
    tokens = [t.strip(_PUNCTUATION) for t in part.split()]
    tokens = [t for t in tokens if t]
    start = _after_labels(tokens, words)
    if start is None:
        return None
    name = _name_tokens(tokens[start:], words)
    if len(name) < _MIN_WORDS and (later := _after_later_label(tokens, start + 1, words)):
        name = _name_tokens(tokens[later:], words)  # "This post was written by Jo Roe"
    while name and name[-1].lower() in words.particles:
        name.pop()
    if not _MIN_WORDS <= len(name) <= _MAX_WORDS:
        return None
    if words.roles & {t.lower().strip(".") for t in tokens}:
        return None
    joined = " ".join(name)
    return None if joined.lower() in words.places else joined


def _after_labels(tokens: list[str], words: AuthorWords) -> int | None:
    """Where the name starts after the leading labels; ``None`` when a label says the part
    names someone other than the author (an editor, a photographer)."""
    start = 0
    while label := _label_at(tokens, start, words):
        if label in words.not_author_labels:
            return None
        start += len(label)
    return start


def _after_later_label(tokens: list[str], start: int, words: AuthorWords) -> int | None:
    """Where a name starts after the first author label past ``start``, if there is one."""
    for i in range(start, len(tokens)):
        if label := _label_at(tokens, i, words):
            return None if label in words.not_author_labels else i + len(label)
    return None


def _label_at(tokens: list[str], i: int, words: AuthorWords) -> tuple[str, ...] | None:
    """The longest label that starts at ``tokens[i]``."""
    lowered = tuple(t.lower() for t in tokens[i : i + words.longest_label])
    for n in range(len(lowered), 0, -1):
        if lowered[:n] in words.labels or lowered[:n] in words.not_author_labels:
            return lowered[:n]
    return None


def _name_tokens(tokens: list[str], words: AuthorWords) -> list[str]:
    """The leading tokens that can belong to a name."""
    name: list[str] = []
    for i, token in enumerate(tokens):
        if not _name_like(token, words, first=not name) or _label_at(tokens, i, words):
            break
        if token.lower().strip(".") in words.dates and _is_date_word(tokens, i, words):
            break
        name.append(token)
    return name


def _name_like(token: str, words: AuthorWords, *, first: bool) -> bool:
    if any(ch.isdigit() or ch in "@/\\" for ch in token) or token.lower().startswith("www."):
        return False
    if not all(ch.isalpha() or ch in "'’.-" for ch in token):
        return False
    return token[0].isupper() or (not first and token.lower() in words.particles)


def _is_date_word(tokens: list[str], i: int, words: AuthorWords) -> bool:
    """A month or weekday is a date unless a name word follows it ("April Fulton")."""
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    return (
        following is None
        or following.lower().strip(".") in words.dates
        or not _name_like(following, words, first=False)
    )


def starts_with_label(text: str) -> bool:
    """Whether ``text`` opens with a byline label ("By", "Von", "Posted by")."""
    tokens = [t.strip(_PUNCTUATION) for t in text.split()[: author_words().longest_label]]
    return _label_at([t for t in tokens if t], 0, author_words()) is not None
