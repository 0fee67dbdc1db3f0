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

from pipeline.arrays import offsets_of, ragged_of_list, take_ragged
from pipeline.dedup.minhash import lsh_band_keys
from pipeline.dedup.params import DedupParams
from pipeline.normalize import fold_non_ascii, normalize_for_match

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
    #: int64 (paragraphs x bands): LSH band keys, where computed with the features (zeros in
    #: the rows under ``min_words``, which the near stage skips)
    bands: np.ndarray | None = None


#: The features of a paragraph as columns beside it: the strip workers compute them in
#: parallel (:func:`feature_columns`) and the link stage reads them back
#: (:func:`features_of_table`) instead of computing them alone.
FEATURE_FIELDS = (
    pa.field("feature_fingerprint", pa.int64()),
    pa.field("feature_words", pa.large_list(pa.uint32())),
    pa.field("feature_sentence_keys", pa.large_list(pa.int64())),
    pa.field("feature_ends_mid_sentence", pa.bool_()),
    pa.field("feature_bands", pa.large_list(pa.int64())),  # empty under min_words
)


def feature_columns(texts: Sequence[str], params: DedupParams) -> pa.Table:
    """:func:`extract_features` of ``texts`` and the LSH band keys of those of
    ``params.min_words`` words or more, as a table of :data:`FEATURE_FIELDS`."""
    f = extract_features(texts, params.min_sentence_words)
    banded = np.flatnonzero(f.n_words >= params.min_words)
    bands = np.zeros((len(banded), params.bands), np.int64)
    if len(banded):
        words, offsets = take_ragged(f.word_hash, f.word_offsets, banded)
        bands = lsh_band_keys(words, offsets, params)
    band_counts = np.zeros(len(f.n_words), np.int64)
    band_counts[banded] = params.bands
    return pa.table(
        [
            pa.array(f.fingerprint, pa.int64()),
            pa.LargeListArray.from_arrays(f.word_offsets, f.word_hash),
            pa.LargeListArray.from_arrays(f.sentence_offsets, f.sentence_key),
            pa.array(f.ends_mid_sentence, pa.bool_()),
            pa.LargeListArray.from_arrays(offsets_of(band_counts), bands.ravel()),
        ],
        schema=pa.schema(FEATURE_FIELDS),
    )


def features_of_table(table: pa.Table, params: DedupParams) -> Features:
    """The :class:`Features` of the rows of ``table``, from its :data:`FEATURE_FIELDS`
    (computed with ``params``)."""
    words, word_offsets = ragged_of_list(table["feature_words"])
    sentence_keys, sentence_offsets = ragged_of_list(table["feature_sentence_keys"])
    band_values, band_offsets = ragged_of_list(table["feature_bands"])
    bands = np.zeros((table.num_rows, params.bands), np.int64)
    bands[np.diff(band_offsets) > 0] = band_values.reshape(-1, params.bands)
    return Features(
        fingerprint=table["feature_fingerprint"].to_numpy(),
        word_hash=words.astype(np.uint32, copy=False),
        word_offsets=word_offsets,
        sentence_key=sentence_keys.astype(np.int64, copy=False),
        sentence_offsets=sentence_offsets,
        ends_mid_sentence=table["feature_ends_mid_sentence"].to_numpy(zero_copy_only=False),
        n_words=np.diff(word_offsets),
        bands=bands,
    )


def _signed64(digest: int) -> int:
    return digest - (1 << 63)


