"""Per-paragraph matching features: fingerprint, word hashes, sentence keys, cut-off flag.

The only per-paragraph Python loop of the stage lives here (normalisation); everything after
it works on flat numpy arrays with an offsets vector per paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from pipeline.normalize import normalize_for_match

# A sentence ends at punctuation (optionally closed by a quote or bracket) before whitespace.
# The break normalises to a word separator, so the normalised sentences joined by spaces are
# exactly the normalised paragraph.
_SENTENCE_BREAK = re.compile(r"[.!?…][\"'”’)\]]?\s+")


@dataclass(frozen=True, slots=True)
class Features:
    """Matching features of n paragraphs; ``*_offsets`` have n + 1 entries."""

    fingerprint: np.ndarray  # int64, == pipeline.normalize.match_key(text)
    word_hash: np.ndarray  # uint32, all paragraphs' words in order
    word_offsets: np.ndarray  # int64
    sentence_key: np.ndarray  # int64, sentences of at least min_sentence_words words
    sentence_offsets: np.ndarray  # int64
    ends_mid_sentence: np.ndarray  # bool: last character is a word character
    n_words: np.ndarray  # int64, words per paragraph


def _signed64(digest: int) -> int:
    return digest - (1 << 63)


def extract_features(texts: Sequence[str], min_sentence_words: int) -> Features:
    """Normalise every distinct paragraph once and derive all matching features from that
    (wire copy repeats verbatim across outlets, so repeated texts are looked up)."""
    seen: dict[str, _TextFeatures] = {}
    per_text = []
    for text in texts:
        found = seen.get(text)
        if found is None:
            found = seen[text] = _text_features(text, min_sentence_words)
        per_text.append(found)
    word_hash, word_offsets = _hash_words([t.normalised for t in per_text])
    return Features(
        fingerprint=np.fromiter((t.fingerprint for t in per_text), np.int64, len(per_text)),
        word_hash=word_hash,
        word_offsets=word_offsets,
        sentence_key=np.fromiter((k for t in per_text for k in t.sentence_keys), np.int64),
        sentence_offsets=offsets_of(
            np.fromiter((len(t.sentence_keys) for t in per_text), np.int64, len(per_text))
        ),
        ends_mid_sentence=np.fromiter((t.cut_off for t in per_text), bool, len(per_text)),
        n_words=np.diff(word_offsets),
    )


class _TextFeatures(NamedTuple):
    normalised: str
    fingerprint: int
    sentence_keys: list[int]
    cut_off: bool


def _text_features(text: str, min_sentence_words: int) -> _TextFeatures:
    pieces = [p for p in map(normalize_for_match, _SENTENCE_BREAK.split(text)) if p]
    norm = " ".join(pieces)  # == normalize_for_match(text): breaks normalise to a space
    fingerprint = _signed64(xxhash.xxh64_intdigest(norm.encode()))
    keys = [
        fingerprint if len(pieces) == 1 else _signed64(xxhash.xxh64_intdigest(p.encode()))
        for p in pieces
        if p.count(" ") + 1 >= min_sentence_words
    ]
    last = text.rstrip()[-1:]
    return _TextFeatures(norm, fingerprint, keys, last.isalnum() or last == "_")


def take_ragged(
    values: np.ndarray, offsets: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The slices ``values[offsets[r]:offsets[r + 1]]`` of ``rows``, flat, with new offsets."""
    counts = offsets[rows + 1] - offsets[rows]
    new_offsets = offsets_of(counts)
    starts = np.repeat(offsets[rows] - new_offsets[:-1], counts)
    return values[starts + np.arange(new_offsets[-1])], new_offsets


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted, in place of ``values`` (numpy's hash-based ``np.unique``
    is several times slower on the int64 codes of this stage)."""
    values.sort()
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def offsets_of(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _hash_words(normalised: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """32-bit xxhash of every word, hashing each distinct word once (Arrow dictionary)."""
    strings = pa.array(normalised, type=pa.large_string())
    strings = pc.if_else(pc.equal(strings, ""), pa.scalar(None, pa.large_string()), strings)
    lists = pc.split_pattern(strings, " ")
    offsets = lists.offsets.to_numpy().astype(np.int64)
    encoded = pc.dictionary_encode(lists.flatten())
    distinct = encoded.dictionary.to_pylist()
    hashes = np.fromiter(
        (xxhash.xxh32_intdigest(w.encode()) for w in distinct), np.uint32, len(distinct)
    )
    return hashes[encoded.indices.to_numpy()], offsets - offsets[0]
