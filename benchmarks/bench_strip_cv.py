"""Stripping quality on outlets and pages never trained on: cross-validation, one table.

    python -m benchmarks.bench_strip_cv [--folds 5] [--json OUT.json]

The labelled articles of ``../shared/dev-text`` and ``../shared/text-train`` are split into
``--folds`` folds by outlet (an outlet's documents always share a fold); the whole pages of
``../shared/html-dev/dirty`` and ``../shared/html-train/dirty`` into folds by page. Each fold
is stripped by a line model trained (:func:`pipeline.strip.training.train_prepared`, exactly
what ``python -m pipeline train`` runs) on the other folds' articles and pages alone. Beside it,
in the same run: the rules alone (``Stripper(model=None)``; note that they were written while
reading dev-text, so on its folds they are not unseen) and datatrove's C4 line filter as the
anchor. Then the seeds gold, stripped with the shipped model (the seeds are in no training set).

Articles: line precision / recall / F1 with every line ("strict") and without the debatable
ones ("lenient"), the non-debatable content lines removed, and recall per kind. A line cut by
a fragment rule counts as kept, as in ``dev-text/score.py``. Pages: the shingle metric of
``html-dev`` (4-token shingles of the kept text against ``articleBody``; precision and recall
per page, averaged; F1 of the two means).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.corpus import SHARED
from pipeline.record_types import Line
from pipeline.strip.labelled import LabelledDoc, read_labelled, shingles, tokens
from pipeline.strip.linemodel import LineModel, load_model, rule_alone
from pipeline.strip.stripper import Stripper
from pipeline.strip.training import Prepared, prepare, train_prepared

ARTICLE_SETS = ("dev-text", "text-train")
#: Thresholds of the sweep table (the model's own is its ``threshold``).
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
PAGE_SETS = ("html-dev", "html-train")


@dataclass
class LineScore:
    """Line counts of one stripper over labelled articles."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tp_lenient: int = 0
    fp_lenient: int = 0
    fn_lenient: int = 0
    content: int = 0  # non-debatable content lines
    content_removed: int = 0
    kind_total: Counter = field(default_factory=Counter)
    kind_found: Counter = field(default_factory=Counter)

    def add(self, doc: LabelledDoc, removed: Sequence[bool]) -> None:
        for gold, out, debatable, kind in zip(
            doc.boilerplate, removed, doc.debatable, doc.kinds, strict=True
        ):
            self.tp += gold and out
            self.fp += out and not gold
            self.fn += gold and not out
            if not debatable:
                self.tp_lenient += gold and out
                self.fp_lenient += out and not gold
                self.fn_lenient += gold and not out
                self.content += not gold
                self.content_removed += out and not gold
            if gold:
                self.kind_total[kind] += 1
                self.kind_found[kind] += out

    @staticmethod
    def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class PageScore:
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)

    def add(self, kept: str, gold: str) -> None:
        out, want = Counter(shingles(tokens(kept))), Counter(shingles(tokens(gold)))
        common = sum((out & want).values())
        if out:
            self.precision.append(common / sum(out.values()))
        self.recall.append(common / sum(want.values()) if want else 0.0)

    def prf(self) -> tuple[float, float, float]:
        p = sum(self.precision) / len(self.precision) if self.precision else 0.0
        r = sum(self.recall) / len(self.recall) if self.recall else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0


def article_folds(docs: Sequence[Prepared], folds: int) -> list[int]:
    """A fold per document: outlets, largest first, each to the fold with fewest lines."""
    lines_of: dict[str, int] = defaultdict(int)
    for p in docs:
        lines_of[p.doc.group] += len(p.items)
    load = [0] * folds
    fold_of: dict[str, int] = {}
    for group in sorted(lines_of, key=lambda g: (-lines_of[g], g)):
        fold_of[group] = min(range(folds), key=lambda f: (load[f], f))
        load[fold_of[group]] += lines_of[group]
    return [fold_of[p.doc.group] for p in docs]


def rules_removed(p: Prepared) -> list[bool]:
    return [item.removed for item in p.items]


def model_removed(model: LineModel, p: Prepared, sweep: dict | None = None) -> list[bool]:
    """The model's decisions on ``p``; with ``sweep``, also those at each of
    :data:`THRESHOLDS` (with the rules' removals kept or not), added to its scores."""
    decisions = model.decide_all([(p.items, p.title_item)])[0]
    if sweep is not None:
        alone = [item.removed and rule_alone(item.rule) for item in p.items]
        union = [item.removed for item in p.items]
        probability = [
            0.0 if item is p.title_item else d.probability
            for item, d in zip(p.items, decisions, strict=True)
        ]
        for t in THRESHOLDS:
            for name, rules in (("model", alone), ("model+rules", union)):
                removed = [q >= t or r for q, r in zip(probability, rules, strict=True)]
                sweep.setdefault((name, t), LineScore()).add(p.doc, removed)
    return [d.removed for d in decisions]


