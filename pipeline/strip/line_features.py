"""Line features for the line model: one row of numbers per non-blank line of an article.

A row holds what the rules found (their evidence by kind and source: patterns, corpus
statistics, position), the line's shape, its learned vocabulary (:mod:`pipeline.strip.vocabulary`),
its relevance to the article (content words shared with the body and the headline), its
repeats in the article, its position, and the same for its neighbours (boilerplate comes in
runs; a caption sits next to its credit). No feature names a text: they are counts, shares and
positions, and the vocabulary is learned from many documents.

The features of a line's text alone are remembered per text (furniture recurs across an
outlet's articles); the article-level and window features are numpy operations over the
article's whole matrix.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from itertools import groupby
from operator import itemgetter

import numpy as np

from pipeline.record_types import REMOVAL_KINDS
from pipeline.strip.item import Item
from pipeline.strip.text import is_title_like
from pipeline.strip.vocabulary import N_VOCAB_FEATURES, Vocabulary

_URL = re.compile(r"https?://|www\.|\.(?:com|org|net|co\.uk)\b", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.\w")
_HANDLE = re.compile(r"(?:^|\s)[@#]\w")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
#: What a match of :data:`_URL` other than ``https?://`` holds, lower-cased.
_URL_NEEDLES = ("www.", ".com", ".org", ".net", ".co.uk")
_KIND_INDEX = {kind: i for i, kind in enumerate(REMOVAL_KINDS)}
#: Where a rule's evidence came from, by the prefix of its id (anything else is a pattern).
_SOURCES = ("stats.", "position.", ":list")
_ASCII_CLASSES = bytes(
    ord("u" if chr(c).isupper() else "l" if chr(c).isalpha() else "d" if chr(c).isdigit() else ".")
    for c in range(256)
)
#: Text features are remembered for this many distinct short lines.
SHAPE_CACHE_LINES = 50_000
SHAPE_CACHE_MAX_CHARS = 400

SHAPE_NAMES = [
    "log_chars",
    "words",
    "ends_sentence",
    "title_like",
    "digit_share",
    "upper_share",
    "capitalised_share",
    "punct_share",
    "pipes",
    "url",
    "email",
    "handle",
    "starts_symbol",
    "ends_colon",
    "copyright",
    "stopword_share",
    "mean_word_len",
    "vocab_mean",
    "vocab_max",
    "vocab_known",
    *(f"vocab_kind_{i}" for i in range(N_VOCAB_FEATURES - 3)),
]
EVIDENCE_NAMES = [
    "rule_score",
    "rule_removed",
    "rule_top",
    "weak_hit",
    "fragment",
    "opens_list",
    "is_body",
    "is_title",
    "from_stats",
    "from_position",
    "from_list",
    *(f"rule_kind_{k}" for k in REMOVAL_KINDS),
]
CONTEXT_NAMES = [
    "body_overlap",
    "title_overlap",
    "repeats",
    "rel_position",
    "from_start",
    "from_end",
    "doc_lines",
    "doc_body_share",
    "body_distance",
    "inside_body",
    "short_run",
    "doc_short_share",
    "doc_ends_share",
    "doc_mean_chars",
]
#: Columns copied from the neighbours at each of :data:`WINDOW` offsets.
WINDOW_COLUMNS = [
    "log_chars",
    "ends_sentence",
    "title_like",
    "digit_share",
    "url",
    "vocab_mean",
    "vocab_kind_0",
    "rule_score",
    "rule_removed",
    "is_body",
    "body_overlap",
]
WINDOW = (-2, -1, 1, 2)
BASE_NAMES = SHAPE_NAMES + EVIDENCE_NAMES + CONTEXT_NAMES
FEATURE_NAMES = BASE_NAMES + [f"{c}@{o:+d}" for o in WINDOW for c in WINDOW_COLUMNS]
_WINDOW_INDEX = [BASE_NAMES.index(c) for c in WINDOW_COLUMNS]
_N_SHAPE = len(SHAPE_NAMES)
_IS_BODY = BASE_NAMES.index("is_body")
_WORDS = SHAPE_NAMES.index("words")
_ENDS_SENTENCE = SHAPE_NAMES.index("ends_sentence")
_LOG_CHARS = SHAPE_NAMES.index("log_chars")
_N_EVIDENCE = len(EVIDENCE_NAMES)


class FeatureExtractor:
    """Builds feature matrices with one learned vocabulary; remembers text features."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._texts: dict[str, tuple[np.ndarray, set[str]]] = {}

    def matrix(self, items: list[Item], title_item: Item | None) -> np.ndarray:
        """The feature matrix of one article's items (``len(items)`` by ``FEATURE_NAMES``)."""
        # Past the article's edges the window columns are -1; every base column is set below
        rows = np.full((len(items), len(FEATURE_NAMES)), -1.0, dtype=np.float32)
        if not items:
            return rows
        base = rows[:, : len(BASE_NAMES)]
        shapes, vocabs = zip(*map(self._text_features, items), strict=True)
        base[:, :_N_SHAPE] = shapes
        base[:, _N_SHAPE : _N_SHAPE + _N_EVIDENCE] = [_evidence(item, title_item) for item in items]
        title = next((i for i, item in enumerate(items) if item is title_item), None)
        base[:, _N_SHAPE + _N_EVIDENCE :] = _context(items, vocabs, title, base)
        _fill_window(rows)
        return rows

    def _text_features(self, item: Item) -> tuple[np.ndarray, set[str]]:
        """The shape features (a row, which numpy copies into the matrix faster than a
        list) and the content words of the item's text."""
        text = item.text
        found = self._texts.get(text)
        if found is None:
            shape = _shape(text, item.tokens, item.stopwords, self.vocabulary)
            found = (np.array(shape, dtype=np.float32), item.vocab)
            if len(text) <= SHAPE_CACHE_MAX_CHARS:
                if len(self._texts) >= SHAPE_CACHE_LINES:
                    self._texts.clear()
                self._texts[text] = found
        return found


