"""The line model: gradient-boosted trees (LightGBM) over :mod:`pipeline.strip.line_features`.

Experts give each line its probability of being boilerplate: one for articles (a scrape of
their paragraphs) and, when trained with whole pages, one for pages, each with its own learned
vocabulary and booster; a text scrape the ``gate`` (:mod:`pipeline.strip.doc_gate`, learned)
takes for a whole page goes to the page expert. When trained with extracted HTML, an ``html``
expert decides the lines an extractor took from a page (``body_kind="html"``). Another
booster gives a boilerplate line's kind.

A model file is gzip-compressed JSON (the boosters in LightGBM's text format, the learned
vocabularies, the gate, the threshold and the feature names), written with a fixed gzip
header, so the same training data give the same bytes; its **version** is the first 12
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
from typing import NamedTuple

import numpy as np

from pipeline.record_types import BodyKind
from pipeline.strip.doc_gate import is_whole_page
from pipeline.strip.item import Item
from pipeline.strip.kinds import OTHER
from pipeline.strip.line_features import (
    FEATURE_NAMES,
    ArticleLines,
    FeatureExtractor,
    TextFeatures,
    batch_matrix,
)
from pipeline.strip.vocabulary import Vocabulary

FORMAT = 2
#: The model the package ships (trained by ``python -m pipeline train``: docs/stripping.md).
SHIPPED_MODEL = Path(__file__).resolve().parents[1] / "models" / "line-model.json.gz"
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


class ArticleFeatures(NamedTuple):
    """One article's items and headline with what its expert reads of its lines (the rows
    of a batch's matrix, :func:`pipeline.strip.line_features.batch_matrix`)."""

    items: list[Item]
    title_item: Item | None
    expert: str
    lines: ArticleLines
    #: What the article expert reads, for the kind booster (``lines`` itself when the
    #: article expert decides).
    kind_lines: ArticleLines


@dataclass(slots=True)
class Expert:
    """What decides one type of document: its vocabulary's features and its booster."""

    extractor: FeatureExtractor
    booster: object  # lightgbm.Booster

    @classmethod
    def of(cls, data: dict, texts: TextFeatures) -> Expert:
        """The expert in ``data``, its extractor reading text features from ``texts``."""
        import lightgbm

        extractor = FeatureExtractor(Vocabulary.from_json(data["vocabulary"]), texts)
        return cls(extractor, lightgbm.Booster(model_str=data["booster"]))