def c4_removed(doc: LabelledDoc) -> list[bool]:
    """Lines datatrove's C4 filter drops (its per-line tests; document-level verdicts,
    which drop or keep a whole text, are not line decisions and are left out)."""
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4QualityFilter

    c4 = C4QualityFilter(min_num_sentences=-1, filter_lorem_ipsum=False, filter_curly_bracket=False)
    removed = []
    for line in doc.lines:
        document = Document(text=line.text, id="0")
        verdict = c4.filter(document)
        removed.append(not (verdict is True and document.text.strip()))
    return removed


def kept_text(doc: LabelledDoc, removed: Sequence[bool]) -> str:
    return "\n".join(line.text for line, out in zip(doc.lines, removed, strict=True) if not out)


def load_sets(names: Sequence[str], sub: str = "") -> list[LabelledDoc]:
    docs = []
    for name in names:
        folder = SHARED / name
        if not (folder / sub).is_dir():
            raise SystemExit(f"{folder / sub}: missing (the benchmark needs ../shared)")
        docs.extend(read_labelled(folder))
    return docs


def cross_validate(
    articles: list[Prepared],
    pages: list[Prepared],
    folds: int,
    gold: dict[str, str],
    set_of: dict[int, str],
) -> dict[str, LineScore | PageScore]:
    """Every stripper's scores; ``set_of`` names each article's set (by ``id`` of its doc),
    for the rules' and the model's scores per set (``rules@SET``, ``model@SET``)."""
    article_fold = article_folds(articles, folds)
    page_fold = [n % folds for n in range(len(pages))]
    scores: dict[str, LineScore | PageScore] = {
        "rules": LineScore(),
        "model": LineScore(),
        "c4": LineScore(),
        "page:as is": PageScore(),
        "page:rules": PageScore(),
        "page:model": PageScore(),
        "page:c4": PageScore(),
        "sweep": {},
        **{f"{name}@{s}": LineScore() for name in ("rules", "model") for s in ARTICLE_SETS},
    }
    for p in articles:
        scores["rules"].add(p.doc, rules_removed(p))
        scores[f"rules@{set_of[id(p.doc)]}"].add(p.doc, rules_removed(p))
        scores["c4"].add(p.doc, c4_removed(p.doc))
    for p in pages:
        body = gold[p.doc.name]
        scores["page:as is"].add(kept_text(p.doc, [False] * len(p.items)), body)
        scores["page:rules"].add(kept_text(p.doc, rules_removed(p)), body)
        scores["page:c4"].add(kept_text(p.doc, c4_removed(p.doc)), body)
    for fold in range(folds):
        train = [p for p, f in zip(articles, article_fold, strict=True) if f != fold]
        train += [p for p, f in zip(pages, page_fold, strict=True) if f != fold]
        model = LineModel.from_bytes(train_prepared(train))
        for p, f in zip(articles, article_fold, strict=True):
            if f == fold:
                removed = model_removed(model, p, scores["sweep"])
                scores["model"].add(p.doc, removed)
                scores[f"model@{set_of[id(p.doc)]}"].add(p.doc, removed)
        for p, f in zip(pages, page_fold, strict=True):
            if f == fold:
                scores["page:model"].add(
                    kept_text(p.doc, model_removed(model, p)), gold[p.doc.name]
                )
        print(f"fold {fold + 1}/{folds} done", file=sys.stderr)
    return scores


def seeds_gold(make: Callable[[], Stripper]) -> tuple[int, int, int, int]:
    """(strip lines removed, strip lines, keep lines kept, keep lines) on the seeds gold."""
    gold = json.loads((SHARED / "seeds" / "gold.json").read_text(encoding="utf-8"))
    stripper = make()
    removed = strip_total = kept = keep_total = 0
    for name, doc in gold["documents"].items():
        texts = (SHARED / "seeds" / name).read_text(encoding="utf-8").split("\n")
        stripped = stripper.strip([Line(n, t) for n, t in enumerate(texts)])
        gone = {r.source_line for r in stripped.removed}
        kept_lines = {line.source_line for line in stripped.kept}
        title_line = doc.get("title_line")
        for number in doc["strip"]:
            strip_total += 1
            removed += int(number) - 1 in gone and int(number) - 1 not in kept_lines
        for number in doc["keep"]:
            keep_total += 1
            kept += number - 1 in kept_lines or (number == title_line and bool(stripped.title))
    return removed, strip_total, kept, keep_total


