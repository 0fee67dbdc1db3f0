"""The page's text blocks, each with what a model needs to tell article from furniture.

One walk over the parsed tree splits its visible text into blocks as a browser lays it out:
a block-level element (paragraph, heading, list item, table cell, ``div`` ...) or a ``<br>``
ends the text before it and starts a new block; inline elements (links, emphasis, spans) stay
inside their block. Each block keeps the words inside links, its element's tag, and the
landmarks around it: the semantic elements it sits in (``article``, ``nav``, ``footer`` ...)
and the words of the ``class``/``id`` names of its ancestors (``sidebar``, ``comment``,
``content`` ...).

Table rows are blocks of their own when the table holds data (its cells are short text, no
nested tables or block content): the cells are joined by tabs, so a data table inside the
article reads as tab-separated lines. Cells of layout tables (cells holding blocks or other
tables) are blocks like any ``div``, so navigation cells never become ``|``-joined rows;
each such block records which cell it is in (``cell``), so that a candidate's text that
runs a layout cell into its neighbour is not taken for them (:func:`.article.fuses_cells`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml.html import HtmlElement

#: Elements whose text a reader never sees as the page's text.
HIDDEN = frozenset(
    [
        "head",
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "select",
        "option",
        "button",
        "textarea",
        "input",
        "datalist",
        "map",
        "canvas",
        "audio",
        "video",
        "picture",
        "source",
        "track",
    ]
)
BLOCK_TAGS = frozenset(
    [
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "blockquote",
        "pre",
        "td",
        "th",
        "dd",
        "dt",
        "dl",
        "figcaption",
        "caption",
        "div",
        "section",
        "article",
        "main",
        "aside",
        "nav",
        "header",
        "footer",
        "form",
        "table",
        "tr",
        "tbody",
        "thead",
        "tfoot",
        "ul",
        "ol",
        "fieldset",
        "legend",
        "address",
        "figure",
        "details",
        "summary",
        "hr",
        "center",
        "body",
        "html",
    ]
)
#: The semantic elements a block can sit in, as landmark features.
LANDMARKS = ("article", "main", "nav", "header", "footer", "aside", "form", "table", "a", "li")
#: Words of class/id names that mark furniture or content (generic web vocabulary).
NAME_WORDS = [
    "nav",
    "menu",
    "footer",
    "header",
    "sidebar",
    "side",
    "comment",
    "related",
    "share",
    "social",
    "ad",
    "ads",
    "promo",
    "cookie",
    "newsletter",
    "subscribe",
    "breadcrumb",
    "widget",
    "banner",
    "popup",
    "modal",
    "author",
    "byline",
    "meta",
    "tag",
    "caption",
    "article",
    "content",
    "post",
    "entry",
    "story",
    "body",
    "main",
    "text",
    "blog",
    "hidden",
    "recommend",
    "more",
    "list",
    "card",
]
_NAME_SPLIT = re.compile(r"[^a-z]+")
_WORD = re.compile(r"\w+")


@dataclass
class Block:
    text: str
    tag: str
    link_words: int
    landmarks: frozenset[str]
    names: frozenset[str]
    depth: int
    words: int = 0
    #: The layout table cell the block is in (numbered in page order from 1), 0 outside one.
    cell: int = 0


@dataclass
class _Walk:
    blocks: list[Block] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    link_words: int = 0
    cell: int = 0
    cells: int = 0


def page_blocks(tree: HtmlElement) -> list[Block]:
    """The visible text blocks of the page, in document order."""
    walk = _Walk()
    body = tree.find("body")
    _visit(body if body is not None else tree, walk, "body", frozenset(), frozenset(), 0, False)
    _flush(walk, "body", frozenset(), frozenset(), 0)
    return walk.blocks


def _visit(
    element: HtmlElement,
    walk: _Walk,
    owner: str,
    landmarks: frozenset[str],
    names: frozenset[str],
    depth: int,
    in_link: bool,
) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in HIDDEN or not tag:
        _text(walk, element.tail, in_link)
        return
    block = tag in BLOCK_TAGS
    if block or tag == "br":
        _flush(walk, owner, landmarks, names, depth)
    inner_landmarks, inner_names = landmarks, names
    if tag in LANDMARKS:
        inner_landmarks = landmarks | {tag}
    own = _name_words(element)
    if own:
        inner_names = names | own
    if tag == "tr" and _is_data_row(element):
        row = "\t".join(" ".join(cell.text_content().split()) for cell in element)
        walk.parts.append(row)
        _flush(walk, "tr", inner_landmarks, inner_names, depth + 1)
    else:
        outer_cell = walk.cell
        if tag in ("td", "th"):
            walk.cells += 1
            walk.cell = walk.cells
        inner_owner = tag if block else owner
        _text(walk, element.text, in_link or tag == "a")
        for child in element:
            _visit(
                child,
                walk,
                inner_owner,
                inner_landmarks,
                inner_names,
                depth + 1,
                in_link or tag == "a",
            )
        if block:
            _flush(walk, inner_owner, inner_landmarks, inner_names, depth + 1)
        walk.cell = outer_cell
    if block:
        _flush(walk, owner, landmarks, names, depth)
    _text(walk, element.tail, in_link)


def _text(walk: _Walk, text: str | None, in_link: bool) -> None:
    if text and not text.isspace():
        walk.parts.append(text)
        if in_link:
            walk.link_words += len(_WORD.findall(text))


def _flush(
    walk: _Walk, tag: str, landmarks: frozenset[str], names: frozenset[str], depth: int
) -> None:
    if not walk.parts:
        return
    text = _joined(walk.parts, tag)
    walk.parts.clear()
    if text:
        words = len(_WORD.findall(text))
        if words:
            walk.blocks.append(
                Block(
                    text,
                    tag,
                    min(walk.link_words, words),
                    landmarks,
                    names,
                    depth,
                    words,
                    walk.cell,
                )
            )
    walk.link_words = 0


def _joined(parts: list[str], tag: str) -> str:
    """A block's text: whitespace runs made single spaces, but a table row keeps its tabs and
    preformatted text its line breaks. Text nodes are joined by a space, as adjacent inline
    elements (a row of tag links) mostly are words apart."""
    if tag == "tr":
        return parts[0]
    if tag == "pre":
        lines = "".join(parts).split("\n")
        return "\n".join(joined for line in lines if (joined := " ".join(line.split())))
    return " ".join(" ".join(parts).split())


def _name_words(element: HtmlElement) -> frozenset[str]:
    """The words of :data:`NAME_WORDS` in the element's class and id names."""
    value = f"{element.get('class', '')} {element.get('id', '')}".lower()
    if len(value) < 3:
        return frozenset()
    parts = set(_NAME_SPLIT.split(value))
    return frozenset(word for word in NAME_WORDS if word in parts)


def _is_data_row(row: HtmlElement) -> bool:
    """A row of a data table: two or more cells of inline text only."""
    cells = [cell for cell in row if isinstance(cell.tag, str) and cell.tag in ("td", "th")]
    if len(cells) < 2 or len(cells) != len(row):
        return False
    return all(
        not any(isinstance(d.tag, str) and d.tag in BLOCK_TAGS for d in cell.iterdescendants())
        for cell in cells
    )
