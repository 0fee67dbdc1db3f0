"""Line features for the line model: one row of numbers per non-blank line of an article.

A row holds what the rules found (their evidence by kind and source: patterns, corpus
statistics, position), the line's shape, its learned vocabulary (:mod:`pipeline.strip.vocabulary`),
its relevance to the article (content words shared with the body and the headline), its
repeats in the article, its position, and the same for its neighbours (boilerplate comes in
runs; a caption sits next to its credit). No feature names a text: they are counts, shares and
positions, and the vocabulary is learned from many documents.

Python reads each article's lines (:meth:`FeatureExtractor.lines`): the features of a line's
text alone, remembered per text (furniture recurs across an outlet's articles), its evidence
row and its overlaps. A batch's matrix (:func:`batch_matrix`) stacks those rows for all its
articles at once; the article-level and window columns are numpy operations over the whole
batch, each article's lines delimited by its offsets.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import NamedTuple, TypeVar

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
#: Distinct evidence rows remembered.
EVIDENCE_CACHE_ROWS = 8_192

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
_T = TypeVar("_T")
_N_SHAPE = len(SHAPE_NAMES)
#: The shape columns before the vocabulary's.
_N_TEXT = _N_SHAPE - N_VOCAB_FEATURES
_IS_BODY = BASE_NAMES.index("is_body")
_WORDS = SHAPE_NAMES.index("words")
_ENDS_SENTENCE = SHAPE_NAMES.index("ends_sentence")
_LOG_CHARS = SHAPE_NAMES.index("log_chars")
_N_EVIDENCE = len(EVIDENCE_NAMES)
_CONTEXT = _N_SHAPE + _N_EVIDENCE
#: The first of :data:`CONTEXT_NAMES` after those :class:`ArticleLines` holds.
_POSITIONS = _CONTEXT + 3


class TextFeatures:
    """The features of a line's text that no vocabulary changes (its shape), remembered
    per text: every expert's extractor reads them from one instance."""

    def __init__(self) -> None:
        self._texts: dict[str, np.ndarray] = {}

    def of(self, item: Item) -> np.ndarray:
        """The shape features of the item's text (a row, which numpy copies into the
        matrix faster than a list)."""
        text = item.text
        found = self._texts.get(text)
        if found is None:
            found = np.array(_shape(text, item.tokens, item.stopwords), dtype=np.float32)
            _remember(self._texts, text, found)
        return found


class ArticleLines(NamedTuple):
    """What is read of each line of one article in Python, for :func:`batch_matrix`: its
    shape, vocabulary and evidence rows, and (three numbers a line, one line after the
    other) its overlap with the body and with the headline and its repeats."""

    items: list[Item]
    shapes: Sequence[np.ndarray]
    vocab: list[np.ndarray]
    evidence: list[np.ndarray]
    context: list[float]


class FeatureExtractor:
    """Builds feature matrices with one learned vocabulary; remembers its vocabulary
    features per text (and, through ``texts``, the other text features)."""

    def __init__(self, vocabulary: Vocabulary, texts: TextFeatures | None = None) -> None:
        self.vocabulary = vocabulary
        self.texts = texts if texts is not None else TextFeatures()
        self._vocab: dict[str, np.ndarray] = {}

    def matrix(self, items: list[Item], title_item: Item | None) -> np.ndarray:
        """The feature matrix of one article's items (``len(items)`` by ``FEATURE_NAMES``)."""
        return batch_matrix([self.lines(items, title_item)])

    def lines(self, items: list[Item], title_item: Item | None) -> ArticleLines:
        """What :func:`batch_matrix` reads of one article's items."""
        if not items:
            return ArticleLines(items, (), [], [], [])
        shapes = list(map(self.texts.of, items))
        body_vocab = set().union(*(item.vocab for item in items if item.is_body))
        title_vocab = next((item.vocab for item in items if item is title_item), set())
        context = _overlaps(items, body_vocab, title_vocab)
        evidence = [_evidence(item, title_item) for item in items]
        return ArticleLines(items, shapes, self.vocab_rows(items), evidence, context)

    def with_own_vocabulary(self, lines: ArticleLines) -> ArticleLines:
        """Another extractor's ``lines`` with this extractor's vocabulary features (every
        other column is the same)."""
        return lines._replace(vocab=self.vocab_rows(lines.items))

    def vocab_rows(self, items: list[Item]) -> list[np.ndarray]:
        """The vocabulary features of each item's text."""
        cache = self._vocab
        rows = []
        for item in items:
            found = cache.get(item.text)
            if found is None:
                found = np.array(self.vocabulary.features(item.tokens), dtype=np.float32)
                _remember(cache, item.text, found)
            rows.append(found)
        return rows


