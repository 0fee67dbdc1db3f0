"""Corpus statistics: lines that recur across unrelated stories are page furniture.

A line that appears in many articles of one outlet ("Snow warning for part of West Sussex"
in a sidebar, a sign-off) is furniture; a quote that several outlets carry while covering one
story is not. To tell the two apart, each line key carries a sketch of the vocabulary of the
documents it appeared in: a bottom-k sample (KMV) of the union of their content-word hashes,
plus the summed vocabulary sizes. If the host documents share their vocabulary (one story),
the union barely grows with each new host; if they are unrelated, it grows by nearly a whole
document each time. The sketch merges associatively (bottom-k of a union is the bottom-k of
the union of bottom-k's), so partial tables from batches merge in any order and counts persist
across runs.

The same document must be counted once: the flow passes only documents not ingested before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from pipeline.gc_pause import cyclic_gc_paused
from pipeline.model import Line
from pipeline.normalize import NORMALIZER_VERSION
from pipeline.strip.memo import Memo
from pipeline.strip.text import content_words, line_key, simple_key, words

#: Sketch size: the union estimate's relative error is about 1/sqrt(K - 2), ~13%.
SKETCH_SIZE = 64
#: Longer lines are story paragraphs; they are not counted (keeps the table small).
MAX_COUNTED_WORDS = 64

LINE_STATS_SCHEMA = pa.schema(
    [
        pa.field("normalizer", pa.int32(), nullable=False),
        pa.field("outlet", pa.string()),
        pa.field("key", pa.int64(), nullable=False),
        pa.field("docs", pa.int64(), nullable=False),
        pa.field("terms", pa.int64(), nullable=False),
        pa.field("sketch", pa.list_(pa.int64()), nullable=False),
    ]
)


def _word_hash(word: str) -> int:
    return xxhash.xxh64_intdigest(word.encode()) - (1 << 63)


_WORD_HASHES = Memo(_word_hash)


def count_lines(docs: Iterable[tuple[str | None, Sequence[Line]]]) -> pa.Table:
    """Partial counts for one batch of new documents, given as ``(outlet, lines)`` pairs
    (with the cyclic GC paused: :mod:`pipeline.gc_pause`)."""
    with cyclic_gc_paused():
        return _count_lines(docs)


def _count_lines(docs: Iterable[tuple[str | None, Sequence[Line]]]) -> pa.Table:
    hosts: dict[tuple[str | None, int], list[int]] = {}  # (outlet, key) -> document numbers
    terms: list[int] = []
    sketches: list[list[int]] = []
    for outlet, lines in docs:
        doc = len(terms)
        keys, tokens = set(), []
        for line in lines:
            line_tokens = words(line.text)
            if 0 < len(line_tokens) <= MAX_COUNTED_WORDS:
                keys.add(line_key(line.text, simple_key(line_tokens)))
            tokens += line_tokens
        vocabulary = content_words(tokens, frozenset())
        terms.append(len(vocabulary))
        # The smallest hashes, then distinct: equal hashes of two words count once.
        sketches.append(bottom_k([sorted(map(_WORD_HASHES.__getitem__, vocabulary))[:SKETCH_SIZE]]))
        for key in keys:
            found = hosts.get((outlet, key))
            if found is None:
                hosts[(outlet, key)] = [doc]
            else:
                found.append(doc)
    return _to_table(hosts, terms, sketches)


def bottom_k(sketches: Iterable[Iterable[int]]) -> list[int]:
    """The ``SKETCH_SIZE`` smallest distinct hashes of the sketches' union, ascending: the
    sketch of the union of their documents' vocabularies."""
    return sorted(set().union(*sketches))[:SKETCH_SIZE]