def extract_features(texts: Sequence[str] | pa.Array, min_sentence_words: int) -> Features:
    """Normalise every distinct paragraph once and derive all matching features from that
    (wire copy repeats verbatim across outlets, so repeated texts are looked up). ``texts``
    is a list or an Arrow string array, without nulls.

    Texts of ASCII and common typographic punctuation (most news prose), also once their
    accented Latin letters are spelt in ASCII (:func:`_fold_letters`), are normalised and
    split by Arrow kernels, a block of distinct texts at a time; the others one by one in
    Python."""
    strings = (
        texts.cast(pa.large_string())
        if isinstance(texts, pa.Array)
        else pa.array(texts, pa.large_string())
    )
    encoded = pc.dictionary_encode(strings)
    distinct = encoded.dictionary
    starts = range(0, max(len(distinct), 1), _TEXTS_PER_BLOCK)
    blocks = [
        _block_features(distinct.slice(lo, _TEXTS_PER_BLOCK), min_sentence_words) for lo in starts
    ]
    # Features come block by block, each in its own order; ``at`` maps rows to them.
    order = np.concatenate([b.order + lo for lo, b in zip(starts, blocks, strict=True)])
    position = np.empty(len(distinct), np.int64)
    position[order] = np.arange(len(distinct))
    at = position[encoded.indices.to_numpy()]
    word_hash, word_offsets = take_ragged(*_concat_ragged([b.words for b in blocks]), at)
    sentences = _concat_ragged([b.sentences for b in blocks])
    sentence_key, sentence_offsets = take_ragged(*sentences, at)
    return Features(
        fingerprint=np.concatenate([b.fingerprint for b in blocks])[at],
        word_hash=word_hash,
        word_offsets=word_offsets,
        sentence_key=sentence_key,
        sentence_offsets=sentence_offsets,
        ends_mid_sentence=np.concatenate([b.cut_off for b in blocks])[at],
        n_words=np.diff(word_offsets),
    )


#: Distinct texts normalised at a time: a block's byte arrays stay small enough for malloc
#: to reuse the memory freed by the block before (it maps larger ones afresh from the
#: kernel, whose page faults then cost as much as the normalisation).
_TEXTS_PER_BLOCK = 16_384


class _Block(NamedTuple):
    """Features of a block of distinct texts, in the order ``order`` (of the block's texts)."""

    order: np.ndarray
    fingerprint: np.ndarray
    words: tuple[np.ndarray, np.ndarray]  # word hashes, offsets
    sentences: tuple[np.ndarray, np.ndarray]  # sentence keys, offsets
    cut_off: np.ndarray


def _block_features(distinct: pa.Array, min_sentence_words: int) -> _Block:
    """The features of distinct texts: first those the kernels take, then the others."""
    simple = _is_simple(distinct)
    # Accented Latin letters spelt in ASCII make most other texts simple too.
    other = np.flatnonzero(~simple)
    folded = _fold_letters(distinct.take(pa.array(other)))
    now_simple = _is_simple(folded)
    kernel = _kernel_features(
        pa.concat_arrays([distinct.filter(pa.array(simple)), folded.filter(pa.array(now_simple))]),
        min_sentence_words,
    )
    python_rows = other[~now_simple]
    python = _python_features(distinct.take(pa.array(python_rows)), min_sentence_words)
    return _Block(
        order=np.r_[np.flatnonzero(simple), other[now_simple], python_rows],
        fingerprint=np.r_[kernel.fingerprint, python.fingerprint],
        words=_hash_words(pa.concat_arrays([kernel.normalised, python.normalised])),
        sentences=_concat_ragged(
            [
                (kernel.sentence_keys, kernel.sentence_offsets),
                (python.sentence_keys, python.sentence_offsets),
            ]
        ),
        cut_off=np.r_[kernel.cut_off, python.cut_off],
    )


