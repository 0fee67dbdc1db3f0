"""Page metadata as ``trafilatura.bare_extraction(..., with_metadata=True)`` reads it, for the
fields the pipeline keeps (title, author, url, site name, description, date) only.

trafilatura's metadata pass also collects categories, tags and a licence, with XPath queries
that cost about as much as the kept fields (together a third of its time on a news page),
and always searches the page for a date, which the pipeline needs only when the page's meta
tags give none. This module runs trafilatura's own functions for the kept fields in the order
``trafilatura.metadata.extract_metadata`` runs them, so the values are the same.
"""

from __future__ import annotations

import logging

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    Document,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import set_date_params

LOGGER = logging.getLogger(__name__)


def trafilatura_metadata(tree: HtmlElement, default_url: str | None = None) -> Document:
    """trafilatura's title, author, url, sitename and description of the page (``date`` is
    left ``None``: see :func:`trafilatura_date`). ``tree`` is only read.

    Where trafilatura's readers fail on a page (the errors ``bare_extraction`` turns into "no
    result", text included), the page has no such metadata and keeps its text."""
    try:
        return _read(tree, default_url)
    except (TypeError, ValueError) as err:
        LOGGER.debug("trafilatura's metadata readers failed: %s", err)
        return Document()


def trafilatura_date(tree: HtmlElement, url: str | None) -> str | None:
    """The publication date trafilatura finds (htmldate, extensive search, original date)."""
    try:
        return find_date(tree, **set_date_params(extensive=True), url=url)
    except (TypeError, ValueError) as err:
        LOGGER.debug("htmldate failed: %s", err)
        return None


def _read(tree: HtmlElement, default_url: str | None) -> Document:
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None  # trafilatura's rule: a one-word meta author is a handle
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as err:  # trafilatura guards its JSON-LD reader alike
        LOGGER.debug("trafilatura's JSON-LD reader failed: %s", err)
    metadata.title = metadata.title or extract_title(tree)
    metadata.author = metadata.author or extract_author(tree)
    metadata.url = metadata.url or extract_url(tree, default_url)
    metadata.sitename = _sitename(metadata.sitename or extract_sitename(tree), metadata.url)
    metadata.clean_and_trim()
    return metadata


def _sitename(name: str | None, url: str | None) -> str | None:
    """trafilatura's clean-up of a site name: no Twitter ``@``, capitalised when it is not a
    domain; else the URL's host."""
    if name:
        name = name.lstrip("@")
        if name and "." not in name and not name[0].isupper():
            name = name.title()
        return name
    match = META_URL.match(url) if url else None
    return match[1] if match else None