def _shape(
    text: str, tokens: list[str], stopwords: frozenset[str], vocabulary: Vocabulary
) -> list[float]:
    n_chars = len(text)
    n_words = len(tokens)
    letters, digits, upper = _char_counts(text)
    punct = n_chars - letters - digits - text.count(" ")
    raw_words = text.split()
    capitalised = sum(map(str.isupper, map(itemgetter(0), raw_words)))
    stop = sum(map(stopwords.__contains__, tokens))
    end = text.rstrip()
    lower = text.lower()
    first, last = text[:1], end[-1:]
    return [
        math.log1p(n_chars),
        min(n_words, 200),
        float(end.endswith((".", "!", "?", '"', "”", "…", ".)", '."'))),
        float(is_title_like(text, n_words)),
        digits / n_chars,
        upper / max(letters, 1),
        capitalised / max(len(raw_words), 1),
        punct / n_chars,
        min(text.count("|"), 10),
        float(_has_url(text, lower)),
        float("@" in text and bool(_EMAIL.search(text))),
        float(("@" in text or "#" in text) and bool(_HANDLE.search(text))),
        float(bool(first) and not first.isalnum() and first not in "\"“‘'("),
        float(last == ":"),
        float("©" in text or "(c)" in lower),
        stop / n_words if n_words else 0.0,
        sum(map(len, tokens)) / n_words if n_words else 0.0,
        *vocabulary.features(tokens),
    ]


def _has_url(text: str, lower: str) -> bool:
    """Whether :data:`_URL` matches ``text`` (``lower``: ``text.lower()``). The regex runs
    only on text holding what any match holds: ``://``, or one of :data:`_URL_NEEDLES` in
    ``lower``. (Under ``IGNORECASE`` every character matching a letter of the needles
    lower-cases to it; only ``s`` also matches ``ſ``, and ``https?://`` needs ``://``.)"""
    if "://" not in text and not any(needle in lower for needle in _URL_NEEDLES):
        return False
    return bool(_URL.search(text))


def _char_counts(text: str) -> tuple[int, int, int]:
    """Letters, digits and upper-case letters in ``text``: its ASCII characters counted
    through a byte class table, the others (curly quotes, dashes, accented letters) one
    by one."""
    classes = text.encode("ascii", "ignore").translate(_ASCII_CLASSES)
    upper = classes.count(b"u")
    letters, digits = upper + classes.count(b"l"), classes.count(b"d")
    if not text.isascii():
        others = _NON_ASCII.findall(text)
        letters += sum(map(str.isalpha, others))
        digits += sum(map(str.isdigit, others))
        upper += sum(map(str.isupper, others))
    return letters, digits, upper


def _evidence(item: Item, title_item: Item | None) -> list[float]:
    return [
        min(item.score, 3.0),
        float(item.removed),
        item.top,
        float(bool(item.weak_kind)),
        float(item.fragment is not None),
        float(item.opens_list),
        float(item.is_body),
        float(item is title_item),
        *_rule_sources(item.rule),
        *_kind_columns(item.kind, item.weak_kind),
    ]


@lru_cache(maxsize=4_096)
def _rule_sources(rule: str) -> tuple[float, float, float]:
    """Whether the evidence of ``rule`` came from statistics, position or a list."""
    return (
        float(rule.startswith(_SOURCES[0])),
        float(rule.startswith(_SOURCES[1])),
        float(rule.endswith(_SOURCES[2])),
    )