def _remember(cache: dict[str, _T], text: str, found: _T) -> None:
    """Keep ``found`` for ``text`` in ``cache`` if the text is short enough (at most
    :data:`SHAPE_CACHE_LINES` texts: a full cache is emptied)."""
    if len(text) <= SHAPE_CACHE_MAX_CHARS:
        if len(cache) >= SHAPE_CACHE_LINES:
            cache.clear()
        cache[text] = found


def _overlaps(items: list[Item], body_vocab: set[str], title_vocab: set[str]) -> list[float]:
    """Per item, the shares of its content words in ``body_vocab`` and in ``title_vocab``
    (-1 for no words; 1 in the body for a body line, whose words are the body's), and how
    many other items have its key."""
    counts = Counter(item.key for item in items)
    found: list[float] = []
    for item in items:
        vocab, repeats = item.vocab, counts[item.key] - 1
        if not vocab:
            found += (-1.0, -1.0, repeats)
            continue
        n = len(vocab)
        in_body = 1.0 if item.is_body else len(vocab & body_vocab) / n
        found += (in_body, len(vocab & title_vocab) / n if title_vocab else 0.0, repeats)
    return found


def _shape(text: str, tokens: list[str], stopwords: frozenset[str]) -> list[float]:
    """The :data:`SHAPE_NAMES` columns before the vocabulary's."""
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


def _evidence(item: Item, title_item: Item | None) -> np.ndarray:
    """The :data:`EVIDENCE_NAMES` columns of ``item``."""
    return _evidence_row(
        item.score,
        item.removed,
        item.top,
        item.weak_kind,
        item.fragment is not None,
        item.opens_list,
        item.is_body,
        item is title_item,
        item.rule,
        item.kind,
    )


@lru_cache(maxsize=EVIDENCE_CACHE_ROWS)
def _evidence_row(
    score: float,
    removed: bool,
    top: float,
    weak_kind: str,
    has_fragment: bool,
    opens_list: bool,
    is_body: bool,
    is_title: bool,
    rule: str,
    kind: str,
) -> np.ndarray:
    """The evidence columns of an item with these values (lines of an outlet's furniture,
    and most body lines, share them). Read-only: the items with them share it."""
    row = np.array(
        [
            min(score, 3.0),
            float(removed),
            top,
            float(bool(weak_kind)),
            float(has_fragment),
            float(opens_list),
            float(is_body),
            float(is_title),
            *_rule_sources(rule),
            *_kind_columns(kind, weak_kind),
        ],
        dtype=np.float32,
    )
    row.flags.writeable = False
    return row


def _rule_sources(rule: str) -> tuple[float, float, float]:
    """Whether the evidence of ``rule`` came from statistics, position or a list."""
    return (
        float(rule.startswith(_SOURCES[0])),
        float(rule.startswith(_SOURCES[1])),
        float(rule.endswith(_SOURCES[2])),
    )


def _kind_columns(kind: str, weak_kind: str) -> list[float]:
    """One column per removal kind: 1 for the item's kind, else 0.5 for its weak kind."""
    kinds = [0.0] * len(REMOVAL_KINDS)
    if kind:
        kinds[_KIND_INDEX.get(kind, len(REMOVAL_KINDS) - 1)] = 1.0
    elif weak_kind:
        kinds[_KIND_INDEX.get(weak_kind, len(REMOVAL_KINDS) - 1)] = 0.5
    return kinds


def batch_matrix(articles: Sequence[ArticleLines]) -> np.ndarray:
    """The feature matrix of several articles' lines, one row per line in order: the rows
    of every article, stacked, with each article's context and window columns its own."""
    sizes = np.array([len(a.items) for a in articles], dtype=np.int64)
    rows = np.empty((int(sizes.sum()), len(FEATURE_NAMES)), dtype=np.float32)
    if not len(rows):
        return rows
    articles = [a for a in articles if a.items]
    sizes = sizes[sizes > 0]
    base = rows[:, : len(BASE_NAMES)]
    base[:, :_N_TEXT] = _stacked([a.shapes for a in articles], _N_TEXT)
    base[:, _N_TEXT:_N_SHAPE] = _stacked([a.vocab for a in articles], N_VOCAB_FEATURES)
    base[:, _N_SHAPE:_CONTEXT] = _stacked([a.evidence for a in articles], _N_EVIDENCE)
    context = np.fromiter(chain.from_iterable(a.context for a in articles), dtype=np.float32)
    base[:, _CONTEXT:_POSITIONS] = context.reshape(-1, _POSITIONS - _CONTEXT)
    at = _Offsets.of(sizes)
    _fill_context(base, at)
    _fill_window(rows, at)
    return rows


