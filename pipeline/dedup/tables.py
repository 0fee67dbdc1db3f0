"""The link stage's output tables: one link row per paragraph, and the new index rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from pipeline.arrays import list_array
from pipeline.dedup.exact import Group, Link
from pipeline.dedup.index import band_column, index_schema
from pipeline.dedup.near import NearStage
from pipeline.dedup.paragraph_features import Features
from pipeline.dedup.params import DedupParams
from pipeline.dedup.run_rows import RunRows
from pipeline.dedup.spans import SPAN_FIELDS, char_ranges

LINK_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("idx", pa.int32()),
        ("fingerprint", pa.int64()),
        ("duplicate_of_article", pa.string()),
        ("duplicate_of_idx", pa.int32()),
        ("similarity", pa.float32()),
        ("dup_kind", pa.string()),
        *SPAN_FIELDS,
    ]
)

#: Per row, its containment link's character spans (SPAN_FIELDS), None where unknown.
Spans = list[tuple[int | None, ...]]


def char_spans(rows: RunRows, n_words: np.ndarray, per_row: list[Link]) -> Spans:
    """Per row, the character spans of its containment link (SPAN_FIELDS): the shared
    text in the row's own text, and in its target's when the target is a row of this
    run (a stored target's text is not at hand)."""
    none = (None,) * len(SPAN_FIELDS)
    out: Spans = [link.chars or none for link in per_row]
    spanned = [r for r, link in enumerate(per_row) if link.words is not None]
    if not spanned:
        return out
    row_of = {key: r for r, key in enumerate(zip(rows.article, rows.idx, strict=True))}
    asked: list[tuple[int, int, int]] = []  # (row, first word, end word)
    for r in spanned:
        lo, hi, target_lo, target_hi = per_row[r].words  # type: ignore[misc]
        asked.append((r, lo, hi))
        asked.append((row_of.get(per_row[r].canonical, -1), target_lo, target_hi))
    texted = sorted({r for r, _, _ in asked if r >= 0})
    texts = rows.table["text"].take(pa.array(texted, pa.int64())).to_pylist()
    where = {r: i for i, r in enumerate(texted)}
    found = char_ranges(
        [t or "" for t in texts],
        n_words[texted],
        [(where.get(r, -1), lo, hi) for r, lo, hi in asked],
    )
    for k, r in enumerate(spanned):
        out[r] = (*(found[2 * k] or (None, None)), *(found[2 * k + 1] or (None, None)))
    return out


def links_table(
    rows: RunRows, fingerprint: np.ndarray, per_row: list[Link], spans: Spans
) -> pa.Table:
    """The LINK_SCHEMA rows, one per input row, in input order."""
    return pa.table(
        {
            **_span_columns(spans, range(len(per_row))),
            "article_id": rows.article,
            "idx": rows.idx,
            "fingerprint": fingerprint,
            "duplicate_of_article": [lk.canonical and lk.canonical[0] for lk in per_row],
            "duplicate_of_idx": [lk.canonical and lk.canonical[1] for lk in per_row],
            "similarity": [lk.similarity for lk in per_row],
            "dup_kind": [lk.kind for lk in per_row],
        },
        schema=LINK_SCHEMA,
    )


def index_table(
    rows: RunRows,
    f: Features,
    near: NearStage,
    params: DedupParams,
    live: list[int],
    links: dict[int, Link],
    reps: list[Group],
    spans: Spans,
) -> pa.Table:
    """Rows for the index: every new paragraph; words, sentence and band keys only for the
    representatives that went through the near stage (copies match by fingerprint)."""
    at = np.array(live, np.int64)
    rep_pos = np.full(len(rows), -1, np.int64)
    rep_pos[[g.rep for g in reps]] = np.arange(len(reps))
    pos = rep_pos[at]
    is_rep = pos >= 0
    canon = [links[r].canonical or rows.key(r) for r in live]
    cols: dict[str, pa.Array | list | np.ndarray] = {
        "article_id": [rows.article[r] for r in live],
        "idx": [rows.idx[r] for r in live],
        "fingerprint": f.fingerprint[at],
        "published": [rows.published[r] for r in live],
        "ingest_order": [rows.ingest[r] for r in live],
        "is_truncated": [rows.truncated[r] for r in live],
        "ends_mid_sentence": f.ends_mid_sentence[at],
        "n_words": f.n_words[at].astype(np.int32),
        "canonical_article": [c[0] for c in canon],
        "canonical_idx": [c[1] for c in canon],
        "similarity": [links[r].similarity for r in live],
        "dup_kind": [links[r].kind for r in live],
        "words": list_array(f.word_hash, f.word_offsets, at, is_rep),
        "sentence_keys": list_array(f.sentence_key, f.sentence_offsets, at, is_rep),
        "span_keys": _rep_list_column(near.spans, pos, is_rep),
        **_span_columns(spans, live),
    }
    bands = np.zeros((len(at), params.bands), np.int64)
    bands[is_rep] = near.bands[pos[is_rep]]
    for b in range(params.bands):
        cols[band_column(b)] = pa.array(bands[:, b], pa.int64(), mask=~is_rep)
    return pa.table(cols, schema=index_schema(params))


def _span_columns(spans: Spans, rows: Sequence[int]) -> dict[str, pa.Array]:
    return {
        name: pa.array([spans[r][i] for r in rows], pa.int32())
        for i, name in enumerate(SPAN_FIELDS.names)
    }


def _rep_list_column(
    ragged: tuple[np.ndarray, np.ndarray], pos: np.ndarray, is_rep: np.ndarray
) -> pa.Array:
    """A list array of the representatives' slices of ``ragged`` (``pos``: each row's
    position among the representatives), null on the other rows."""
    values, offsets = ragged
    return list_array(values, offsets, np.where(is_rep, pos, 0), is_rep)
