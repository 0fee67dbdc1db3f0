"""Parsing a page as a browser would: whatever the bytes before it or the state of its
doctype, a document that has any element or text is a tree.

trafilatura's ``load_html`` rejects a page whose first 50 characters lack the word "html"
(a doctype cut short, ``<!DOCTYPE htm``, a page without ``<html>``) when the parsed tree has
fewer than two children, although a browser renders it and lxml parses it. Here the page is
always parsed as a whole document (``<html>`` root, ``<body>`` made up when missing), with
the characters XML forbids dropped (lxml refuses them in text later) and the encoding fixed,
since the text is already decoded (an ``<?xml encoding?>`` declaration would otherwise make
lxml refuse a str).
"""

from __future__ import annotations

from lxml.etree import ParserError
from lxml.html import HtmlElement, document_fromstring
from trafilatura.utils import HTML_PARSER, INVALID_XML_CHARS


def parse_page(html: str) -> HtmlElement | None:
    """The page's ``<html>`` element; ``None`` when the page holds no markup and no text."""
    cleaned = INVALID_XML_CHARS.sub("", html.lstrip("\ufeff"))
    try:
        tree = document_fromstring(cleaned.encode("utf-8", "surrogatepass"), parser=HTML_PARSER)
    except ParserError:  # "Document is empty": only whitespace, comments or a bare doctype
        return None
    return tree
