"""The record types that flow between the pipeline's stages.

reader -> Document -> extract -> Extracted -> strip -> Stripped -> (language, dedup, store)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BodyKind = Literal["text", "html"]

#: Every kind a removal can carry. The stripper's rule files may only use these.
REMOVAL_KINDS: tuple[str, ...] = (
    "paywall_appeal",
    "subscription_prompt",
    "cookie_notice",
    "social_widget",
    "comment_prompt",
    "navigation",
    "dateline_header",
    "byline_or_publish_meta",
    "syndication_credit",
    "related_link",
    "ad_marker",
    "photo_caption",
    "legal_notice",
    "duplicate_headline",
    "truncated_teaser",
    "other",
)


@dataclass(frozen=True, slots=True)
class Line:
    """One paragraph of an article's text and where it stood in the source text.

    ``source_line`` is the 0-based index of the physical line in the text the stripper
    received (blank lines counted): the file itself for text input, the extractor's output
    for HTML. ``None`` where no such line exists.
    """

    source_line: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Removal:
    """A line or fragment the stripper removed, and why. ``probability`` is the line
    model's probability of boilerplate for the line (``None`` where no model ran)."""

    source_line: int | None
    text: str
    kind: str
    rule: str
    probability: float | None = None


@dataclass(slots=True)
class Document:
    """One article as a reader found it, before extraction.

    ``body`` is the decoded text or HTML; the metadata fields are hints from the container
    (a sidecar file, WARC headers, a JSONL object) and may be ``None``.
    """

    source_path: str
    source_sha256: str
    source_format: str
    record_locator: str | None
    body: str
    body_kind: BodyKind
    url: str | None = None
    outlet: str | None = None
    published: str | None = None
    fetched_at: str | None = None


@dataclass(slots=True)
class Extracted:
    """An article's paragraphs and the metadata the extractor found."""

    document: Document
    lines: list[Line]
    title: str | None = None
    author: str | None = None
    published: str | None = None
    url: str | None = None
    outlet: str | None = None
    description: str | None = None


@dataclass(slots=True)
class Stripped:
    """What the stripper kept and removed, and the values it lifted from removed lines."""

    kept: list[Line]
    removed: list[Removal]
    title: str | None = None
    author: str | None = None
    published: str | None = None
    credits: list[str] = field(default_factory=list)
    #: version of the line model that decided (``None``: the rules alone)
    model: str | None = None
