"""No markup in extracted text: HTML tags and the source of scripts and styles that an
extractor passed through as text (a fallback reading of the whole body, a page broken so
that the parser read part of it as text) are taken out of every line.

A tag is ``<name ...>`` or ``</name>`` for a name of HTML, SVG or MathML (namespaced names
too), a comment, a CDATA marker, a doctype or an XML declaration: prose such as ``3 < 4`` or
``Dear <name>`` is no tag. A tag stays only where the page shows it as code, as a code sample
or an article about HTML does: escaped in the source, so it is text in the tree, inside a
``<pre>``, ``<code>`` or similar element. A script or style element seen as text (its start
tag, up to its end tag or the end of the text) goes whole, unless shown so; so does a line
that is one of the page's own script or style lines, and a line that markup was taken from
and that has no word left; and a line of nothing but code punctuation (``//``, ``});``).
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

#: HTML's elements, the obsolete ones browsers still render, and the SVG/MathML roots.
ELEMENTS = [
    "a",
    "abbr",
    "acronym",
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "base",
    "basefont",
    "bdi",
    "bdo",
    "bgsound",
    "big",
    "blink",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "isindex",
    "kbd",
    "keygen",
    "label",
    "legend",
    "li",
    "link",
    "listing",
    "main",
    "map",
    "mark",
    "marquee",
    "math",
    "menu",
    "menuitem",
    "meta",
    "meter",
    "multicol",
    "nav",
    "nobr",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "plaintext",
    "portal",
    "pre",
    "progress",
    "q",
    "rb",
    "rp",
    "rt",
    "rtc",
    "ruby",
    "s",
    "samp",
    "script",
    "search",
    "section",
    "select",
    "slot",
    "small",
    "source",
    "spacer",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
    "xmp",
    "path",
    "g",
    "rect",
    "circle",
    "line",
    "polyline",
    "polygon",
    "use",
    "symbol",
    "defs",
]
_NAME = rf"(?:{'|'.join(sorted(ELEMENTS, key=len, reverse=True))}|[a-z][\w-]*:[a-z][\w-]*)"
TAG = re.compile(
    rf"</?{_NAME}(?=[\s/>])(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>"  # a start or end tag
    r"|<!--.*?(?:-->|$)|<!\[CDATA\[|\]\]>|<!doctype[^>]*>|<\?xml[^>]*\?>",
    re.IGNORECASE | re.DOTALL,
)
_SOURCE_ELEMENT = re.compile(
    r"<(script|style)(?=[\s/>])[^>]*>.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL
)
_SPACES = re.compile(r" {2,}")
#: Where a tag went before punctuation (``<b>line</b>.``), the space it left goes too.
_SPACE_BEFORE_PUNCTUATION = re.compile(r" +([.,;:!?)\]])")
_WORD = re.compile(r"\w")
#: A line of only these is what is left of a script's comment markers (``//``, ``-->``).
_CODE_PUNCTUATION = re.compile(r"[/{}();*<>\[\]!=-]+")
#: Elements whose text is code the page shows.
CODE = ("pre", "code", "kbd", "samp", "tt", "xmp", "listing", "plaintext")
#: A script or style line shorter than this may be prose too (``}``, ``return;``).
MIN_SOURCE_LINE = 16
#: Characters one of which any line of script or style source of that length holds.
_CODE_CHARS = re.compile(r"[{}=;:()]")


def without_markup(text: str, tree: HtmlElement) -> str:
    """``text`` (extracted from ``tree``) without the markup the page does not show as code
    and without script/style source; lines left blank are dropped. The page is looked at
    only when the text holds a tag or code characters."""
    lines = text.split("\n")
    if TAG.search(text):
        shown = _shown_tags(tree)
        lines = [_cleaned(line, shown) for line in _without_source(text, shown).split("\n")]
    lines = [_SPACES.sub(" ", line).strip() for line in lines]
    if any(_CODE_CHARS.search(line) for line in lines if len(line) >= MIN_SOURCE_LINE):
        source = _source_lines(tree)
        lines = [line for line in lines if " ".join(line.split()) not in source]
    return "\n".join(line for line in lines if line and not _CODE_PUNCTUATION.fullmatch(line))


def _without_source(text: str, shown: set[str]) -> str:
    return _SOURCE_ELEMENT.sub(lambda m: m[0] if m[0] in shown else "\n", text)


def _cleaned(line: str, shown: set[str]) -> str:
    """The line without the tags not in ``shown``; "" if no word is left where one went."""
    cleaned = TAG.sub(lambda m: m[0] if m[0] in shown else " ", line)
    if cleaned == line:
        return line
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", cleaned) if _WORD.search(cleaned) else ""


def _shown_tags(tree: HtmlElement) -> set[str]:
    """The tags (and script/style elements) in the code the page shows as text."""
    shown: set[str] = set()
    for element in tree.iter(*CODE):
        text = element.text_content()
        if "<" in text:
            shown.update(m[0] for m in _SOURCE_ELEMENT.finditer(text))
            shown.update(m[0] for m in TAG.finditer(text))
    return shown


def _source_lines(tree: HtmlElement) -> frozenset[str]:
    """The lines (whitespace runs made single spaces) of the page's ``<script>`` and
    ``<style>`` elements long enough not to be prose by chance."""
    lines = (
        " ".join(line.split())
        for element in tree.iter("script", "style")
        for line in (element.text or "").split("\n")
    )
    return frozenset(line for line in lines if len(line) >= MIN_SOURCE_LINE)