def _concat_ragged(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Ragged arrays (values, offsets from 0) one after the other, as one."""
    values = np.concatenate([v for v, _ in parts])
    ends = np.cumsum([len(v) for v, _ in parts])
    offsets = np.concatenate(
        [np.zeros(1, np.int64)]
        + [o[1:] + end - len(v) for (v, o), end in zip(parts, ends, strict=True)]
    )
    return values, offsets


class _Distinct(NamedTuple):
    """Features of distinct texts, before they are spread over the rows holding them."""

    normalised: pa.Array  # large_string
    fingerprint: np.ndarray
    sentence_keys: np.ndarray
    sentence_offsets: np.ndarray
    cut_off: np.ndarray


#: Non-ASCII characters that normalise to a word break and that Python's ``\s`` does not match
#: (but the no-break space, which _SPACE has): quotes, dashes, the ellipsis, common symbols,
#: C1 controls, the zero-width space and the replacement character.
_BREAK_CHARS = (
    "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2010\u2011\u2012\u2013\u2014\u2015"
    "\u2026\u2032\u2033\u2039\u203a\u00ab\u00bb\u00b7\u2022\u00a3\u20ac\u00a2\u00a5\u00a7"
    "\u00a9\u00ae\u00b0\u00b1\u00d7\u00f7\u00b6\u2020\u2021\u200b\ufffd\u00a0"
    + "".join(chr(c) for c in range(0x80, 0xA0) if c != 0x85)
)
#: Text the Arrow kernels and the byte fold below normalise exactly as normalize_for_match.
_SIMPLE_TEXT = "^[\\x00-\\x7f" + "".join(f"\\x{{{ord(c):x}}}" for c in _BREAK_CHARS) + "]*$"
#: What Python's ``\s`` and ``str.rstrip`` take for whitespace among those characters.
_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \xa0"
#: _SENTENCE_BREAK for simple text, in RE2.
_SENTENCE_BREAK_RE2 = r"[.!?\x{2026}][\"'\x{201d}\x{2019})\]]?[\t\n\x0b\x0c\r\x1c-\x1f \x{a0}]+"


def _kernel_features(strings: pa.Array, min_sentence_words: int) -> _Distinct:
    """The sentences are normalised, and each text is its non-empty normalised sentences
    joined by spaces (a sentence break normalises to a word separator)."""
    pieces = pc.split_pattern_regex(strings, _SENTENCE_BREAK_RE2)
    piece_texts = _normalise_simple(pieces.flatten())
    piece_words = pc.add(pc.count_substring(piece_texts, " "), 1).to_numpy()
    non_empty = pc.binary_length(piece_texts).to_numpy() > 0
    keep = non_empty & (piece_words >= min_sentence_words)
    owner = np.repeat(np.arange(len(strings)), pc.list_value_length(pieces).to_numpy())
    sentences = pa.LargeListArray.from_arrays(
        offsets_of(np.bincount(owner[non_empty], minlength=len(strings))),
        piece_texts.filter(pa.array(non_empty)),
    )
    normalised = pc.binary_join(sentences, pa.scalar(" ", pa.large_string()))
    last = pc.utf8_slice_codeunits(pc.utf8_rtrim(strings, characters=_SPACE), -1)
    return _Distinct(
        normalised,
        _hash64(normalised.cast(pa.large_binary()).to_pylist()),
        _hash64(piece_texts.filter(pa.array(keep)).cast(pa.large_binary()).to_pylist()),
        offsets_of(np.bincount(owner[keep], minlength=len(strings))),
        pc.match_substring_regex(last, "[A-Za-z0-9_]").to_numpy(zero_copy_only=False),
    )


def _is_simple(strings: pa.Array) -> np.ndarray:
    return pc.match_substring_regex(strings, _SIMPLE_TEXT).to_numpy(zero_copy_only=False)


def _letter_folds() -> np.ndarray:
    """Per code point under U+0800 (two UTF-8 bytes), the one or two ASCII bytes of its
    folded spelling (``pipeline.normalize``'s per-character fold; 0 for none) when it is a
    letter or digit that folds to ASCII letters and digits (é, É, ß, ²), else zeros.

    Such a character normalises as its fold does, is a word character like it, and takes
    no part in sentence breaks or in the cut-off test (a letter or digit ends mid-sentence
    either way), so a text spelt with the folds has the original's features."""
    table = np.zeros((0x800, 2), np.uint8)
    for c in range(0x80, 0x800):
        folded = fold_non_ascii(chr(c)) if chr(c).isalnum() else None
        if folded and len(folded) <= 2 and folded.isascii() and folded.isalnum():
            table[c, : len(folded)] = list(folded.encode())
    return table


_LETTER_FOLDS = _letter_folds()


def _fold_letters(strings: pa.Array) -> pa.Array:
    """``strings`` (large_string) with every two-byte character of :data:`_LETTER_FOLDS`
    spelt in its ASCII fold, on the UTF-8 bytes in numpy."""
    raw, bounds = _utf8_bytes(strings)
    lead = np.flatnonzero((raw[:-1] >= 0xC2) & (raw[:-1] <= 0xDF))
    point = ((raw[lead].astype(np.int64) & 0x1F) << 6) | (raw[lead + 1] & 0x3F)
    fold = _LETTER_FOLDS[point]
    lead, fold = lead[fold[:, 0] > 0], fold[fold[:, 0] > 0]
    out = raw.copy()
    out[lead], out[lead + 1] = fold[:, 0], fold[:, 1]
    keep = np.ones(len(raw), bool)
    keep[lead + 1] = fold[:, 1] > 0
    return _string_array(out[keep], _kept_counts(keep, bounds))


def _utf8_bytes(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of a large_string array without nulls, and each string's byte
    bounds into them (n + 1 entries, starting at 0)."""
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, np.int64)[strings.offset : strings.offset + len(strings) + 1]
    if not len(strings):
        return np.zeros(0, np.uint8), np.zeros(1, np.int64)
    return np.frombuffer(data, np.uint8)[bounds[0] : bounds[-1]], bounds - bounds[0]


def _kept_counts(keep: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Per string (``bounds`` from :func:`_utf8_bytes`), how many of its bytes ``keep``:
    its length less the bytes dropped in it (few; a bool ``reduceat`` is much slower)."""
    owner = np.searchsorted(bounds, np.flatnonzero(~keep), side="right") - 1
    return np.diff(bounds) - np.bincount(owner, minlength=len(bounds) - 1)


def _string_array(data: np.ndarray, counts: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(
        pa.large_string(),
        len(counts),
        [None, pa.py_buffer(offsets_of(counts)), pa.py_buffer(data)],
    )


#: normalize_for_match on the UTF-8 bytes of simple text, before spaces are collapsed: ASCII
#: letters and digits lower-cased, every other byte a space (in simple text, non-ASCII bytes
#: only spell _BREAK_CHARS).
_FOLD = np.array(
    [c + 32 * (65 <= c <= 90) if c < 128 and chr(c).isalnum() else 32 for c in range(256)],
    np.uint8,
)


def _normalise_simple(strings: pa.Array) -> pa.Array:
    """normalize_for_match of each simple text (a large_string array without nulls), on the
    bytes in numpy: fold, drop every space that follows a space, trim the ends.

    A space dropped across two strings' boundary is a leading space, which the trim would
    remove anyway."""
    raw, bounds = _utf8_bytes(strings)
    folded = _FOLD[raw]
    space = folded == 32
    keep = ~(space & np.r_[False, space[:-1]])
    collapsed = _string_array(folded[keep], _kept_counts(keep, bounds))
    return pc.utf8_trim(collapsed, characters=" ")


def _hash64(texts: list[bytes]) -> np.ndarray:
    """Signed xxh64 of each text (== match_key of a normalised text)."""
    return np.fromiter((_signed64(xxhash.xxh64_intdigest(t)) for t in texts), np.int64, len(texts))


def _python_features(strings: pa.Array, min_sentence_words: int) -> _Distinct:
    found = [_text_features(t, min_sentence_words) for t in strings.to_pylist()]
    return _Distinct(
        pa.array([t.normalised for t in found], pa.large_string()),
        np.fromiter((t.fingerprint for t in found), np.int64, len(found)),
        np.fromiter((k for t in found for k in t.sentence_keys), np.int64),
        offsets_of(np.fromiter((len(t.sentence_keys) for t in found), np.int64, len(found))),
        np.fromiter((t.cut_off for t in found), bool, len(found)),
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


def _hash_words(strings: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """32-bit xxhash of every word, hashing each distinct word once (Arrow dictionary)."""
    strings = pc.if_else(pc.equal(strings, ""), pa.scalar(None, pa.large_string()), strings)
    lists = pc.split_pattern(strings, " ")
    offsets = lists.offsets.to_numpy().astype(np.int64)
    encoded = pc.dictionary_encode(lists.flatten())
    distinct = encoded.dictionary.cast(pa.large_binary()).to_pylist()
    hashes = np.fromiter((xxhash.xxh32_intdigest(w) for w in distinct), np.uint32, len(distinct))
    return hashes[encoded.indices.to_numpy()], offsets - offsets[0]