class LineModel:
    """A loaded line model: its experts (``article``, ``page`` when trained with whole
    pages, ``html`` when trained with extracted HTML), the gate between the first two, and
    the kind booster (on the article expert's features)."""

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
        texts = TextFeatures()  # the experts share what no vocabulary changes
        self.experts = {name: Expert.of(e, texts) for name, e in data["experts"].items()}
        self.gate = data.get("gate")  # None: one expert for every text scrape
        #: the body kinds it decides: extracted HTML only with an ``html`` expert
        self.body_kinds = frozenset(["text", "html"] if "html" in self.experts else ["text"])
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

    def expert_for(self, items: Sequence[Item], body_kind: BodyKind = "text") -> str:
        """``html`` for extracted HTML; ``page`` for a text the gate takes for a whole page;
        else ``article``."""
        if body_kind == "html":
            if body_kind not in self.body_kinds:
                raise ModelError("the model was not trained on extracted HTML")
            return "html"
        return "page" if self.gate and is_whole_page(self.gate, items) else "article"

    def matrix(self, items: list[Item], title_item: Item | None, expert: str) -> np.ndarray:
        return self.experts[expert].extractor.matrix(items, title_item)

    def features(
        self, items: list[Item], title_item: Item | None, body_kind: BodyKind = "text"
    ) -> ArticleFeatures:
        """What the boosters read of one article: what its expert reads of its lines, and
        what the article expert reads (the kind booster reads that) when another expert
        decides it: the same but for the vocabulary's columns."""
        expert = self.expert_for(items, body_kind)
        kind_lines = self.experts["article"].extractor.lines(items, title_item)
        if expert == "article":
            return ArticleFeatures(items, title_item, expert, kind_lines, kind_lines)
        lines = self.experts[expert].extractor.with_own_vocabulary(kind_lines)
        return ArticleFeatures(items, title_item, expert, lines, kind_lines)

    def decide_all(
        self, evidence: Sequence[tuple[list[Item], Item | None]], body_kind: BodyKind = "text"
    ) -> list[list[Decision]]:
        """The decisions on several articles' items (given with their headline), all of
        ``body_kind``."""
        return self.decide_features([self.features(*found, body_kind) for found in evidence])

    def decide_features(self, articles: Sequence[ArticleFeatures]) -> list[list[Decision]]:
        """The decisions on several articles, with one feature matrix and one booster call
        per expert."""
        decided: list[list[Decision]] = [[] for _ in articles]
        by_expert: dict[str, list[int]] = {}
        for n, article in enumerate(articles):
            if article.items:
                by_expert.setdefault(article.expert, []).append(n)
        for expert, docs in sorted(by_expert.items()):
            chosen = [articles[n] for n in docs]
            matrix = batch_matrix([article.lines for article in chosen])
            if expert == "article":
                kind_rows = matrix
            else:
                kind_rows = batch_matrix([article.kind_lines for article in chosen])
            items = [item for article in chosen for item in article.items]
            headlines = [a.title_item for a in chosen if a.title_item is not None]
            flat = self._decide(items, matrix, kind_rows, headlines, expert)
            start = 0
            for n in docs:
                end = start + len(articles[n].items)
                decided[n], start = flat[start:end], end
        return decided

    def kinds_of(self, matrix: np.ndarray) -> list[str]:
        """The most likely kind of each row of the article expert's features."""
        if self._kind is None or not len(matrix):
            return [OTHER] * len(matrix)
        scores = self._kind.predict(matrix, num_threads=1)
        return [self.kinds[i] for i in np.argmax(scores.reshape(len(matrix), -1), axis=1)]

    def contributions(
        self,
        items: list[Item],
        title_item: Item | None,
        top: int = 5,
        body_kind: BodyKind = "text",
    ) -> list[list[tuple[str, float]]]:
        """Per item, the features that weighed most on its boilerplate score (SHAP values,
        in log-odds), strongest first."""
        expert = self.expert_for(items, body_kind)
        matrix = self.matrix(items, title_item, expert)
        values = self.experts[expert].booster.predict(matrix, pred_contrib=True, num_threads=1)
        orders = np.argsort(-np.abs(values[:, :-1]), axis=1)[:, :top]
        return [
            [(FEATURE_NAMES[i], float(row[i])) for i in order]
            for row, order in zip(values, orders, strict=True)
        ]

    def _decide(
        self,
        items: list[Item],
        matrix: np.ndarray,
        kind_rows: np.ndarray,
        headlines: Sequence[Item],
        expert: str,
    ) -> list[Decision]:
        """The decision on each item, from its rule evidence and the expert's probability.
        ``headlines`` (the rules' headline of each article) are kept: the headline is the
        article's, and a line the model cannot tell from a sidebar headline by its shape."""
        probability = self.experts[expert].booster.predict(matrix, num_threads=1)
        removed = probability >= self.threshold
        if headlines:
            kept = {id(headline) for headline in headlines}
            removed &= np.array([id(item) not in kept for item in items])
        # The kind model runs only for lines no rule gave a kind
        wanted = [n for n in np.flatnonzero(removed).tolist() if not items[n].removed]
        kinds = dict(zip(wanted, self.kinds_of(kind_rows[wanted]), strict=True))
        decisions = []
        # Python floats and bools: indexing numpy arrays item by item is slower
        for n, (item, p, model_removes) in enumerate(
            zip(items, probability.tolist(), removed.tolist(), strict=True)
        ):
            if item.removed and rule_alone(item.rule):
                decisions.append(Decision(True, p, item.kind, item.rule))
            elif model_removes:
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
