"""The paragraphs of one link run: their input columns and their canonical order."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.dedup.nodes import Key


class RunRows:
    """The rows of ``table`` (``PARAGRAPH_INPUT`` columns but the text) as Python lists,
    each row's ``rank`` in canonical order and its ``tier`` (the rank of its first
    criteria, cut off and published: rows of one tier tie on them)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        cols = table.drop_columns(["text"]).to_pydict()  # texts stay in Arrow
        self.article: list[str] = cols["article_id"]
        self.idx: list[int] = cols["idx"]
        self.published: list[str | None] = cols["published"]
        self.ingest: list[int] = cols["ingest_order"]
        self.truncated_given: list[bool | None] = cols["is_truncated"]
        self.truncated = [bool(t) for t in self.truncated_given]
        self.rank, self.tier = self._ranks()

    def __len__(self) -> int:
        return len(self.article)

    def key(self, row: int) -> Key:
        return (self.article[row], self.idx[row])

    def mark_cut_off(self, rows: Iterable[int]) -> None:
        """Rows found cut off: those of unknown truncation become truncated (and rank after
        the complete ones)."""
        changed = False
        for r in rows:
            if self.truncated_given[r] is None and not self.truncated[r]:
                self.truncated[r] = changed = True
        if changed:
            self.rank, self.tier = self._ranks()

    def _ranks(self) -> tuple[list[int], list[int]]:
        """Each row's position in canonical order: not cut off, earliest published (unknown
        last), first ingested, smallest id (lower ranks win); and its tier, the dense rank
        of the first two."""
        published = pc.rank(self.table["published"], tiebreaker="dense").to_numpy()  # nulls last
        article = pc.rank(self.table["article_id"], tiebreaker="dense")
        truncated = np.asarray(self.truncated, bool)
        order = np.lexsort(
            (
                np.asarray(self.idx),
                article.to_numpy(),
                np.asarray(self.ingest),
                published,
                truncated,
            )
        )
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        tier = truncated * (int(published.max(initial=0)) + 1) + published
        return rank.tolist(), tier.tolist()