@lru_cache(maxsize=1_024)
def _kind_columns(kind: str, weak_kind: str) -> tuple[float, ...]:
    """One column per removal kind: 1 for the item's kind, else 0.5 for its weak kind."""
    kinds = [0.0] * len(REMOVAL_KINDS)
    if kind:
        kinds[_KIND_INDEX.get(kind, len(REMOVAL_KINDS) - 1)] = 1.0
    elif weak_kind:
        kinds[_KIND_INDEX.get(weak_kind, len(REMOVAL_KINDS) - 1)] = 0.5
    return tuple(kinds)


def _context(
    items: list[Item], vocabs: Sequence[set[str]], title: int | None, base: np.ndarray
) -> np.ndarray:
    """The context features; ``vocabs`` are the items' content words, ``title`` the index
    of the headline's item."""
    n = len(items)
    body_vocab = set().union(*(v for item, v in zip(items, vocabs, strict=True) if item.is_body))
    title_vocab = vocabs[title] if title is not None else set()
    keys = [item.key for item in items]
    counts = Counter(keys)
    rows = np.zeros((n, len(CONTEXT_NAMES)), dtype=np.float32)
    rows[:, 0] = [len(v & body_vocab) / len(v) if v else -1.0 for v in vocabs]
    rows[:, 1] = [len(v & title_vocab) / len(v) if v else -1.0 for v in vocabs]
    rows[:, 2] = [counts[key] - 1 for key in keys]
    rows[:, 3:7] = _positions(n)
    is_body = base[:, _IS_BODY] > 0
    rows[:, 7] = np.count_nonzero(is_body) / n  # the mean, as numpy's float64 of a bool array
    rows[:, 8], rows[:, 9] = _body_distance(is_body)
    short = base[:, _WORDS] <= 3
    rows[:, 10] = _run_lengths(short)
    # What kind of text the article is: a scrape of its paragraphs, or a whole page's menus
    rows[:, 11] = np.count_nonzero(short) / n
    rows[:, 12] = base[:, _ENDS_SENTENCE].mean()
    rows[:, 13] = base[:, _LOG_CHARS].mean()
    return rows


@lru_cache(maxsize=1_024)
def _positions(n: int) -> np.ndarray:
    """The position columns of an article of ``n`` lines: relative position, lines from
    the start and from the end (log), and the article's length (log). Read-only: every
    article of ``n`` lines shares it."""
    index = np.arange(n, dtype=np.float32)
    rows = np.empty((n, 4), dtype=np.float32)
    rows[:, 0] = index / max(n - 1, 1)
    rows[:, 1] = np.log1p(index)
    rows[:, 2] = np.log1p(n - 1 - index)
    rows[:, 3] = math.log1p(n)
    rows.flags.writeable = False
    return rows


def _body_distance(is_body: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per line, lines to the nearest body line (log, negative before the body's first
    line), and whether it stands between the body's first and last line."""
    n = len(is_body)
    where = np.flatnonzero(is_body)
    if not len(where):
        return np.full(n, 10.0, dtype=np.float32), np.zeros(n, dtype=np.float32)
    index = np.arange(n)
    # The body lines at and before each line's insertion point (np.clip is slower)
    at = np.minimum(np.searchsorted(where, index), len(where) - 1)
    before = np.maximum(at - 1, 0)
    distance = np.minimum(np.abs(where[at] - index), np.abs(where[before] - index))
    signed = np.log1p(distance) * np.where(index < where[0], -1.0, 1.0)
    inside = (index >= where[0]) & (index <= where[-1])
    return signed.astype(np.float32), inside.astype(np.float32)


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    """Per line, the length of the run of consecutive flagged lines it is in (0 if
    unflagged), log. Runs are counted in Python: for an article's few dozen lines, numpy's
    per-call overhead costs more."""
    per_line: list[int] = []
    for flagged, run in groupby(flags.tolist()):
        length = len(list(run))
        per_line += [length if flagged else 0] * length
    return np.log1p(np.array(per_line, dtype=np.float32))


def _fill_window(rows: np.ndarray) -> None:
    """Copy the :data:`WINDOW_COLUMNS` of the lines at each :data:`WINDOW` offset into the
    window columns of ``rows`` (which hold -1 past the article's edges)."""
    n = len(rows)
    picked = rows[:, _WINDOW_INDEX]
    width = len(_WINDOW_INDEX)
    for k, offset in enumerate(WINDOW):
        columns = slice(len(BASE_NAMES) + k * width, len(BASE_NAMES) + (k + 1) * width)
        if offset < 0 and n > -offset:
            rows[-offset:, columns] = picked[:offset]
        elif offset > 0 and n > offset:
            rows[:-offset, columns] = picked[offset:]
