"""The near stage: key columns of the representatives, candidate pairs, exact verification.

The long, non-furniture representatives get MinHash band keys, sentence keys and span keys;
every key column is joined against the stored index and grouped into candidate pairs; each
new text keeps a budget of them (those sharing the most keys); the pairs are verified
exactly on word bigrams.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pipeline.arrays import take_ragged
from pipeline.dedup.candidate_pairs import bucket_pairs, unique_pairs, within_budget
from pipeline.dedup.exact import Group
from pipeline.dedup.index import StoredIndex, band_column
from pipeline.dedup.minhash import lsh_band_keys
from pipeline.dedup.nodes import Nodes
from pipeline.dedup.pair_verification import Matches, verify_pairs
from pipeline.dedup.paragraph_features import Features
from pipeline.dedup.params import DedupParams
from pipeline.dedup.spans import span_keys

#: (index column name, keys, the node of each key)
KeyColumn = tuple[str, np.ndarray, np.ndarray]


class NearStage:
    """Matches representatives against each other and the index. After :meth:`match`,
    ``bands`` (representatives x bands) and ``spans`` (ragged span keys) hold the
    representatives' keys, in the order of ``reps``, for the index rows."""

    def __init__(
        self,
        feats: Features,
        nodes: Nodes,
        stored: StoredIndex,
        params: DedupParams,
        workers: int,
    ) -> None:
        self.feats, self.nodes, self.stored = feats, nodes, stored
        self.params, self.workers = params, workers
        self.bands = np.zeros((0, params.bands), np.int64)
        self.spans = (np.zeros(0, np.int64), np.zeros(1, np.int64))

    def match(self, reps: list[Group], stats: dict[str, int]) -> Matches:
        """The verified pairs among ``reps`` (sorted by rank) and the stored rows; counts
        go to ``stats``."""
        if not reps:
            return Matches.empty()
        self.bands = self._band_keys(reps)
        candidates, shared = self._candidates(self._key_columns(reps))
        stats["candidate_pairs"] = len(candidates)
        is_new = np.asarray(self.nodes.rep_row) >= 0
        candidates = within_budget(candidates, shared, self.params.candidate_budget, is_new)
        stats["verified_pairs"] = len(candidates)
        self.nodes.load(self.stored)
        matches = verify_pairs(candidates, self.nodes.arrays(), self.params)
        stats["verified_links"] = len(matches)
        return matches

    def _band_keys(self, reps: list[Group]) -> np.ndarray:
        rows = np.array([g.rep for g in reps], np.int64)
        if self.feats.bands is not None:
            return self.feats.bands[rows]
        words, offsets = take_ragged(self.feats.word_hash, self.feats.word_offsets, rows)
        return lsh_band_keys(words, offsets, self.params, self.workers)

    def _key_columns(self, reps: list[Group]) -> list[KeyColumn]:
        """The key columns per LSH band and for sentence and span keys, rows in canonical
        order (``reps`` are sorted by rank)."""
        rep_nodes = np.array([g.node for g in reps], np.int64)
        columns = [(band_column(b), self.bands[:, b], rep_nodes) for b in range(self.params.bands)]
        rows = np.array([g.rep for g in reps], np.int64)
        f = self.feats
        sentence_keys, offsets = take_ragged(f.sentence_key, f.sentence_offsets, rows)
        columns.append(("sentence_keys", sentence_keys, np.repeat(rep_nodes, np.diff(offsets))))
        words, word_offsets = take_ragged(f.word_hash, f.word_offsets, rows)
        p = self.params
        self.spans = span_keys(words, word_offsets, p.span_words, p.span_window)
        span_nodes = np.repeat(rep_nodes, np.diff(self.spans[1]))
        columns.append(("span_keys", self.spans[0], span_nodes))
        return columns

    def _candidates(self, columns: list[KeyColumn]) -> tuple[np.ndarray, np.ndarray]:
        """The distinct candidate pairs of all key columns and how many keys each shares."""
        members = self.stored.bucket_members([(name, keys) for name, keys, _ in columns])
        return unique_pairs(
            self._column_pairs(column, stored, members.rows)
            for column, stored in zip(columns, members.columns, strict=True)
        )

    def _column_pairs(
        self, column: KeyColumn, stored: tuple[np.ndarray, np.ndarray], found: pa.Table
    ) -> np.ndarray:
        """Pairs of one key column; its stored members (keys, rows of ``found``) come first,
        in the priority order the index returns them (capped per key)."""
        _, keys, nodes = column
        stored_keys, stored_rows = stored
        keys = np.concatenate([stored_keys, keys])
        nodes = np.concatenate([self.nodes.stored_many(stored_rows, found), nodes])
        is_new = np.r_[
            np.zeros(len(stored_keys), bool), np.ones(len(nodes) - len(stored_keys), bool)
        ]
        return bucket_pairs(keys, nodes, is_new, self.params.hot_bucket_cap)
