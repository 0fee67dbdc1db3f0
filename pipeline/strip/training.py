"""Training the line model (:mod:`pipeline.strip.linemodel`) from labelled documents.

Deterministic: documents are sorted by group and name, LightGBM runs in one thread with fixed
seeds, and the model file is written with :func:`pipeline.strip.linemodel.model_bytes`.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.strip.features import FEATURE_NAMES, FeatureExtractor
from pipeline.strip.item import Item
from pipeline.strip.labelled import LabelledDoc
from pipeline.strip.linemodel import FORMAT, THRESHOLD, model_bytes
from pipeline.strip.rules import base_language
from pipeline.strip.stripper import Stripper
from pipeline.strip.vocabulary import Vocabulary

#: Inner folds for the out-of-fold vocabulary features.
VOCAB_FOLDS = 5
#: A debatable line weighs this much in training (a careful annotator could go either way).
DEBATABLE_WEIGHT = 0.5
#: The document features of the gate between the article and the page booster: the number
#: of lines alone (with the share of short lines too, the hand-made test articles, short
#: scrapes with furniture at both ends, were taken for pages and lost their story lines).
GATE_FEATURES = ("doc_lines",)
GATE_STEPS, GATE_RATE, GATE_L2 = 500, 1.0, 0.01
#: A kind needs this many labelled lines to be predicted; rarer kinds are ``other``.
MIN_KIND_LINES = 3
BOOSTER_PARAMS = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_data_in_leaf": 10,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
BOOSTER_ROUNDS = 80
KIND_ROUNDS = 60


@dataclass(slots=True)
class Prepared:
    """One labelled document with the rules' evidence about its lines."""

    doc: LabelledDoc
    items: list[Item]
    title_item: Item | None


def prepare(docs: Sequence[LabelledDoc], language: str = "en") -> list[Prepared]:
    """The rules' evidence on every labelled document (as the stripper sees a text scrape
    in ``language``)."""
    stripper = Stripper(model=None)
    prepared = []
    for doc in sorted(docs, key=lambda d: (d.group, d.name)):
        items, title_item = stripper.evidence(doc.lines, None, language, None, "text")
        if len(items) != len(doc.lines):
            raise ValueError(f"{doc.name}: a labelled line is blank")
        prepared.append(Prepared(doc, items, title_item))
    return prepared


def train(docs: Sequence[LabelledDoc], seed: int = 0, language: str = "en") -> bytes:
    """A model file trained on ``docs``, articles in ``language``."""
    return train_prepared(prepare(docs, language), seed, language)


def train_prepared(prepared: Sequence[Prepared], seed: int = 0, language: str = "en") -> bytes:
    """A model file from prepared documents: a booster for articles and, when whole pages are
    among them, one for pages and the gate that tells the two apart (their lines differ:
    a page's short lines are mostly menus, an article's mostly its own)."""
    if not prepared:
        raise ValueError("no labelled documents to train on")
    matrix = out_of_fold_matrix(prepared)
    labels = np.array([b for p in prepared for b in p.doc.boilerplate], dtype=np.float32)
    if labels.min() == labels.max():
        raise ValueError("training needs both boilerplate and content lines")
    page_rows = np.array([p.doc.whole_page for p in prepared for _ in p.items])
    weights = _weights(prepared)
    boosters = {}
    for name, rows in (("booster", ~page_rows), ("page_booster", page_rows)):
        if rows.any() and labels[rows].min() != labels[rows].max():
            boosters[name] = _train_booster(matrix[rows], labels[rows], weights[rows], seed)
    if "booster" not in boosters:  # pages alone: their booster decides everything
        boosters = {"booster": boosters.pop("page_booster")}
    kinds, kind_booster = _train_kinds(prepared, matrix, seed)
    vocabulary = _vocabulary(prepared)
    gate = fit_gate(prepared, matrix) if "page_booster" in boosters else None
    return model_bytes(
        {
            "format": FORMAT,
            "features": FEATURE_NAMES,
            "threshold": THRESHOLD,
            "languages": [base_language(language)],
            "kinds": kinds,
            "vocabulary": vocabulary.to_json(),
            **boosters,
            "gate": gate,
            "kind_booster": kind_booster,
            "documents": len(prepared),
            "lines": len(labels),
        }
    )


