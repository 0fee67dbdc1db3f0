"""Dedup on real wire copy: links scored against the hand-judged pairs of ``../shared/dedup-dev``.

The dev set's raw articles go through the pipeline's stages once (``plain_ingest``);
its kept paragraphs are then linked again under each parameter setting (the same input the
link stage builds) and every result is scored with the dev set's own ``score.py``.

Figures are cross-validated by story: the stories are cut into ``FOLDS`` folds; for each
fold the parameter setting of :data:`GRID` with the best recall at precision >= 0.98 on the
other folds' pairs is chosen and scored on the held-out fold's pairs; the table pools the
held-out counts of all folds. Untuned methods (the shipped defaults, datasketch) are scored
the same way, fold by fold, so that every row counts the same pairs. The synthetic figures
of :mod:`benchmarks.bench_dedup` (10k paragraphs) sit beside them.

    python -m benchmarks.bench_dedup_real [--dev ../shared/dedup-dev] [--workdir DIR] [-v]

Links between stories of different folds count in both folds' held-out figures (a wrong
cross-story link is then counted twice); gold pairs across folds are scored in the fold of
their first file's story only.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.rows_flow import plain_ingest
from pipeline.dedup import PARAGRAPH_INPUT, DedupParams, link_paragraphs
from pipeline.dedup.paragraph_features import Features, feature_columns, features_of_table
from pipeline.normalize import normalize_for_match

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEV = ROOT.parent / "shared" / "dedup-dev"
FOLDS = 5
PRECISION_BAR = 0.98
LABELS = ("near", "contained", "exact")

#: The parameter settings tuned over, per fold, on the other folds' pairs.
GRID: tuple[DedupParams, ...] = tuple(
    replace(
        DedupParams(),
        near_threshold=near,
        near_share_threshold=edited,
        contain_threshold=contain,
        contain_min_words=shortest,
    )
    for near in (0.4, 0.5)
    for edited in (0.65, 0.8)
    for contain in (0.55, 0.6, 0.7)
    for shortest in (8, 10)
)

TUNED = ("near_threshold", "near_share_threshold", "contain_threshold", "contain_min_words")

#: link_paragraphs' input columns a scored clean directory needs beside the links.
_PARAGRAPH_COLUMNS = ["article_id", "idx", "source_line", "text"]


@dataclass(frozen=True)
class DevSet:
    """The dev set's paragraphs as the ingest kept them, and its gold."""

    root: Path
    articles: pa.Table  # article_id, source_path, published
    paragraphs: pa.Table  # _PARAGRAPH_COLUMNS
    sources: pa.Table  # source_path, outcome, duplicate_of_path
    gold: list[dict]
    score: ModuleType

    def story_of(self, path: str) -> str:
        return Path(path).name.split("_")[0]

    def link_input(self) -> pa.Table:
        """What the link stage gives link_paragraphs: ingest order by article_id, no known
        truncation."""
        order = self.articles.sort_by("article_id")
        rank = pa.table(
            {
                "article_id": order["article_id"],
                "published": order["published"],
                "ingest_order": pa.array(range(len(order)), pa.int64()),
            }
        )
        table = self.paragraphs.join(rank, "article_id").sort_by(
            [("article_id", "ascending"), ("idx", "ascending")]
        )
        table = table.append_column("is_truncated", pa.nulls(len(table), pa.bool_()))
        return table.select(PARAGRAPH_INPUT.names).cast(PARAGRAPH_INPUT)


def load_dev(dev: Path, workdir: Path) -> DevSet:
    """Ingest ``dev``/raw with the pipeline's stages (once per workdir; the flow's stage
    calls without Prefect) and read it back."""
    clean = workdir / "ingested"
    if not (clean / "paragraphs").exists():
        plain_ingest(str(dev / "raw"), str(clean))
    score = _import_score(dev)
    read = score.read
    articles = pa.Table.from_pylist(
        read(str(clean), "articles", ["article_id", "source_path", "published"])
    )
    paragraphs = pa.Table.from_pylist(read(str(clean), "paragraphs", _PARAGRAPH_COLUMNS))
    sources = pa.Table.from_pylist(
        read(str(clean), "sources", ["source_path", "outcome", "duplicate_of_path"])
    )
    gold = [json.loads(line) for line in (dev / "gold_pairs.jsonl").open(encoding="utf-8")]
    return DevSet(dev, articles, paragraphs.cast(_paragraph_schema()), sources, gold, score)


