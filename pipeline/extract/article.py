"""The article text of a page: the blocks (:mod:`.blocks`) the trained block model keeps.

The model (``pipeline/models/html_blocks.json``, trained by ``python -m
benchmarks.train_blocks``) scores every text block of the page from its own features and
from which candidate extractions (:mod:`.candidates`) hold it (:mod:`.block_features`), and
keeps those it scores at or over its threshold. So it learns, from the gold pages, when
trafilatura's precision mode collapsed to an ad block and its recall mode or readability
found the article, and which of their extra lines are furniture.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from pipeline.extract.block_features import block_matrix, feature_names
from pipeline.extract.blocks import Block, page_blocks
from pipeline.extract.candidates import Page
from pipeline.extract.page_context import page_context
from pipeline.extract.tree_model import TreeModel, load_model

MODEL_FILE = "html_blocks.json"


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
    """The kept blocks, one per line ("" when the model keeps none)."""
    model = model or default_model()
    blocks, rows = page_rows(page, model.inputs)
    if not blocks:
        return ""
    keep = model.probabilities(rows) >= model.threshold
    return "\n".join(block.text for block, kept in zip(blocks, keep, strict=True) if kept)
