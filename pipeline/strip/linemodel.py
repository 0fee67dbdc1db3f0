"""The line model: gradient-boosted trees (LightGBM) over :mod:`pipeline.strip.features`.

Boosters give each line its probability of being boilerplate: one for articles (a scrape of
their paragraphs) and, when trained with whole pages, one for pages, with a gate (a logistic
regression on document features: lines, share of short lines and of sentence ends, mean
length) choosing between them per document. Another booster gives a boilerplate line's
kind. A model file is gzip-compressed JSON (the boosters in LightGBM's text
format, the learned vocabulary, the threshold and the feature names), written with a fixed
gzip header, so the same training data give the same bytes; its **version** is the first 12
hex digits of the file's SHA-256, recorded in every article row (``strip_model``) and in the
Parquet metadata.

Training (:func:`train`) is deterministic: one thread, fixed seeds, documents in a fixed
order. The vocabulary features a booster learns from are computed out of fold (each group of
documents gets the vocabulary learned from the other groups), so the booster sees them as they
are on an unseen outlet, not as on the documents they were counted on.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.strip.features import FEATURE_NAMES, FeatureExtractor
from pipeline.strip.item import Item
from pipeline.strip.vocabulary import Vocabulary

FORMAT = 1
#: The model the package ships (trained by ``python -m pipeline train``: docs/stripping.md).
SHIPPED_MODEL = Path(__file__).resolve().parent / "models" / "line-model.json.gz"
#: A line is boilerplate at this probability or more.
THRESHOLD = 0.5
#: Rules whose removal stands whatever the model says: structure, not wording (a repeated
#: headline, a cut-off copy of a line, a line recurring across unrelated stories).
RULES_ALONE = ("position.repeated-headline", "position.title-in-body", "position.cut-off-copy")
RULES_ALONE_PREFIXES = ("stats.",)


class ModelError(ValueError):
    """A model file is missing or invalid; the message names the file."""


@dataclass(slots=True)
class Decision:
    """The model's word on one line: removed or not, the probability, the kind."""

    removed: bool
    probability: float
    kind: str
    rule: str