def _paragraph_schema() -> pa.Schema:
    types = (pa.string(), pa.int32(), pa.int32(), pa.string())
    return pa.schema(list(zip(_PARAGRAPH_COLUMNS, types, strict=True)))


def _import_score(dev: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("dedup_dev_score", dev / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- methods: each maps the link input to its links (LINK_SCHEMA columns) -----------------


def links_ours(params: DedupParams, features: Features) -> Callable[[pa.Table], pa.Table]:
    """link_paragraphs with ``params`` on features computed once, as the strip workers do
    (every setting of :data:`GRID` shares the signature parameters)."""

    def run(table: pa.Table) -> pa.Table:
        return link_paragraphs(table, [], params=params, features=features).links

    return run


def links_datasketch(containment: bool) -> Callable[[pa.Table], pa.Table]:
    """datasketch 2.0 on normalised word trigrams (128 permutations): MinHashLSH at Jaccard
    0.5, or MinHashLSHEnsemble at containment 0.5 (the paragraph inside the other). In input
    order, each paragraph joins the cluster of the first earlier paragraph the index returns
    (as in bench_dedup; joining every returned pair into connected components chains most
    of the corpus into one cluster). Paragraphs under 8 words link on an exact normalised
    match only, as ours do."""

    def run(table: pa.Table) -> pa.Table:
        from datasketch import MinHash, MinHashLSH, MinHashLSHEnsemble

        texts = [normalize_for_match(t) for t in table["text"].to_pylist()]
        parent = list(range(len(texts)))
        first: dict[str, int] = {}
        signed: list[tuple[int, MinHash, int]] = []
        for r, text in enumerate(texts):
            if text in first:
                parent[r] = parent[first[text]]
                continue
            first[text] = r
            words = text.split()
            if len(words) >= 8:
                shingles = {" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)}
                m = MinHash(num_perm=128)
                m.update_batch(list(shingles))
                signed.append((r, m, len(shingles)))
        if containment:
            ensemble = MinHashLSHEnsemble(threshold=0.5, num_perm=128, num_part=16)
            ensemble.index(signed)
            for r, m, size in signed:
                earlier = [x for x in ensemble.query(m, size) if x < r]
                if earlier:
                    parent[r] = parent[min(earlier)]
        else:
            lsh = MinHashLSH(threshold=0.5, num_perm=128)
            for r, m, _ in signed:
                hits = lsh.query(m)
                if hits:
                    parent[r] = parent[min(hits)]
                lsh.insert(r, m)
        return _links_of_roots(table, parent)

    return run


def _links_of_roots(table: pa.Table, root: list[int]) -> pa.Table:
    articles, idx = table["article_id"].to_pylist(), table["idx"].to_pylist()
    target = [root[r] if root[r] != r else None for r in range(len(root))]
    linked = [t is not None for t in target]
    return pa.table(
        {
            "article_id": articles,
            "idx": pa.array(idx, pa.int32()),
            "duplicate_of_article": [None if t is None else articles[t] for t in target],
            "duplicate_of_idx": pa.array(
                [None if t is None else idx[t] for t in target], pa.int32()
            ),
            "similarity": pa.nulls(len(root), pa.float32()),
            "dup_kind": ["linked" if x else None for x in linked],
        }
    )


# -- scoring ----------------------------------------------------------------------------------


def write_clean(dev: DevSet, links: pa.Table, out: Path) -> None:
    """A clean directory score.py reads: the ingested articles and sources, and the
    paragraphs with ``links``' dedup columns."""
    paragraphs = dev.paragraphs.join(
        links.select(["article_id", "idx", "duplicate_of_article", "duplicate_of_idx"])
        .append_column("similarity", links["similarity"].cast(pa.float32()))
        .append_column("dup_kind", links["dup_kind"]),
        ["article_id", "idx"],
    )
    for name, table in (
        ("articles", dev.articles),
        ("paragraphs", paragraphs),
        ("sources", dev.sources),
    ):
        (out / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(table, out / name / "part-0.parquet")


def score(dev: DevSet, clean: Path, gold: Path, scope_out: Path | None, verbose: bool) -> dict:
    """score.py's summary of ``clean`` against ``gold``; pairs and links of ``scope_out``
    (a dev-style directory: raw/ names and gold_pairs.jsonl) are out of scope."""
    argv = [str(clean), str(dev.root / "raw"), "--gold", str(gold)]
    if scope_out is not None:
        argv += ["--dev", str(scope_out)]
    if verbose:
        argv.append("-v")
    out = io.StringIO()
    saved = sys.argv
    try:
        sys.argv = ["score.py", *argv]
        with contextlib.redirect_stdout(out):
            dev.score.main()
    finally:
        sys.argv = saved
    text = out.getvalue()
    if verbose:
        print("\n".join(line for line in text.splitlines() if not line.startswith("dedup real")))
    return json.loads(text.rsplit("dedup real-data: ", 1)[1])


@dataclass(frozen=True)
class Folds:
    """Story folds and, per fold, the gold split into held-out and training pairs, written
    as files score.py reads."""

    dir: Path
    n: int

    def test_gold(self, k: int) -> Path:
        return self.dir / f"fold{k}-test" / "gold_pairs.jsonl"

    def train_gold(self, k: int) -> Path:
        return self.dir / f"fold{k}-train" / "gold_pairs.jsonl"

    def test_scope(self, k: int) -> Path:
        return self.dir / f"fold{k}-test"

    def train_scope(self, k: int) -> Path:
        return self.dir / f"fold{k}-train"


def make_folds(dev: DevSet, out: Path, n: int = FOLDS) -> Folds:
    """Stories in numeric order, story i in fold i mod n. A pair is held out in the fold of
    its first file's story and trains the folds holding neither of its stories. Each
    fold's directories list its files under raw/ (empty files: score.py reads the names),
    so that links inside the other part are out of scope."""
    files = sorted(os.listdir(dev.root / "raw"))
    gold = _distinct_after_ledger(dev)
    stories = sorted({dev.story_of(f) for f in files}, key=int)
    fold_of = {s: i % n for i, s in enumerate(stories)}
    for k in range(n):
        test = [g for g in gold if fold_of[dev.story_of(g["a_file"])] == k]
        train = [
            g
            for g in gold
            if k not in (fold_of[dev.story_of(g["a_file"])], fold_of[dev.story_of(g["b_file"])])
        ]
        for part, pairs, inside in (("test", test, True), ("train", train, False)):
            d = out / f"fold{k}-{part}"
            (d / "raw").mkdir(parents=True, exist_ok=True)
            for f in files:
                if (fold_of[dev.story_of(f)] == k) == inside:
                    (d / "raw" / f).touch()
            with (d / "gold_pairs.jsonl").open("w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(g, ensure_ascii=False) + "\n" for g in pairs)
    return Folds(out, n)


def _distinct_after_ledger(dev: DevSet) -> list[dict]:
    """The gold pairs less those naming the same two lines as an earlier one once byte-equal
    files are read as the file the ledger kept (score.py scores such repeats once; split
    over folds they would count once per fold)."""
    same_as = {
        s["source_path"]: s["duplicate_of_path"]
        for s in dev.sources.to_pylist()
        if s["outcome"] == "duplicate"
    }
    seen, out = set(), []
    for g in dev.gold:
        key = frozenset(
            [
                (same_as.get(g["a_file"], g["a_file"]), g["a_line"]),
                (same_as.get(g["b_file"], g["b_file"]), g["b_line"]),
            ]
        )
        if key not in seen:
            seen.add(key)
            out.append(g)
    return out


def fold_scores(dev: DevSet, folds: Folds, clean: Path, held_out: bool) -> list[dict]:
    """score.py per fold: on its held-out pairs (links inside the training stories out of
    scope), or on its training pairs (links inside the held-out stories out of scope)."""
    out = []
    for k in range(folds.n):
        if held_out:
            # The training files' names mark the links between two of them as out of scope.
            out.append(score(dev, clean, folds.test_gold(k), folds.train_scope(k), False))
        else:
            out.append(score(dev, clean, folds.train_gold(k), folds.test_scope(k), False))
    return out


def pooled(results: Iterable[dict]) -> dict:
    """Counts summed over folds, and the precision and recall of the sums."""
    tp = fp = fn = 0
    by_label = {label: [0, 0] for label in LABELS}
    for r in results:
        tp += r["tp"]
        fp += r["fp_gold"] + r["fp_outside_candidates"]
        fn += r["fn"]
        for label in LABELS:
            hit, total = map(int, r["recall_by_label"][label].split("/"))
            by_label[label][0] += hit
            by_label[label][1] += total
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "wrong": fp,
        "missed": fn,
        "by_label": {label: f"{h}/{t}" for label, (h, t) in by_label.items()},
    }


def _rank(result: dict) -> tuple:
    """Training-fold preference: precision at the bar first, then recall, then precision."""
    p, r = result["precision"], result["recall"]
    return (p >= PRECISION_BAR, r if p >= PRECISION_BAR else p, p)


@dataclass
class Row:
    method: str
    result: dict
    note: str = ""


def evaluate(dev: DevSet, workdir: Path, verbose: bool = False, quick: bool = False) -> list[Row]:
    """The table's rows; ``quick``: two settings to tune over and no LSHEnsemble (a smoke
    test of the benchmark, not a figure)."""
    grid = GRID[:2] if quick else GRID
    folds = make_folds(dev, workdir / "folds")
    table = dev.link_input()
    shipped = DedupParams()
    features = features_of_table(feature_columns(table["text"].to_pylist(), shipped), shipped)
    cache: dict[str, list[dict]] = {}

    def held_out_and_train(
        name: str, method: Callable[[pa.Table], pa.Table], tuned: bool = True
    ) -> tuple:
        if name not in cache:
            print(f"  dedup-dev: {name}", file=sys.stderr, flush=True)
            clean = workdir / "clean" / name
            write_clean(dev, method(table), clean)
            cache[name] = [
                fold_scores(dev, folds, clean, held_out=True),
                fold_scores(dev, folds, clean, held_out=False) if tuned else [],
            ]
        return cache[name]

    rows = []
    test, _ = held_out_and_train("defaults", links_ours(shipped, features), tuned=False)
    rows.append(Row("ours, shipped defaults", pooled(test), "chosen on these stories"))
    tuned, chosen = [], []
    trained = {
        i: held_out_and_train(f"grid{i}", links_ours(p, features)) for i, p in enumerate(grid)
    }
    for k in range(folds.n):
        best = max(range(len(grid)), key=lambda i: (_rank(pooled([trained[i][1][k]])), -i))
        tuned.append(trained[best][0][k])
        chosen.append(best)
    settings = ", ".join("/".join(str(getattr(GRID[i], name)) for name in TUNED) for i in chosen)
    rows.append(Row("ours, tuned per fold", pooled(tuned), f"{'/'.join(TUNED)} chosen: {settings}"))
    references = [("datasketch MinHashLSH J0.5", links_datasketch(containment=False))]
    if not quick:
        references.append(("datasketch LSHEnsemble C0.5", links_datasketch(containment=True)))
    for name, method in references:
        test, _ = held_out_and_train(name.replace(" ", "_"), method, tuned=False)
        rows.append(Row(name, pooled(test), "untuned; first earlier hit's cluster"))
    if verbose:
        score(dev, workdir / "clean" / "defaults", dev.root / "gold_pairs.jsonl", None, True)
    return rows


def synthetic_row(size: int = 10_000) -> dict:
    from benchmarks.bench_dedup import subprocess_run

    return subprocess_run("ours", size)


def render(rows: list[Row], synthetic: dict | None) -> str:
    lines = [
        f"| dedup-dev, held out by story ({FOLDS} folds) | precision | recall | near "
        "| contained | exact | wrong | missed | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        r = row.result
        labels = " | ".join(r["by_label"][label] for label in LABELS)
        lines.append(
            f"| {row.method} | {r['precision']:.4f} | {r['recall']:.4f} | {labels} "
            f"| {r['wrong']} | {r['missed']} | {row.note} |"
        )
    if synthetic is not None:
        lines.append(
            f"| synthetic (bench_dedup, {synthetic['paragraphs']:,} paragraphs, ours) "
            f"| {synthetic['precision']:.4f} | {synthetic['recall']:.4f} | | | | | "
            f"| {synthetic['links']:,} links |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--workdir", type=Path, help="keeps the ingest between runs")
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("-v", action="store_true", help="list the defaults' wrong and missed")
    args = parser.parse_args(argv)
    print(report(args.dev, args.workdir, synthetic=not args.no_synthetic, verbose=args.v))


def report(
    dev_dir: Path = DEFAULT_DEV,
    workdir: Path | None = None,
    *,
    synthetic: bool = True,
    quick: bool = False,
    verbose: bool = False,
) -> str:
    """The benchmark's table (``python -m benchmarks`` prints it too)."""
    if not (dev_dir / "gold_pairs.jsonl").exists():
        return f"dedup real-data benchmark skipped: no {dev_dir}/gold_pairs.jsonl"
    with tempfile.TemporaryDirectory(prefix="dedup-real-") as tmp:
        work = workdir or Path(tmp)
        rows = evaluate(load_dev(dev_dir, work), work, verbose=verbose, quick=quick)
    return render(rows, synthetic_row(1_000 if quick else 10_000) if synthetic else None)


if __name__ == "__main__":
    main()