def _stacked(rows: list[Sequence[np.ndarray]], width: int) -> np.ndarray:
    """The rows of every article one under the other (concatenated: numpy stacks many
    small rows slower)."""
    return np.concatenate(list(chain.from_iterable(rows))).reshape(-1, width)


class _Offsets(NamedTuple):
    """Where each article's lines are in a batch's rows."""

    sizes: np.ndarray  # lines per article
    starts: np.ndarray  # each article's first row
    local: np.ndarray  # per row, its line's index in its article
    size: np.ndarray  # per row, its article's number of lines

    @classmethod
    def of(cls, sizes: np.ndarray) -> _Offsets:
        starts = np.cumsum(sizes) - sizes
        size = np.repeat(sizes, sizes)
        return cls(sizes, starts, np.arange(len(size)) - np.repeat(starts, sizes), size)

    def per_line(self, values: np.ndarray) -> np.ndarray:
        """Per row, its article's value of ``values`` (one per article)."""
        return np.repeat(values, self.sizes)

    def shares(self, flags: np.ndarray) -> np.ndarray:
        """Per row, the share of its article's rows with ``flags`` (as Python would divide
        the counts: in double precision)."""
        counts = np.add.reduceat(flags.astype(np.int64), self.starts)
        return self.per_line(counts / self.sizes)


def _fill_context(base: np.ndarray, at: _Offsets) -> None:
    """The context columns after the evidence row's: positions, the article's shape, and
    the lines' places relative to its body."""
    rows = base[:, _POSITIONS:]
    rows[:, :4] = np.concatenate([_positions(int(n)) for n in at.sizes.tolist()])
    is_body = base[:, _IS_BODY] > 0
    rows[:, 4] = at.shares(is_body)
    rows[:, 5], rows[:, 6] = _body_distance(is_body, at)
    short = base[:, _WORDS] <= 3
    rows[:, 7] = _run_lengths(short, at)
    # What kind of text the article is: a scrape of its paragraphs, or a whole page's menus
    rows[:, 8] = at.shares(short)
    rows[:, 9] = at.shares(base[:, _ENDS_SENTENCE] > 0)  # the 0/1 column's mean
    # A float32 mean, summed as numpy sums each article's column
    means = [base[start : start + n, _LOG_CHARS].mean() for start, n in _spans(at)]
    rows[:, 10] = at.per_line(np.array(means, dtype=np.float32))


def _spans(at: _Offsets) -> zip[tuple[int, int]]:
    return zip(at.starts.tolist(), at.sizes.tolist(), strict=True)


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


def _body_distance(is_body: np.ndarray, at: _Offsets) -> tuple[np.ndarray, np.ndarray]:
    """Per line, lines to the nearest body line of its article (log, negative before the
    body's first line; 10 in an article without one), and whether it stands between the
    body's first and last line."""
    index = np.arange(len(is_body))
    start = index - at.local
    # The last body row at or before each row, the first at or after it
    before = np.maximum.accumulate(np.where(is_body, index, -1))
    after = np.minimum.accumulate(np.where(is_body, index, len(index))[::-1])[::-1]
    has_before, has_after = before >= start, after < start + at.size
    far = len(index)
    distance = np.minimum(
        np.where(has_before, index - before, far), np.where(has_after, after - index, far)
    )
    signed = np.log1p(distance) * np.where(has_before, 1.0, -1.0)
    signed[~(has_before | has_after)] = 10.0
    return signed.astype(np.float32), (has_before & has_after).astype(np.float32)


def _run_lengths(flags: np.ndarray, at: _Offsets) -> np.ndarray:
    """Per line, the length of the run of consecutive flagged lines of its article it is
    in (0 if unflagged), log."""
    starts_run = np.empty(len(flags), dtype=bool)
    starts_run[0] = True
    starts_run[1:] = flags[1:] != flags[:-1]
    starts_run[at.starts] = True
    run = np.cumsum(starts_run) - 1
    lengths = np.where(flags, np.bincount(run)[run], 0)
    return np.log1p(lengths.astype(np.float32))


def _fill_window(rows: np.ndarray, at: _Offsets) -> None:
    """Copy the :data:`WINDOW_COLUMNS` of the lines at each :data:`WINDOW` offset into the
    window columns of ``rows``: -1 past the edges of the line's article."""
    picked = rows[:, _WINDOW_INDEX]
    width = len(_WINDOW_INDEX)
    for k, offset in enumerate(WINDOW):
        columns = rows[:, len(BASE_NAMES) + k * width : len(BASE_NAMES) + (k + 1) * width]
        if offset < 0:
            columns[-offset:] = picked[:offset]
            outside = at.local < -offset
        else:
            columns[:-offset] = picked[offset:]
            outside = at.local >= at.size - offset
        columns[outside] = -1.0
