"""Page metadata trafilatura's own reader misses or shortens: ``og:site_name``,
``article:published_time`` (a full timestamp, where trafilatura keeps only the day) and
schema.org JSON-LD ``NewsArticle`` objects. Read from the lxml tree the extractor parses
anyway, in one walk over its meta, link and script elements."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from lxml.html import HtmlElement

_ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "BlogPosting",
        "OpinionNewsArticle",
        "Report",
        "LiveBlogPosting",
    }
)
_PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "date",
)
_META_FIELDS = {
    "og:site_name": "site_name",
    "og:title": "title",
    "og:url": "url",
    "og:description": "description",
    "description": "description",
    "author": "author",
    "article:author": "author",
}


@dataclass(slots=True)
class PageMetadata:
    title: str | None = None
    author: str | None = None
    published: str | None = None
    site_name: str | None = None
    url: str | None = None
    description: str | None = None


def page_metadata(tree: HtmlElement) -> PageMetadata:
    """Metadata from ``<meta>``/``<link rel=canonical>`` and JSON-LD; JSON-LD wins ties."""
    values, canonical, json_ld = _scan(tree)
    found = PageMetadata()
    for key, attr in _META_FIELDS.items():
        if key in values and getattr(found, attr) is None:
            setattr(found, attr, values[key])
    found.published = next((values[k] for k in _PUBLISHED_KEYS if k in values), None)
    if canonical and canonical.strip():
        found.url = canonical.strip()
    for obj in _json_ld_articles(json_ld):
        _from_json_ld(obj, found)
    return found


def _scan(tree: HtmlElement) -> tuple[dict[str, str], str | None, list[str]]:
    """One walk over the page's ``<meta>``, ``<link>`` and ``<script>`` elements: each meta
    key's first content, the first canonical link's URL and the JSON-LD texts."""
    values: dict[str, str] = {}
    canonical: str | None = None
    json_ld: list[str] = []
    for element in tree.iter("meta", "link", "script"):
        if element.tag == "meta":
            key = element.get("property") or element.get("name") or element.get("itemprop")
            content = (element.get("content") or "").strip()
            if key and content:
                values.setdefault(key.lower(), content)
        elif element.tag == "link":
            if canonical is None and (element.get("rel") or "").lower() == "canonical":
                canonical = element.get("href")
        elif element.get("type") == "application/ld+json":
            json_ld.append(element.text or "")
    return values, canonical, json_ld


def _from_json_ld(obj: dict, found: PageMetadata) -> None:
    found.title = _text(obj.get("headline")) or found.title
    found.published = _text(obj.get("datePublished")) or found.published
    found.author = _names(obj.get("author")) or found.author
    found.site_name = _names(obj.get("publisher")) or found.site_name
    found.description = _text(obj.get("description")) or found.description


def _json_ld_articles(texts: list[str]) -> Iterator[dict]:
    for text in texts:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        yield from _articles(data)


def _articles(data: object) -> Iterator[dict]:
    """Article-typed objects in a JSON-LD value, looking into lists and ``@graph``."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        elif isinstance(item, dict):
            types = item.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and t in _ARTICLE_TYPES for t in types):
                yield item
            pending.append(item.get("@graph"))


def _names(value: object) -> str | None:
    """``"A"``, ``{"name": "A"}`` or a list of either -> ``"A; B"``."""
    items = value if isinstance(value, list) else [value]
    names = [_text(i.get("name") if isinstance(i, dict) else i) for i in items]
    return "; ".join(n for n in names if n) or None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
