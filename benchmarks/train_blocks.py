"""Train the block model of HTML extraction (``pipeline/models/html_blocks.json``) on the
gold pages of ../shared/html-dev and ../shared/html-train, or cross-validate it by page.

    python -m benchmarks.train_blocks            # train on all pages, write the model
    python -m benchmarks.train_blocks --cv       # first print 5-fold CV scores by page

A block's label is whether it is article text: its words occur in the gold body as they are,
or half of its 4-word shingles do. Blocks are weighted by the square root of their word
count, since the metric counts shingles but a short heading matters too. The trees are
scikit-learn's ``HistGradientBoostingClassifier`` (fixed seed, no early stopping, so the same
pages give the same model), exported to JSON (:mod:`pipeline.extract.tree_model`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from benchmarks.corpus import SHARED
from pipeline.extract import article
from pipeline.extract.article import MODEL_FILE, page_rows
from pipeline.extract.block_features import feature_names, normalized
from pipeline.extract.blocks import Block
from pipeline.extract.candidate_extractions import Page
from pipeline.extract.parse import parse_page
from pipeline.extract.tree_model import LEAF, Tree, TreeModel
from pipeline.readers.decode import decode

SETS = ("html-dev", "html-train")
MODEL_PATH = Path(__file__).resolve().parent.parent / "pipeline" / "models" / MODEL_FILE
THRESHOLD = 0.5
#: The candidate extractions the model reads (see pipeline.extract.candidate_extractions).
CANDIDATES = ("precision", "recall")
FOLDS = 5
_WORD = re.compile(r"\w+")
PARAMETERS = {"max_iter": 150, "max_depth": 5, "learning_rate": 0.1, "min_samples_leaf": 40}


@dataclass
class GoldPage:
    key: str
    page: Page
    gold: str
    blocks: list[Block]
    rows: np.ndarray
    labels: np.ndarray
    weights: np.ndarray


def gold_pages(
    sets: tuple[str, ...] = SETS, shared: Path = SHARED, candidates: tuple[str, ...] = CANDIDATES
) -> list[GoldPage]:
    pages = []
    for name in sets:
        folder = shared / name
        truth = json.loads((folder / "ground-truth.json").read_text())
        for page_id, entry in sorted(truth.items()):
            raw = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
            html = decode(raw, html=True).text
            tree = parse_page(html)
            if tree is None:
                continue
            page = Page(html, tree, entry.get("url"))
            blocks, rows = page_rows(page, candidates)
            gold = entry["articleBody"]
            pages.append(
                GoldPage(
                    f"{name}/{page_id}",
                    page,
                    gold,
                    blocks,
                    rows,
                    block_labels(blocks, gold),
                    np.sqrt([b.words for b in blocks]),
                )
            )
    return pages


def block_labels(blocks: list[Block], gold: str) -> np.ndarray:
    body = normalized(gold)
    words = body.split()
    gold_shingles = {tuple(words[i : i + 4]) for i in range(len(words) - 3)}
    labels = []
    for block in blocks:
        text = normalized(block.text)
        own = text.split()
        found = [tuple(own[i : i + 4]) in gold_shingles for i in range(len(own) - 3)]
        labels.append(text[:-1] in body or (bool(found) and sum(found) >= 0.5 * len(found)))
    return np.array(labels, dtype=int)


def fit(pages: list[GoldPage], candidates: tuple[str, ...] = CANDIDATES) -> TreeModel:
    rows = np.vstack([p.rows for p in pages if len(p.blocks)])
    labels = np.concatenate([p.labels for p in pages])
    weights = np.concatenate([p.weights for p in pages])
    trained = HistGradientBoostingClassifier(
        **PARAMETERS, early_stopping=False, random_state=0
    ).fit(rows, labels, sample_weight=weights)
    return exported(trained, candidates)


def exported(
    trained: HistGradientBoostingClassifier, candidates: tuple[str, ...] = CANDIDATES
) -> TreeModel:
    trees = []
    for (predictor,) in trained._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append(
            Tree(
                feature=nodes["feature_idx"].astype(np.intp),
                threshold=nodes["num_threshold"].astype(float),
                left=np.where(leaf, LEAF, nodes["left"].astype(np.intp)),
                right=nodes["right"].astype(np.intp),
                value=nodes["value"].astype(float),
                depth=int(nodes["depth"].max()),
            )
        )
    baseline = float(np.ravel(trained._baseline_prediction)[0])
    return TreeModel(
        features=feature_names(candidates),
        inputs=candidates,
        init=baseline,
        rate=1.0,
        trees=tuple(trees),
        threshold=THRESHOLD,
    )


def folds_of(pages: list[GoldPage], folds: int = FOLDS) -> np.ndarray:
    order = np.random.RandomState(0).permutation(len(pages))
    fold = np.empty(len(pages), dtype=int)
    fold[order] = np.arange(len(pages)) % folds
    return fold


def cross_validated_models(
    pages: list[GoldPage], candidates: tuple[str, ...] = CANDIDATES, folds: int = FOLDS
) -> dict[str, TreeModel]:
    """For each page, the model trained on the folds it is not in."""
    fold = folds_of(pages, folds)
    models = {}
    for held in range(folds):
        model = fit([p for p, f in zip(pages, fold, strict=True) if f != held], candidates)
        models.update({p.key: model for p, f in zip(pages, fold, strict=True) if f == held})
    return models


def kept_text(page: GoldPage, model: TreeModel) -> str:
    """The article text the pipeline gives the page with this model."""
    kept = article.kept_blocks(page.blocks, page.rows, model)
    return article.chosen_text(page.page, kept, model.inputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate by page first")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument(
        "--candidates",
        default=",".join(CANDIDATES),
        help="comma-separated candidate extractions the model reads",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write the model")
    args = parser.parse_args()
    candidates = tuple(args.candidates.split(","))
    pages = gold_pages(shared=args.shared, candidates=candidates)
    if args.cv:
        from benchmarks.bench_html import score  # the benchmark's metric

        models = cross_validated_models(pages, candidates)
        for name in SETS:
            scores = [
                score(kept_text(p, models[p.key]), p.gold) for p in pages if p.key.startswith(name)
            ]
            print(name, "F1 (page mean)", round(float(np.mean([s[2] for s in scores])), 4))
    if args.no_write:
        return
    model = fit(pages, candidates)
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n")
    print(
        f"wrote {MODEL_PATH} ({len(model.trees)} trees, {sum(len(p.blocks) for p in pages)} blocks)"
    )


if __name__ == "__main__":
    main()
