"""What a page says about its own article, for the block model to compare blocks with: the
title's words, the 4-word shingles of its meta description and of its JSON-LD
``articleBody``, and the texts of its links."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from pipeline.extract.page_metadata import page_metadata

_WORD = re.compile(r"\w+")
SHINGLE = 4


@dataclass(frozen=True)
class PageContext:
    title: frozenset[str]
    description: frozenset[int]
    article_body: frozenset[int]


def page_context(tree: HtmlElement) -> PageContext:
    found = page_metadata(tree)
    return PageContext(
        title=frozenset(words(found.title or "")),
        description=shingles(words(found.description or "")),
        article_body=shingles(words(" ".join(_article_bodies(tree)))),
    )


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(found: list[str]) -> frozenset[int]:
    """The hashes of the 4-word shingles of ``found`` (words)."""
    return frozenset(hash(tuple(found[i : i + SHINGLE])) for i in range(len(found) - SHINGLE + 1))


def _article_bodies(tree: HtmlElement) -> list[str]:
    """The ``articleBody`` strings of the page's JSON-LD objects (any type, any depth)."""
    bodies: list[str] = []
    for script in tree.iter("script"):
        if script.get("type") != "application/ld+json" or not script.text:
            continue
        try:
            pending = [json.loads(script.text)]
        except (ValueError, RecursionError):
            continue
        while pending:
            item = pending.pop()
            if isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, dict):
                body = item.get("articleBody")
                if isinstance(body, str):
                    bodies.append(body)
                pending.extend(v for v in item.values() if isinstance(v, dict | list))
    return bodies
