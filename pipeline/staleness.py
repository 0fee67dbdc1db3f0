"""Which stored articles ``restrip`` would change: those stripped by other rules or code.

An article is stale when its ``rules_version`` (:attr:`pipeline.strip.Stripper.rules_version`)
or its ``pipeline_version`` is not today's; articles written before the ``rules_version``
column existed are all stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow.dataset as ds

from pipeline import __version__
from pipeline.store import Root
from pipeline.store.delta import dataset
from pipeline.strip import Stripper, load_rules
from pipeline.strip.linemodel import load_model


@dataclass(frozen=True)
class Staleness:
    articles: int
    stale: int


def current_rules_version(rules_dirs: Sequence[str], model: str | None = None) -> str:
    """The rules version a run with these rules and line model stamps on its articles."""
    return Stripper(load_rules(rules_dirs), model=load_model(model)).rules_version


def staleness(clean: Root, rules_version: str) -> Staleness:
    """How many of ``clean``'s articles there are and how many of them are stale."""
    articles = dataset(clean, "articles")
    total = articles.count_rows()
    if "rules_version" not in articles.schema.names:
        return Staleness(total, total)
    current = (ds.field("rules_version") == rules_version) & (
        ds.field("pipeline_version") == __version__
    )
    return Staleness(total, total - articles.count_rows(filter=current))
