"""articles.text_unique: an article's body without paragraphs whose canonical is elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def text_unique(
    paragraph_texts: Sequence[str],
    links_for_article: Iterable[dict],
    article_id: str,
    *,
    sep: str = "\n",
) -> str:
    """Join the paragraphs (in ``idx`` order) that are not duplicates of a paragraph in another
    article. ``links_for_article`` are this article's link rows (dicts with ``idx`` and
    ``duplicate_of_article``, e.g. ``links.filter(...).to_pylist()``); paragraphs without a
    link row are kept."""
    elsewhere = {
        row["idx"]
        for row in links_for_article
        if row.get("duplicate_of_article") not in (None, article_id)
    }
    return sep.join(t for i, t in enumerate(paragraph_texts) if i not in elsewhere)
