"""The gate of the line model: is a document a whole page's text or an article scrape?

A whole page (menus, footers, sidebars around the story) and a scrape of an article's
paragraphs need different experts: a page's short lines are mostly furniture, an article's
mostly its own. The gate is a logistic regression over a few numbers of the document's shape
(how many lines, how many of them short, in runs, at the edges, ending a sentence, in the
prose body, removed by the rules), learned from the training documents with pages and articles
weighing the same however many there are of each. A fixed cut on two of these numbers sent
long articles that are lists of short lines (a memo, an encyclopedia entry) to the page expert.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from pipeline.strip.item import Item

GATE_FEATURES = (
    "log_lines",
    "short_share",
    "ends_share",
    "log_mean_words",
    "long_share",
    "short_run_share",
    "log_short_run",
    "short_share_top",
    "short_share_bottom",
    "rules_removed_share",
    "body_share",
    "log_short_lines",
)
#: A line of this many words or fewer is short; of :data:`LONG_WORDS` or more, long.
SHORT_WORDS = 3
LONG_WORDS = 12
#: Inverse regularisation strength of the logistic regression.
GATE_C = 1.0


def gate_features(items: Sequence[Item]) -> np.ndarray:
    """The document-shape numbers the gate reads (:data:`GATE_FEATURES`)."""
    n = len(items)
    words = np.fromiter((item.n_words for item in items), dtype=np.float64, count=n)
    short = words <= SHORT_WORDS
    edge = max(1, n // 10)
    run = _longest_run(short.tolist())
    return np.array(
        [
            math.log1p(n),
            short.mean(),
            sum(item.ends for item in items) / n,
            math.log1p(words.mean()),
            (words >= LONG_WORDS).mean(),
            run / n,
            math.log1p(run),
            short[:edge].mean(),
            short[-edge:].mean(),
            sum(item.removed for item in items) / n,
            sum(item.is_body for item in items) / n,
            math.log1p(short.sum()),
        ]
    )


def fit_gate(documents: Sequence[Sequence[Item]], is_page: Sequence[bool]) -> dict:
    """A gate learned from training documents (``is_page``: which are whole pages): the
    fewest lines a page has (:func:`fewest_page_lines`), then a logistic regression over the
    documents longer than that."""
    from sklearn.linear_model import LogisticRegression

    sizes = np.array([len(items) for items in documents])
    pages = np.array(is_page, dtype=bool)
    lines = fewest_page_lines(sizes, pages)
    longer = [items for items in documents if len(items) > lines]
    target = pages[sizes > lines]
    matrix = np.array([gate_features(items) for items in longer]).reshape(-1, len(GATE_FEATURES))
    mean, scale = matrix.mean(axis=0), matrix.std(axis=0)
    scale[scale == 0] = 1.0
    if target.all() or not target.any():
        # The cut alone tells them apart (or nothing above it does): no regression to fit
        coef, intercept = [0.0] * len(GATE_FEATURES), 1.0 if target.any() else -1.0
    else:
        fitted = LogisticRegression(C=GATE_C, class_weight="balanced", max_iter=1000)
        fitted.fit((matrix - mean) / scale, target)
        coef, intercept = fitted.coef_[0].tolist(), float(fitted.intercept_[0])
    return {
        "lines": lines,
        "features": list(GATE_FEATURES),
        "mean": np.nan_to_num(mean).tolist(),
        "scale": np.nan_to_num(scale, nan=1.0).tolist(),
        "coef": coef,
        "intercept": intercept,
    }


def fewest_page_lines(sizes: np.ndarray, pages: np.ndarray) -> int:
    """The line count at or under which a document is taken for an article: the cut with the
    fewest errors, pages and articles weighing the same. Whole pages are long (menus, footers);
    below the cut the shape numbers of a short scrape with furniture at both ends look like a
    page's, and the regression, which saw almost no page that short, would take it for one."""
    best, best_error = 0, float("inf")
    for lines in sorted(set(sizes.tolist())):
        taken = sizes > lines
        error = (~taken[pages]).mean() + taken[~pages].mean()
        if error < best_error:
            best, best_error = lines, error
    return int(best)


def is_whole_page(gate: dict, items: Sequence[Item]) -> bool:
    """Whether ``gate`` takes the document of ``items`` for a whole page."""
    if len(items) <= gate["lines"]:
        return False
    scaled = (gate_features(items) - gate["mean"]) / gate["scale"]
    return float(scaled @ np.asarray(gate["coef"])) + gate["intercept"] > 0.0


def _longest_run(flags: list[bool]) -> int:
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest
