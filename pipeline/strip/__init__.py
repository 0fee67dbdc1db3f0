"""Boilerplate stripping: remove everything from an article's lines that is not the article.

>>> from pipeline.record_types import Line
>>> stripped = Stripper().strip([Line(0, "Story text."), Line(1, "Advertisement")])
>>> [r.kind for r in stripped.removed]
['ad_marker']
"""

from pipeline.strip.matching import Rule
from pipeline.strip.merge import merge_counts
from pipeline.strip.render_removals import render_explanation
from pipeline.strip.rule_files import RuleError, RuleSet, load_rules
from pipeline.strip.stats import LINE_STATS_SCHEMA, LineStats, count_lines
from pipeline.strip.stripper import Article, Stripper

__all__ = [
    "LINE_STATS_SCHEMA",
    "Article",
    "LineStats",
    "Rule",
    "RuleError",
    "RuleSet",
    "Stripper",
    "count_lines",
    "load_rules",
    "merge_counts",
    "render_explanation",
]
