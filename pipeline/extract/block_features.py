"""Features of each text block of a page (:mod:`.blocks`) for the block model.

Of the block: its length, link share, tag, landmarks and class/id name words, depth, place
in the page, whether it ends like a sentence. Against the page's own description of itself:
how much of it is in the title, the meta description and the JSON-LD ``articleBody``.
Against the candidate extractions (:mod:`.candidate_extractions`): whether each holds the
block, and how long each is against the page, so that the model learns when to trust which;
and the same for the neighbouring blocks, since article text comes in runs.
"""

from __future__ import annotations

import math
import re

from pipeline.extract.blocks import LANDMARKS, NAME_WORDS, Block
from pipeline.extract.page_context import PageContext, shingles

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?:;\"'”’)]\s*$")
TAGS = ("p", "h", "li", "pre", "td", "tr", "div", "other")
#: How many blocks on each side make a block's neighbourhood.
NEIGHBOURS = 2


def normalized(text: str) -> str:
    """Lower-cased words joined by single spaces, with a space at each end (for substring
    tests on word boundaries)."""
    return f" {' '.join(_WORD.findall(text.lower()))} "


def block_matrix(
    blocks: list[Block], context: PageContext, candidates: dict[str, str]
) -> list[list[float]]:
    """One feature row per block, in block order. ``candidates`` maps each name the model
    was trained with to its text, in the training order."""
    texts = [normalized(text) for text in candidates.values()]
    found = [shingles(text.split()) for text in texts]
    page_words = sum(b.words for b in blocks) or 1
    sizes = [math.log((len(t.split()) + 1) / (page_words + 1)) for t in texts]
    own = [_WORD.findall(b.text.lower()) for b in blocks]
    held = [_held(words, texts, found) for words in own]
    rows = []
    for index, block in enumerate(blocks):
        around = held[max(0, index - NEIGHBOURS) : index + NEIGHBOURS + 1]
        rows.append(
            [
                *_own(block, index, len(blocks)),
                *_against_page(own[index], context),
                *held[index],
                *(sum(h[c] for h in around) / len(around) for c in range(len(texts))),
                *sizes,
            ]
        )
    return rows


def feature_names(candidates: tuple[str, ...]) -> tuple[str, ...]:
    """The names of :func:`block_matrix`'s columns, for these candidates."""
    return (
        "log_words",
        "link_share",
        *(f"tag_{t}" for t in TAGS),
        *(f"in_{landmark}" for landmark in LANDMARKS),
        *(f"name_{word}" for word in NAME_WORDS),
        "depth",
        "position",
        "sentence_end",
        "title_share",
        "description_share",
        "article_body_share",
        *(f"held_by_{c}" for c in candidates),
        *(f"neighbours_held_by_{c}" for c in candidates),
        *(f"log_size_{c}" for c in candidates),
    )


def _own(block: Block, index: int, count: int) -> list[float]:
    tag = "h" if block.tag in ("h1", "h2", "h3", "h4", "h5", "h6") else block.tag
    tag = tag if tag in TAGS else "other"
    return [
        math.log1p(block.words),
        block.link_words / block.words,
        *(float(tag == t) for t in TAGS),
        *(float(landmark in block.landmarks) for landmark in LANDMARKS),
        *(float(word in block.names) for word in NAME_WORDS),
        float(block.depth),
        index / max(count - 1, 1),
        float(bool(_SENTENCE_END.search(block.text))),
    ]


def _held(words: list[str], texts: list[str], found: list[frozenset[int]]) -> list[float]:
    """The share of the block's shingles in each candidate; for a block too short to have
    one, whether its words occur in the candidate as they are."""
    own = shingles(words)
    if not own:
        joined = f" {' '.join(words)} "
        return [float(joined in text) for text in texts]
    return [len(own & other) / len(own) for other in found]


def _against_page(words: list[str], context: PageContext) -> list[float]:
    found = shingles(words)
    return [
        len(context.title.intersection(words)) / len(words),
        len(found & context.description) / len(found) if found else 0.0,
        len(found & context.article_body) / len(found) if found else 0.0,
    ]
