"""The article text of a page: the blocks (:mod:`.blocks`) the trained block model keeps.

The model (``pipeline/models/html_blocks.json``, trained by ``python -m
benchmarks.train_blocks``) scores every text block of the page from its own features and
from which candidate extractions (:mod:`.candidate_extractions`) hold it
(:mod:`.block_features`), and keeps those it scores at or over its threshold. So it learns,
from the gold pages, when trafilatura's precision mode collapsed to an ad block and its
recall mode or readability found the article, and which of their extra lines are furniture.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path

import numpy as np

from pipeline.extract.block_features import block_matrix, feature_names
from pipeline.extract.blocks import Block, page_blocks
from pipeline.extract.candidate_extractions import Page
from pipeline.extract.page_context import SHINGLE, page_context, words
from pipeline.extract.tree_model import TreeModel, load_model

MODEL_FILE = "html_blocks.json"
#: How much the kept blocks and a candidate must hold of each other for the candidate's
#: text to be taken (chosen by cross-validation by page on the gold sets, from 0.8-1.0).
AGREEMENT = 0.85


@cache
def default_model() -> TreeModel:
    with resources.as_file(resources.files("pipeline") / "models" / MODEL_FILE) as path:
        return load_model(Path(path))


def page_rows(page: Page, candidates: tuple[str, ...]) -> tuple[list[Block], np.ndarray]:
    """The page's blocks and their feature rows, read against these candidate extractions."""
    blocks = page_blocks(page.tree)
    texts = {name: page.candidate(name) for name in candidates}
    rows = block_matrix(blocks, page_context(page.tree), texts)
    columns = len(feature_names(candidates))
    return blocks, np.array(rows, dtype=float).reshape(len(blocks), columns)


def article_text(page: Page, model: TreeModel | None = None) -> str:
    """The article: the model's kept blocks, or a candidate's own text when it agrees with
    them (:func:`chosen_text`); "" when the model keeps nothing."""
    model = model or default_model()
    blocks, rows = page_rows(page, model.inputs)
    return chosen_text(page, kept_blocks(blocks, rows, model), model.inputs)


def kept_blocks(blocks: list[Block], rows: np.ndarray, model: TreeModel) -> list[Block]:
    """The blocks the model keeps, in page order."""
    if not blocks:
        return []
    keep = model.probabilities(rows) >= model.threshold
    return [block for block, kept in zip(blocks, keep, strict=True) if kept]


def chosen_text(page: Page, kept: list[Block], candidates: tuple[str, ...]) -> str:
    """The first candidate whose text and the kept blocks hold :data:`AGREEMENT` of each
    other's shingles and that keeps layout cells' blocks apart (:func:`fuses_cells`), else the kept
    blocks, one per line. When the model keeps what an extractor kept, the extractor's own
    rendering of it (its paragraphs, its joins of inline text) is the better text:
    cross-validated, this beats the blocks on both gold sets."""
    joined = "\n".join(block.text for block in kept)
    for name in candidates:
        text = page.candidate(name)
        if mutual_share(joined, text) >= AGREEMENT and not fuses_cells(kept, text):
            return text
    return joined


def fuses_cells(kept: list[Block], text: str) -> bool:
    """Whether one line of ``text`` runs on from a kept block into the next where either is
    one of several kept blocks of a table cell (a layout cell: an article's paragraphs, a
    menu's entries; every shingle across the two blocks' boundary is in one of its lines),
    as trafilatura's ``| cell | cell |`` line of a layout table's row does with the
    navigation cell and the article's paragraphs. Cells of one block each (a table of
    ``<td><p>42</p></td>`` cells) may run together: that is a data row. Outside tables, a
    heading and its paragraph may run together in one line (trafilatura's list items)."""
    per_cell = Counter(block.cell for block in kept if block.cell)
    inside = {shingle for line in text.split("\n") for shingle in _shingles(words(line))}
    for first, second in pairwise(kept):
        if per_cell[first.cell] > 1 or per_cell[second.cell] > 1:
            across = words(first.text)[1 - SHINGLE :] + words(second.text)[: SHINGLE - 1]
            found = _shingles(across)
            if found and all(shingle in inside for shingle in found):
                return True
    return False


def mutual_share(first: str, second: str) -> float:
    """The lesser of the shares of each text's 4-word shingles (a multiset) in the other."""
    one, two = _shingle_counts(first), _shingle_counts(second)
    if not one or not two:
        return 0.0
    common = sum((one & two).values())
    return min(common / sum(one.values()), common / sum(two.values()))


def _shingle_counts(text: str) -> Counter:
    return Counter(_shingles(words(text)))


def _shingles(found: list[str]) -> list[tuple[str, ...]]:
    return [tuple(found[i : i + SHINGLE]) for i in range(len(found) - SHINGLE + 1)]