def report(scores: dict, seeds: dict[str, tuple[int, int, int, int]], folds: int) -> dict:
    rows = {}
    print(f"\nArticles ({', '.join(ARTICLE_SETS)}), {folds}-fold CV by outlet")
    print(
        f"{'stripper':10s} {'P':>6s} {'R':>6s} {'F1':>6s} {'lenP':>6s} {'lenR':>6s} "
        f"{'lenF1':>6s} {'content removed':>16s}"
    )
    kinds = sorted(scores["model"].kind_total, key=lambda k: -scores["model"].kind_total[k])
    for name in ("rules", "model", "c4"):
        s: LineScore = scores[name]
        strict = s.prf(s.tp, s.fp, s.fn)
        lenient = s.prf(s.tp_lenient, s.fp_lenient, s.fn_lenient)
        share = s.content_removed / s.content if s.content else 0.0
        removed = f"{s.content_removed} ({share:.2%})"
        print(
            f"{name:10s} {strict[0]:6.3f} {strict[1]:6.3f} {strict[2]:6.3f} {lenient[0]:6.3f} "
            f"{lenient[1]:6.3f} {lenient[2]:6.3f} {removed:>16s}"
        )
        recall = {k: s.kind_found[k] / s.kind_total[k] for k in kinds}
        rows[name] = {
            "strict": strict,
            "lenient": lenient,
            "content_removed": s.content_removed,
            "content_lines": s.content,
            "recall_by_kind": recall,
        }
    print("\nBy set (the rules were written while reading dev-text): strict F1, lenient F1")
    for name in ARTICLE_SETS:
        figures = []
        for stripper in ("rules", "model"):
            s = scores[f"{stripper}@{name}"]
            strict = s.prf(s.tp, s.fp, s.fn)[2]
            lenient = s.prf(s.tp_lenient, s.fp_lenient, s.fn_lenient)[2]
            rows[f"{stripper}@{name}"] = {"strict_f1": strict, "lenient_f1": lenient}
            figures.append(f"{stripper} {strict:.3f} {lenient:.3f} ({s.content_removed} removed)")
        print(f"  {name:12s} " + "   ".join(figures))
    print("\nThreshold sweep (articles): strict P R F1, lenient F1, content removed")
    for (name, t), s in sorted(scores["sweep"].items()):
        strict = s.prf(s.tp, s.fp, s.fn)
        lenient = s.prf(s.tp_lenient, s.fp_lenient, s.fn_lenient)
        print(
            f"  {name:12s} {t:.1f} {strict[0]:6.3f} {strict[1]:6.3f} {strict[2]:6.3f} "
            f"{lenient[2]:6.3f} {s.content_removed:5d}"
        )
    print(f"\nRecall per kind (gold lines): {'rules':>7s} {'model':>7s} {'c4':>7s}")
    for kind in kinds:
        values = " ".join(
            f"{rows[n]['recall_by_kind'][kind]:7.3f}" for n in ("rules", "model", "c4")
        )
        print(f"  {kind:24s} {scores['model'].kind_total[kind]:4d} {values}")
    print(f"\nWhole pages ({', '.join(PAGE_SETS)} dirty/), {folds}-fold CV by page, shingle metric")
    for name in ("as is", "rules", "model", "c4"):
        p, r, f1 = scores[f"page:{name}"].prf()
        rows[f"page:{name}"] = (p, r, f1)
        print(f"  {name:10s} P {p:.3f} R {r:.3f} F1 {f1:.3f}")
    print("\nSeeds gold (strip lines removed, keep lines kept)")
    for name, (removed, strip_total, kept, keep_total) in seeds.items():
        rows[f"seeds:{name}"] = (removed, strip_total, kept, keep_total)
        print(f"  {name:10s} {removed}/{strip_total} removed, {kept}/{keep_total} kept")
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    by_set = {name: load_sets([name], "labels") for name in ARTICLE_SETS}
    set_of = {id(doc): name for name, docs in by_set.items() for doc in docs}
    articles = prepare([doc for docs in by_set.values() for doc in docs])
    pages = prepare(load_sets(PAGE_SETS, "dirty"))
    gold = {}
    for name in PAGE_SETS:
        truth = json.loads((SHARED / name / "ground-truth.json").read_text(encoding="utf-8"))
        gold.update({k: v.get("articleBody") or "" for k, v in truth.items()})
    seeds = {
        "rules": seeds_gold(lambda: Stripper(model=None)),
        "model": seeds_gold(lambda: Stripper(model=load_model())),
    }
    scores = cross_validate(articles, pages, args.folds, gold, set_of)
    rows = report(scores, seeds, args.folds)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
