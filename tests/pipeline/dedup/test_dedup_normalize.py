"""normalize_for_match's fast paths give the output of the reference definition."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedup.paragraph_features import _BREAK_CHARS, _text_features, extract_features
from pipeline.normalize import match_key, normalize_for_match

_QUOTES_AND_DASHES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'", "\u2010": "-", "\u2011": "-",
        "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    }
)  # fmt: skip


def reference(text: str) -> str:
    """The original, plainly written definition (NORMALIZER_VERSION 1)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES_AND_DASHES))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+|_+", " ", folded).split())


MIXED = st.text(
    st.one_of(
        st.characters(max_codepoint=0x7F),
        st.sampled_from("áéíóúñçøßÆœ‘’“”«»–—´`′″‐ﬁ①²ǅİſ\u0301\u0327_"),
        # Paragraphs come out of Arrow (UTF-8), which cannot hold lone surrogates.
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=40,
)


@settings(max_examples=2000, deadline=None)
@given(MIXED)
def test_same_output_as_the_reference_definition(text: str) -> None:
    assert normalize_for_match(text) == reference(text)


def test_variants_share_a_key() -> None:
    assert (
        normalize_for_match("Óscar Pérez’s “Rambo” — shoot-out") == "oscar perez s rambo shoot out"
    )
    assert match_key("Óscar Pérez said “no”.") == match_key('oscar perez SAID "no"')
    assert normalize_for_match("Ελλάδα, Москва") == "ελλαδα москва"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from("ab é.!?”’) \n\u0301"), max_size=30), max_size=5))
def test_sentence_split_fingerprint_equals_match_key(texts: list[str]) -> None:
    """The dedup fingerprint is built from normalised sentences; it must be match_key."""
    fingerprints = extract_features(texts, min_sentence_words=1).fingerprint.tolist()
    assert fingerprints == [match_key(t) for t in texts]


SIMPLE = st.text(
    st.one_of(st.characters(max_codepoint=0x7F), st.sampled_from(_BREAK_CHARS + " .!?\n\x85")),
    max_size=60,
)


#: Simple text with two-byte characters (accented letters, which the kernels take spelt in
#: ASCII, and the other letters, marks and symbols of U+0080-U+07FF).
TWO_BYTE = st.text(
    st.one_of(
        st.characters(max_codepoint=0x7F),
        st.sampled_from(_BREAK_CHARS + " .!?\n"),
        st.characters(min_codepoint=0x80, max_codepoint=0x7FF, blacklist_categories=("Cs",)),
    ),
    max_size=60,
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(SIMPLE, MIXED, TWO_BYTE), max_size=6), st.integers(1, 4))
def test_vectorised_features_equal_the_per_text_path(texts: list[str], min_words: int) -> None:
    """The Arrow kernels for simple text give what the per-text Python path gives."""
    _assert_per_text_features(texts, min_words)


def test_every_two_byte_character_keeps_its_features() -> None:
    """Each character of U+0080-U+07FF inside, ending and starting a sentence."""
    texts = []
    for c in range(0x80, 0x800):
        ch = chr(c)
        texts += [ch, f"{ch}x y.", f"Ab {ch}. Cd e{ch}f! G h i", f"word {ch}{ch} “q {ch}”"]
    _assert_per_text_features(texts, 2)


def _assert_per_text_features(texts: list[str], min_words: int) -> None:
    got = extract_features(texts, min_words)
    for i, text in enumerate(texts):
        want = _text_features(text, min_words)
        keys = got.sentence_key[got.sentence_offsets[i] : got.sentence_offsets[i + 1]]
        assert got.fingerprint[i] == want.fingerprint == match_key(text)
        assert keys.tolist() == want.sentence_keys
        assert got.ends_mid_sentence[i] == want.cut_off
        assert got.n_words[i] == len(want.normalised.split())