class LineModel:
    """A loaded line model: predicts boilerplate and its kind for feature matrices."""

    def __init__(self, data: dict, version: str, path: Path | None = None) -> None:
        import lightgbm

        if data.get("format") != FORMAT or data.get("features") != FEATURE_NAMES:
            raise ModelError("model was trained with other features; retrain it")
        self.version = version
        self.path = path
        self.threshold = float(data["threshold"])
        self.kinds: list[str] = list(data["kinds"])
        #: languages of the articles it was trained on: it decides only articles in them
        self.languages = frozenset(data["languages"])
        self.vocabulary = Vocabulary.from_json(data["vocabulary"])
        self.extractor = FeatureExtractor(self.vocabulary)
        self._boiler = lightgbm.Booster(model_str=data["booster"])
        page = data.get("page_booster")
        self._page = lightgbm.Booster(model_str=page) if page else None
        gate = data.get("gate")
        if gate:
            columns = [FEATURE_NAMES.index(f) for f in gate["features"]]
            self._gate = (columns, np.array(gate["weights"]), float(gate["bias"]))
        self._kind = lightgbm.Booster(model_str=data["kind_booster"]) if self.kinds else None

    @classmethod
    def load(cls, path: str | Path) -> LineModel:
        """The model in file ``path``."""
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise ModelError(f"{path}: cannot read line model: {exc.strerror}") from exc
        try:
            return cls.from_bytes(raw, Path(path))
        except ModelError as exc:
            raise ModelError(f"{path}: {exc}") from exc

    @classmethod
    def from_bytes(cls, raw: bytes, path: Path | None = None) -> LineModel:
        """The model whose file contents are ``raw`` (``path``: where it was read from)."""
        try:
            data = json.loads(gzip.decompress(raw))
            return cls(data, version_of(raw), path)
        except (OSError, ValueError, EOFError) as exc:
            raise ModelError(f"not a line model file ({exc})") from exc
        except (KeyError, TypeError) as exc:
            raise ModelError(f"not a line model (missing {exc})") from exc

    def is_page(self, matrix: np.ndarray) -> np.ndarray:
        """Whether each row's document looks like a whole page (the page booster decides it)
        rather than an article's paragraphs."""
        if self._page is None:
            return np.zeros(len(matrix), dtype=bool)
        columns, weights, bias = self._gate
        return matrix[:, columns].astype(np.float64) @ weights + bias > 0

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """Each row's probability of boilerplate."""
        if not len(matrix):
            return np.zeros(0)
        pages = self.is_page(matrix)
        probability = np.zeros(len(matrix))
        for booster, rows in ((self._boiler, ~pages), (self._page, pages)):
            if rows.any():
                probability[rows] = booster.predict(matrix[rows], num_threads=1)
        return probability

    def kinds_of(self, matrix: np.ndarray) -> list[str]:
        """The most likely kind of each row (read as boilerplate)."""
        if self._kind is None or not len(matrix):
            return ["other"] * len(matrix)
        scores = self._kind.predict(matrix, num_threads=1)
        return [self.kinds[i] for i in np.argmax(scores.reshape(len(matrix), -1), axis=1)]

    def contributions(self, row: np.ndarray, top: int = 5) -> list[tuple[str, float]]:
        """The features that weighed most on one row's boilerplate score (SHAP values, in
        log-odds), strongest first."""
        row = row.reshape(1, -1)
        booster = self._page if self.is_page(row)[0] else self._boiler
        values = booster.predict(row, pred_contrib=True, num_threads=1)[0]
        order = np.argsort(-np.abs(values[:-1]))[:top]
        return [(FEATURE_NAMES[i], float(values[i])) for i in order]

    def decide(
        self, items: list[Item], matrix: np.ndarray, headlines: Sequence[Item] = ()
    ) -> list[Decision]:
        """The decision on each item, from its rule evidence and the model's probability.
        ``headlines`` (the rules' headline of each article) are kept: the headline is the
        article's, and a line the model cannot tell from a sidebar headline by its shape."""
        probability = self.probabilities(matrix)
        removed = probability >= self.threshold
        if headlines:
            kept = {id(headline) for headline in headlines}
            removed &= np.array([id(item) not in kept for item in items])
        # The kind model runs only for lines no rule gave a kind
        wanted = [n for n in np.flatnonzero(removed).tolist() if not items[n].removed]
        kinds = dict(zip(wanted, self.kinds_of(matrix[wanted]), strict=True))
        decisions = []
        for n, item in enumerate(items):
            p = float(probability[n])
            if item.removed and rule_alone(item.rule):
                decisions.append(Decision(True, p, item.kind, item.rule))
            elif removed[n]:
                kind = item.kind if item.removed else kinds[n]
                decisions.append(Decision(True, p, kind, f"model.{kind}"))
            else:
                decisions.append(Decision(False, p, "", ""))
        return decisions


def rule_alone(rule: str) -> bool:
    """Whether a removal by ``rule`` stands whatever the model says (:data:`RULES_ALONE`)."""
    return rule in RULES_ALONE or rule.startswith(RULES_ALONE_PREFIXES)


def version_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:12]


def model_bytes(data: dict) -> bytes:
    """A model's file contents: the same ``data`` always give the same bytes."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0, filename="") as f:
        f.write(text)
    return out.getvalue()


def load_model(path: str | Path | None = None) -> LineModel:
    """The model at ``path`` (the shipped one for ``None``), loaded once per process and
    file version."""
    resolved = Path(path if path is not None else SHIPPED_MODEL).resolve()
    try:
        stamp = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise ModelError(f"{path}: cannot read line model: {exc.strerror}") from exc
    return _load_cached(str(resolved), stamp)


@lru_cache(maxsize=8)
def _load_cached(path: str, stamp: int) -> LineModel:
    return LineModel.load(path)


def models_metadata(versions: Sequence[str | None]) -> dict[str, str]:
    """Parquet metadata naming the line model versions of a part's articles (``strip_model``:
    comma-separated, ``rules`` for articles the rules alone decided)."""
    names = sorted({v or "rules" for v in versions})
    return {"strip_model": ",".join(names)} if names else {}
