"""The vertices of the link graph: one per distinct new text and one per stored index row a
bucket (or a canonical) brought in, with the per-node arrays verification needs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.arrays import offsets_of, take_ragged
from pipeline.dedup.index import StoredIndex, id_table
from pipeline.dedup.pair_verification import NodeArrays
from pipeline.dedup.paragraph_features import Features

Key = tuple[str, int]

_STORED_COLUMNS = (
    "article_id, idx, fingerprint, published, ingest_order, is_truncated, ends_mid_sentence, "
    "n_words, "
    "canonical_article, canonical_idx, words"
)


class Nodes:
    def __init__(self, feats: Features) -> None:
        self.feats = feats
        self.keys: list[Key] = []
        self.rep_row: list[int] = []  # the representative row of a new text; -1 if stored
        self.stored_rows: dict[int, dict] = {}  # stored node -> its index columns
        self._stored_ids: dict[Key, int] = {}
        self._found_nodes: np.ndarray | None = None  # per row of stored_many's ``found``
        self._arrays: NodeArrays | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def add_new(self, key: Key, rep_row: int) -> int:
        self.keys.append(key)
        self.rep_row.append(rep_row)
        return len(self.keys) - 1

    def stored(self, key: Key) -> int:
        """The node of a stored row, registered on first sight (load() fetches its columns)."""
        if key not in self._stored_ids:
            self._stored_ids[key] = self.add_new(key, -1)
        return self._stored_ids[key]

    def stored_many(self, rows: np.ndarray, found: pa.Table) -> np.ndarray:
        """The nodes of the stored rows at positions ``rows`` (repeats allowed) of ``found``
        (article_id, idx; the same table on every call). Rows not seen yet are registered in
        ``found``'s (article_id, idx) order, so that node numbers (which break ties
        downstream) do not depend on the order of the index's answers."""
        if self._found_nodes is None:
            self._found_nodes = np.full(found.num_rows, -1, np.int64)
        unseen = np.zeros(found.num_rows, bool)
        unseen[rows] = True
        unseen = np.flatnonzero(unseen & (self._found_nodes < 0))
        ids = found.take(unseen)
        keys = zip(ids["article_id"].to_pylist(), ids["idx"].to_pylist(), strict=True)
        self._found_nodes[unseen] = [self.stored(k) for k in keys]
        return self._found_nodes[rows]

    def ragged_words(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The word hashes of ``nodes`` (stored ones must be loaded), flat, with offsets."""
        f = self.feats
        rep = np.array(self.rep_row, np.int64)[nodes]
        new_ids, stored_ids = np.flatnonzero(rep >= 0), np.flatnonzero(rep < 0)
        new_words, new_offsets = take_ragged(f.word_hash, f.word_offsets, rep[new_ids])
        lists = [self.stored_rows[n]["words"] for n in nodes[stored_ids].tolist()]
        stored_words = np.concatenate(lists) if lists else np.zeros(0, np.uint32)
        block_offsets = np.r_[
            new_offsets, new_offsets[-1] + offsets_of([len(w) for w in lists])[1:]
        ]
        position = np.empty(len(rep), np.int64)
        position[np.r_[new_ids, stored_ids]] = np.arange(len(rep))
        return take_ragged(np.concatenate([new_words, stored_words]), block_offsets, position)

    def load(self, index: StoredIndex) -> None:
        """Fetch the index columns of stored nodes not loaded yet, in one semi-join."""
        missing = [k for k, n in self._stored_ids.items() if n not in self.stored_rows]
        if not missing:
            return
        table = index.rows_by_id(id_table(missing), _STORED_COLUMNS)
        # Words stay numpy (one slice per row): as Python ints they cost ~36 bytes each.
        words = table["words"].combine_chunks()
        flat = words.flatten().to_numpy()
        offsets = offsets_of(pc.fill_null(pc.list_value_length(words), 0).to_numpy())
        for i, row in enumerate(table.drop_columns(["words"]).to_pylist()):
            row["words"] = flat[offsets[i] : offsets[i + 1]]
            self.stored_rows[self._stored_ids[(row["article_id"], row["idx"])]] = row

    def arrays(self) -> NodeArrays:
        """Word counts, cut-off flags and bigram sets of all nodes (extended when nodes were
        added since the last call)."""
        built = 0 if self._arrays is None else len(self._arrays.n_words)
        if self._arrays is None or built < len(self):
            more = self._build_arrays(built)
            self._arrays = more if self._arrays is None else self._arrays.extended(more)
        return self._arrays

    def _build_arrays(self, first: int) -> NodeArrays:
        """The arrays of nodes ``first`` and up."""
        rep = np.array(self.rep_row[first:], np.int64)
        new_ids, stored_ids = np.flatnonzero(rep >= 0), np.flatnonzero(rep < 0)
        f = self.feats
        stored = [self.stored_rows[first + n] for n in stored_ids.tolist()]
        words, offsets = self.ragged_words(np.arange(first, len(self)))
        n_words = np.empty(len(rep), np.int64)
        n_words[new_ids] = f.n_words[rep[new_ids]]
        n_words[stored_ids] = [row["n_words"] for row in stored]
        cut_off = np.empty(len(rep), bool)
        cut_off[new_ids] = f.ends_mid_sentence[rep[new_ids]]
        cut_off[stored_ids] = [row["ends_mid_sentence"] or row["is_truncated"] for row in stored]
        return NodeArrays.of_words(words, offsets, n_words, cut_off)
