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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from pipeline.gc_pause import cyclic_gc_paused
from pipeline.normalize import NORMALIZER_VERSION
from pipeline.record_types import Line
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
    return _stories(docs, terms, len(sketch), max(sketch, default=0))


def _stories(docs: int, terms: int, size: int, largest: int) -> float:
    """:func:`distinct_stories` from the sketch's size and largest hash alone."""
    if docs == 0 or terms == 0:
        return 0.0
    if size < SKETCH_SIZE:
        union = float(size)
    else:
        kth = (largest + (1 << 63) + 1) / float(1 << 64)
        union = (SKETCH_SIZE - 1) / kth
    return max(1.0, union / (terms / docs))


def _sizes_and_largest(sketches: pa.ChunkedArray) -> tuple[list[int], list[int]]:
    """Each sketch's size and largest hash (0 for an empty one). Sketches are ascending, so
    the largest is the last: read in Arrow, without a Python list per sketch."""
    array = sketches.combine_chunks()
    sizes = pc.list_value_length(array).to_numpy(zero_copy_only=False)
    values = array.flatten().to_numpy(zero_copy_only=False)
    if not len(values):
        return sizes.tolist(), [0] * len(sizes)
    last = np.maximum(np.cumsum(sizes) - 1, 0)
    return sizes.tolist(), np.where(sizes > 0, values[last], 0).tolist()


def _stories_over_outlets(table: pa.Table, shared: dict[int, list[int]]) -> dict[int, float]:
    """:func:`distinct_stories` of each key in ``shared`` over its rows (in several
    outlets): documents and terms add up, the sketch is that of the union."""
    rows = pa.array([row for rows in shared.values() for row in rows], pa.int64())
    docs, terms, sketches = (table[c].take(rows).to_pylist() for c in ("docs", "terms", "sketch"))
    merged, start = {}, 0
    for key, key_rows in shared.items():
        end = start + len(key_rows)
        union = bottom_k(sketches[start:end])
        merged[key] = distinct_stories(sum(docs[start:end]), sum(terms[start:end]), union)
        start = end
    return merged


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
        # Only keys seen in min_docs documents (in one outlet, or over all) can be furniture:
        # the rows of others are dropped before the sketches are copied or converted.
        current = pc.equal(table["normalizer"], NORMALIZER_VERSION)
        counts = table.select(["key", "docs"]).filter(current)
        totals = counts.group_by("key").aggregate([("docs", "sum"), ("docs", "count")])
        recurring = totals.filter(pc.greater_equal(totals["docs_sum"], min_docs))
        wanted = pc.is_in(table["key"], value_set=recurring["key"].combine_chunks())
        table = table.filter(pc.and_(current, wanted))
        several = recurring.filter(pc.greater(recurring["docs_count"], 1))
        in_outlets = set(several["key"].to_pylist())
        by_outlet: dict[tuple[str | None, int], float] = {}
        by_key: dict[int, float] = {}
        shared: dict[int, list[int]] = {}  # key with rows in several outlets -> its rows
        columns = [table[c].to_pylist() for c in ("outlet", "key", "docs", "terms")]
        rows = zip(*columns, *_sizes_and_largest(table["sketch"]), strict=True)
        for row, (outlet, key, docs, terms, size, largest) in enumerate(rows):
            stories = _stories(docs, terms, size, largest)
            if docs >= min_docs:
                by_outlet[(outlet, key)] = stories
            if key in in_outlets:
                shared.setdefault(key, []).append(row)
            else:
                by_key[key] = stories
        by_key.update(_stories_over_outlets(table, shared))
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
