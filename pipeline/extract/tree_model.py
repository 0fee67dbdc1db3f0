"""A boosted ensemble of regression trees, stored as JSON and evaluated with numpy.

The training side (scikit-learn's ``GradientBoostingClassifier``, see
``benchmarks/train_blocks.py``) is a bench dependency only; the pipeline reads the trees'
arrays (feature, threshold, children, leaf value) and sums them, which needs no pickle and
gives the same scores as scikit-learn's ``decision_function`` for the binary log-loss model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: A leaf's ``left`` child.
LEAF = -1


@dataclass(frozen=True)
class Tree:
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int


@dataclass(frozen=True)
class TreeModel:
    """``features`` names the columns the trees read, in order; ``threshold`` is the
    probability from which a row is predicted positive; ``inputs`` names what the features
    are computed from (for the block model: the candidate extractions, in order)."""

    features: tuple[str, ...]
    inputs: tuple[str, ...]
    init: float
    rate: float
    trees: tuple[Tree, ...]
    threshold: float

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        score = np.full(len(rows), self.init)
        positions = np.arange(len(rows))
        for tree in self.trees:
            node = np.zeros(len(rows), dtype=np.intp)
            for _ in range(tree.depth):
                inner = tree.left[node] != LEAF
                go_left = rows[positions, tree.feature[node]] <= tree.threshold[node]
                child = np.where(go_left, tree.left[node], tree.right[node])
                node = np.where(inner, child, node)
            score += self.rate * tree.value[node]
        return 1 / (1 + np.exp(-score))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "inputs": list(self.inputs),
            "init": self.init,
            "rate": self.rate,
            "threshold": self.threshold,
            "trees": [
                {
                    "feature": t.feature.tolist(),
                    "threshold": t.threshold.tolist(),
                    "left": t.left.tolist(),
                    "right": t.right.tolist(),
                    "value": t.value.tolist(),
                    "depth": t.depth,
                }
                for t in self.trees
            ],
        }


def load_model(path: Path) -> TreeModel:
    data = json.loads(path.read_text())
    trees = tuple(
        Tree(
            feature=np.maximum(np.array(t["feature"], dtype=np.intp), 0),
            threshold=np.array(t["threshold"], dtype=float),
            left=np.array(t["left"], dtype=np.intp),
            right=np.array(t["right"], dtype=np.intp),
            value=np.array(t["value"], dtype=float),
            depth=int(t["depth"]),
        )
        for t in data["trees"]
    )
    return TreeModel(
        features=tuple(data["features"]),
        inputs=tuple(data["inputs"]),
        init=float(data["init"]),
        rate=float(data["rate"]),
        trees=trees,
        threshold=float(data["threshold"]),
    )