def _train_booster(matrix: np.ndarray, labels: np.ndarray, weights: np.ndarray, seed: int) -> str:
    import lightgbm

    params = {**BOOSTER_PARAMS, "seed": seed}
    data = lightgbm.Dataset(matrix, labels, weight=weights, free_raw_data=False)
    return lightgbm.train(params, data, num_boost_round=BOOSTER_ROUNDS).model_to_string()


def fit_gate(prepared: Sequence[Prepared], matrix: np.ndarray) -> dict:
    """A logistic regression on the document features (:data:`GATE_FEATURES`) that tells a
    whole page from an article, by gradient descent from zero (deterministic)."""
    starts = np.cumsum([0] + [len(p.items) for p in prepared[:-1]])
    x = matrix[starts][:, [FEATURE_NAMES.index(f) for f in GATE_FEATURES]].astype(np.float64)
    y = np.array([p.doc.whole_page for p in prepared], dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    # Each kind of document weighs the same, however many there are of each
    balance = np.where(y > 0, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1))
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(GATE_STEPS):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = balance * (p - y)
        w -= GATE_RATE * (z.T @ g + GATE_L2 * w)
        b -= GATE_RATE * g.sum()
    return {
        "features": list(GATE_FEATURES),
        "weights": [round(float(v), 6) for v in w / scale],
        "bias": round(float(b - (w / scale) @ mean), 6),
    }


def _train_kinds(
    prepared: Sequence[Prepared], matrix: np.ndarray, seed: int
) -> tuple[list[str], str]:
    import lightgbm

    kinds = [k for p in prepared for k in p.doc.kinds]
    counts = Counter(k for k in kinds if k)
    known = sorted(k for k, n in counts.items() if n >= MIN_KIND_LINES)
    if len(known) < 2:
        return [], ""
    if "other" not in known:
        known.append("other")
    rows = [i for i, k in enumerate(kinds) if k]
    target = [known.index(kinds[i]) if kinds[i] in known else known.index("other") for i in rows]
    params = {
        **BOOSTER_PARAMS,
        "objective": "multiclass",
        "num_class": len(known),
        "num_leaves": 7,
        "min_data_in_leaf": 3,
        "seed": seed,
    }
    data = lightgbm.Dataset(matrix[rows], np.array(target), free_raw_data=False)
    booster = lightgbm.train(params, data, num_boost_round=KIND_ROUNDS)
    return known, booster.model_to_string()


def _weights(prepared: Sequence[Prepared]) -> np.ndarray:
    per_line = []
    for p in prepared:
        for item, debatable in zip(p.items, p.doc.debatable, strict=True):
            if p.doc.whole_page:
                # A page's gold body leaves its headline out; an article's labels keep it.
                per_line.append(0.0 if item is p.title_item else 1.0)
            else:
                per_line.append(DEBATABLE_WEIGHT if debatable else 1.0)
    return np.array(per_line, dtype=np.float32)


def _line_labels(p: Prepared) -> list[tuple[list[str], bool, str | None]]:
    return [
        (item.tokens, is_boiler, kind)
        for item, is_boiler, kind in zip(p.items, p.doc.boilerplate, p.doc.kinds, strict=True)
    ]


def _vocabulary(prepared: Sequence[Prepared]) -> Vocabulary:
    return Vocabulary.learn(_line_labels(p) for p in prepared)


def fold_of(group: str, folds: int) -> int:
    """A group's fold: a stable hash of its name (the same on every machine)."""
    return zlib.crc32(group.encode()) % folds


def out_of_fold_matrix(prepared: Sequence[Prepared]) -> np.ndarray:
    """Feature rows of every document, its vocabulary features learned without its group."""
    folds = [fold_of(p.doc.group, VOCAB_FOLDS) for p in prepared]
    parts: list[np.ndarray | None] = [None] * len(prepared)
    for fold in sorted(set(folds)):
        others = [p for p, f in zip(prepared, folds, strict=True) if f != fold]
        extractor = FeatureExtractor(_vocabulary(others))
        for n, (p, f) in enumerate(zip(prepared, folds, strict=True)):
            if f == fold:
                parts[n] = extractor.matrix(p.items, p.title_item)
    return np.vstack(parts)
