"""articles.text_unique: an article's body without the text whose canonical is elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_WORD = re.compile(r"\w")


def unique_part(
    text: str,
    article_id: str,
    duplicate_of_article: str | None,
    shared_start: int | None = None,
    shared_end: int | None = None,
) -> str | None:
    """What of one paragraph belongs in its article's ``text_unique``: all of it when its
    canonical is in the same article (or it has none); none of it when it duplicates a
    paragraph elsewhere as a whole; the text around the shared span when only that span is
    repeated elsewhere (a quote reprinted inside it, a merged paragraph), or None when what
    is left has no word."""
    if duplicate_of_article in (None, article_id):
        return text
    if shared_start is None or shared_end is None:
        return None
    rest = f"{text[:shared_start].rstrip()} {text[shared_end:].lstrip()}".strip()
    return rest if _WORD.search(rest) else None


def text_unique(
    paragraph_texts: Sequence[str],
    links_for_article: Iterable[dict],
    article_id: str,
    *,
    sep: str = "\n",
) -> str:
    """Join the paragraphs (in ``idx`` order) less what duplicates a paragraph in another
    article (:func:`unique_part`). ``links_for_article`` are this article's link rows (dicts
    with ``idx``, ``duplicate_of_article`` and optionally ``shared_start``/``shared_end``,
    e.g. ``links.filter(...).to_pylist()``); paragraphs without a link row are kept."""
    link_of = {row["idx"]: row for row in links_for_article}
    parts = []
    for i, text in enumerate(paragraph_texts):
        row = link_of.get(i, {})
        part = unique_part(
            text,
            article_id,
            row.get("duplicate_of_article"),
            row.get("shared_start"),
            row.get("shared_end"),
        )
        if part is not None:
            parts.append(part)
    return sep.join(parts)