def _to_table(
    hosts: dict[tuple[str | None, int], list[int]], terms: list[int], sketches: list[list[int]]
) -> pa.Table:
    """One row per (outlet, key). Most keys have one host document, whose sketch they share:
    Arrow converts each sketch once and repeats it with ``take``."""
    rows = sorted(hosts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
    which = []
    merged: dict[tuple[int, ...], int] = {}  # host documents -> their sketch's index
    for _, docs in rows:
        if len(docs) == 1:
            which.append(docs[0])
            continue
        # The lines of one page template, or of one story's copies, share their hosts.
        hosts_key = tuple(docs)
        if hosts_key not in merged:
            merged[hosts_key] = len(sketches)
            sketches.append(bottom_k(sketches[doc] for doc in docs))
        which.append(merged[hosts_key])
    sketch_type = LINE_STATS_SCHEMA.field("sketch").type
    return pa.table(
        {
            "normalizer": [NORMALIZER_VERSION] * len(rows),
            "outlet": [outlet for (outlet, _), _ in rows],
            "key": [key for (_, key), _ in rows],
            "docs": [len(docs) for _, docs in rows],
            "terms": [sum(map(terms.__getitem__, docs)) for _, docs in rows],
            "sketch": pa.array(sketches, sketch_type).take(pa.array(which, pa.int64())),
        },
        schema=LINE_STATS_SCHEMA,
    )


def distinct_stories(docs: int, terms: int, sketch: Sequence[int]) -> float:
    """How many documents' worth of distinct vocabulary the host documents hold: about 1
    for copies of one story, about ``docs`` for unrelated stories."""
    if docs == 0 or terms == 0:
        return 0.0
    if len(sketch) < SKETCH_SIZE:
        union = float(len(sketch))
    else:
        kth = (max(sketch) + (1 << 63) + 1) / float(1 << 64)
        union = (SKETCH_SIZE - 1) / kth
    return max(1.0, union / (terms / docs))


@dataclass(frozen=True, slots=True)
class Furniture:
    """Why a line counts as furniture: the rule id and the evidence strength (0..)."""

    rule: str
    score: float


@dataclass(slots=True)
class LineStats:
    """Lookup of recurring lines. ``min_docs`` documents are needed, spread over at least
    ``min_stories`` distinct stories (see :func:`distinct_stories`)."""

    by_outlet: dict[tuple[str | None, int], float]
    by_key: dict[int, float]
    min_docs: int = 3
    min_stories: float = 2.5

    @classmethod
    def from_table(
        cls, table: pa.Table, *, min_docs: int = 3, min_stories: float = 2.5
    ) -> LineStats:
        table = table.filter(pc.equal(table["normalizer"], NORMALIZER_VERSION))
        # Only keys seen in min_docs documents (in one outlet, or over all) can be furniture:
        # filtering first keeps the Python objects to the few recurring lines.
        totals = table.group_by("key").aggregate([("docs", "sum")])
        recurring = totals.filter(pc.greater_equal(totals["docs_sum"], min_docs))["key"]
        table = table.filter(pc.is_in(table["key"], value_set=recurring.combine_chunks()))
        merged: dict[int, tuple[list[int], list[int], list[Sequence[int]]]] = {}
        by_outlet: dict[tuple[str | None, int], float] = {}
        for outlet, key, docs, terms, sketch in zip(
            *(table[c].to_pylist() for c in ("outlet", "key", "docs", "terms", "sketch")),
            strict=True,
        ):
            if docs >= min_docs:
                by_outlet[(outlet, key)] = distinct_stories(docs, terms, sketch)
            row = merged.setdefault(key, ([], [], []))
            row[0].append(docs)
            row[1].append(terms)
            row[2].append(sketch)
        by_key = {
            key: distinct_stories(sum(docs), sum(terms), bottom_k(sketches))
            for key, (docs, terms, sketches) in merged.items()
            if sum(docs) >= min_docs
        }
        return cls(by_outlet, by_key, min_docs, min_stories)

    def furniture(self, key: int, outlet: str | None) -> Furniture | None:
        """Evidence that the line with ``key`` is furniture, or ``None``."""
        if outlet is not None:
            stories = self.by_outlet.get((outlet, key), 0.0)
            if stories >= self.min_stories:
                return Furniture("stats.outlet-recurring", 1.0 + min(stories, 10) / 20)
        stories = self.by_key.get(key, 0.0)
        if stories >= self.min_stories + 1:
            return Furniture("stats.corpus-recurring", 1.0 + min(stories, 10) / 20)
        return None

    def __len__(self) -> int:
        return len(self.by_outlet) + len(self.by_key)
