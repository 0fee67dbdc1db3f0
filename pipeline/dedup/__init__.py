"""Near-duplicate paragraph linking (exact, near and contained) across articles and runs.

See docs/dedup.md for the algorithm, the parameters and the index layout.
"""

from pipeline.dedup.index import index_metadata, index_schema
from pipeline.dedup.link import PARAGRAPH_INPUT, DedupResult, link_paragraphs
from pipeline.dedup.params import DedupParams
from pipeline.dedup.tables import LINK_SCHEMA
from pipeline.dedup.unique import text_unique

__all__ = [
    "LINK_SCHEMA",
    "PARAGRAPH_INPUT",
    "DedupParams",
    "DedupResult",
    "index_metadata",
    "index_schema",
    "link_paragraphs",
    "text_unique",
]
