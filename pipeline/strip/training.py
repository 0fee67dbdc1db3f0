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

from pipeline.strip.doc_gate import fit_gate
from pipeline.strip.item import Item
from pipeline.strip.kinds import OTHER
from pipeline.strip.labelled import LabelledDoc
from pipeline.strip.line_features import FEATURE_NAMES, FeatureExtractor
from pipeline.strip.linemodel import FORMAT, THRESHOLD, model_bytes
from pipeline.strip.rule_files import base_language
from pipeline.strip.stripper import Stripper
from pipeline.strip.vocabulary import Vocabulary

#: Inner folds for the out-of-fold vocabulary features.
VOCAB_FOLDS = 5
#: A debatable line weighs this much in training (a careful annotator could go either way).
DEBATABLE_WEIGHT = 0.5
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
    """The rules' evidence on every labelled document (as the stripper sees an article of
    its body kind, with its headline, in ``language``)."""
    stripper = Stripper(model=None)
    prepared = []
    for doc in sorted(docs, key=lambda d: (d.group, d.body_kind, d.name)):
        items, title_item = stripper.evidence(doc.lines, None, language, doc.title, doc.body_kind)
        if len(items) != len(doc.lines):
            raise ValueError(f"{doc.name}: a labelled line is blank")
        prepared.append(Prepared(doc, items, title_item))
    return prepared


def train(docs: Sequence[LabelledDoc], seed: int = 0, language: str = "en") -> bytes:
    """A model file trained on ``docs``, articles in ``language``."""
    return train_prepared(prepare(docs, language), seed, language)


def train_prepared(prepared: Sequence[Prepared], seed: int = 0, language: str = "en") -> bytes:
    """A model file from prepared documents: an expert for articles and, when whole pages are
    among them, one for pages, with the gate that tells the two apart (their lines differ: a
    page's short lines are mostly menus, an article's mostly its own); when extracted HTML is
    among them, an expert for it (its vocabulary learned from every document, its booster
    from the extracted lines), which its body kind chooses."""
    if not prepared:
        raise ValueError("no labelled documents to train on")
    if len({b for p in prepared for b in p.doc.boilerplate}) < 2:
        raise ValueError("training needs both boilerplate and content lines")
    texts = [p for p in prepared if p.doc.body_kind == "text"] or list(prepared)
    extracted = [p for p in prepared if p.doc.body_kind == "html"]
    articles = [p for p in texts if not p.doc.whole_page]
    pages = [p for p in texts if p.doc.whole_page]
    experts, gate = {}, None
    if articles and pages:
        experts["article"], article_matrix = _expert(texts, articles, seed)
        experts["page"], _ = _expert(texts, texts, seed)
        gate = fit_gate([p.items for p in texts], [p.doc.whole_page for p in texts])
    else:  # one kind of document: one expert decides every document
        experts["article"], article_matrix = _expert(texts, texts, seed)
    if extracted and len(texts) < len(prepared):
        experts["html"], _ = _expert(prepared, extracted, seed)
    kinds, kind_booster = _train_kinds(articles or texts, article_matrix, seed)
    return model_bytes(
        {
            "format": FORMAT,
            "features": FEATURE_NAMES,
            "threshold": THRESHOLD,
            "languages": [base_language(language)],
            "kinds": kinds,
            "experts": experts,
            "gate": gate,
            "kind_booster": kind_booster,
            "documents": len(prepared),
            "lines": sum(len(p.items) for p in prepared),
        }
    )


def _expert(
    vocabulary_docs: Sequence[Prepared], docs: Sequence[Prepared], seed: int
) -> tuple[dict, np.ndarray]:
    """An expert for ``docs``, its vocabulary learned from ``vocabulary_docs`` (which hold
    them), and the out-of-fold feature matrix of ``docs`` it was trained on."""
    import lightgbm

    matrix = out_of_fold_matrix(vocabulary_docs, docs)
    labels = np.array([b for p in docs for b in p.doc.boilerplate], dtype=np.float32)
    params = {**BOOSTER_PARAMS, "seed": seed}
    data = lightgbm.Dataset(matrix, labels, weight=_weights(docs), free_raw_data=False)
    booster = lightgbm.train(params, data, num_boost_round=BOOSTER_ROUNDS)
    expert = {
        "vocabulary": _vocabulary(vocabulary_docs).to_json(),
        "booster": booster.model_to_string(),
    }
    return expert, matrix


def _train_kinds(
    prepared: Sequence[Prepared], matrix: np.ndarray, seed: int
) -> tuple[list[str], str]:
    import lightgbm

    kinds = [k for p in prepared for k in p.doc.kinds]
    counts = Counter(k for k in kinds if k)
    known = sorted(k for k, n in counts.items() if n >= MIN_KIND_LINES)
    if len(known) < 2:
        return [], ""
    if OTHER not in known:
        known.append(OTHER)
    rows = [i for i, k in enumerate(kinds) if k]
    target = [known.index(kinds[i]) if kinds[i] in known else known.index(OTHER) for i in rows]
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
            if p.doc.gold_body:
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


def out_of_fold_matrix(vocabulary_docs: Sequence[Prepared], docs: Sequence[Prepared]) -> np.ndarray:
    """Feature rows of every one of ``docs``, its vocabulary features learned from the
    ``vocabulary_docs`` outside its group's fold."""
    folds = [fold_of(p.doc.group, VOCAB_FOLDS) for p in docs]
    vocabulary_folds = [fold_of(p.doc.group, VOCAB_FOLDS) for p in vocabulary_docs]
    parts: list[np.ndarray | None] = [None] * len(docs)
    for fold in sorted(set(folds)):
        others = [p for p, f in zip(vocabulary_docs, vocabulary_folds, strict=True) if f != fold]
        extractor = FeatureExtractor(_vocabulary(others))
        for n, (p, f) in enumerate(zip(docs, folds, strict=True)):
            if f == fold:
                parts[n] = extractor.matrix(p.items, p.title_item)
    return np.vstack(parts)
