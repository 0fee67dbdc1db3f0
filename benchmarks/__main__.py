"""``python -m benchmarks [--quick]``: every row measured in this run, one table.

Each row runs in a fresh process (:mod:`benchmarks.measure`) on the same generated corpus:
the median of ``--reps`` repetitions, their spread (half the range over the median), items
per second per core, the peak resident memory of the row's process tree, and the time
relative to the row's reference (<1 is faster). The language table gives each detector
arrangement's accuracy on labelled articles; the dedup real-data table scores the links
on ``../shared/dedup-dev``'s hand-judged pairs, held out by story
(:mod:`benchmarks.bench_dedup_real`). Without ``--quick``, the stripping table
(:mod:`benchmarks.bench_strip_cv`) gives the stripper's cross-validated quality, and the plot
of time and peak memory against corpus size is written to ``--plot``.

    --quick   tiny sizes (a smoke test, about a minute)
    default   stage rows at 1k articles (dedup at 10k), orchestration at 10k, scaling at 1k,
              10k and 100k (about half an hour on two cores)
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import bench_dedup_real as dedup_real
from benchmarks.corpus import ensure_on_disk
from benchmarks.measure import Result, measure_in_subprocess
from benchmarks.server import prefect_server

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Row:
    stage: str
    label: str
    target: str  # MODULE:FUNCTION returning a Job
    size: int
    reference: str | None = None  # label of the reference row of the same stage and size
    unit: str = "articles"


@dataclass(frozen=True)
class Sizes:
    stage: int
    dedup: int
    html_pages: int
    orchestration: int
    scaling: tuple[int, ...]
    batch_size: int


QUICK = Sizes(stage=30, dedup=60, html_pages=15, orchestration=60, scaling=(20, 60), batch_size=15)
DEFAULT = Sizes(
    stage=1000,
    dedup=10_000,
    html_pages=300,
    orchestration=10_000,
    scaling=(1000, 10_000, 100_000),
    batch_size=1000,
)


def plan(sizes: Sizes) -> list[Row]:
    s, d, o = sizes.stage, sizes.dedup, sizes.orchestration
    st, fl, ld = "benchmarks.rows_stages:", "benchmarks.rows_flow:", "langdetect full"
    rows = [
        Row("stripping", "ours: Stripper + line stats", st + "strip_ours", s, "datatrove C4"),
        Row("stripping", "datatrove C4", st + "strip_c4", s),
        Row("language", "ours: pycld2, then langdetect", st + "language_ours", s, ld),
        Row("language", "langdetect on sample", st + "language_sample", s, ld),
        Row("language", ld, st + "language_full", s),
        Row("language", "pycld2 full (floor)", st + "language_cld2", s, ld),
        Row("dedup", "ours: link_paragraphs", st + "dedup_ours", d, "datasketch", "paragraphs"),
        Row("dedup", "datasketch", st + "dedup_datasketch", d, None, "paragraphs"),
        Row("dedup", "shingle hash (floor)", st + "dedup_floor", d, "datasketch", "paragraphs"),
        Row("HTML", "ours: read+extract+lang+strip", st + "html_ours", s, "trafilatura", "pages"),
        Row("HTML", "trafilatura", st + "html_trafilatura", s, None, "pages"),
        Row("orchestration", "flow, workers=2", fl + "flow_2", o, "plain loop, 2 procs"),
        Row("orchestration", "plain loop, 2 procs", fl + "plain_2", o),
        Row("orchestration", "flow, workers=1", fl + "flow_1", o, "flow, workers=2"),
        Row("writing", "ours: write_part + commit", st + "write_ours", s, "pyarrow write_table"),
        Row("writing", "pyarrow write_table", st + "write_pyarrow", s),
    ]
    smallest = min(sizes.scaling)
    rows += [
        Row("scaling", "flow, workers=2", fl + "flow_2", n, None if n == smallest else "smallest")
        for n in sizes.scaling
        if n != o
    ]
    return rows


def run(rows: list[Row], reps: int, workdir: Path) -> dict[Row, Result]:
    results = {}
    for row in rows:
        start = time.perf_counter()
        results[row] = measure_in_subprocess(row.target, row.size, reps, workdir)
        seconds = time.perf_counter() - start
        progress = f"  {row.stage:14s} {row.label:32s} {row.size:>7,d}  {seconds:6.1f} s  "
        print(progress + json.dumps(results[row].__dict__), file=sys.stderr, flush=True)
    return results


def ratio(row: Row, results: dict[Row, Result]) -> float | None:
    """This row's median time over its reference's (per item, for the scaling rows)."""
    if row.reference is None:
        return None
    if row.reference == "smallest":
        base = min((r for r in results if r.target == row.target), key=lambda r: r.size)
        return (results[row].median / row.size) / (results[base].median / base.size)
    ref = next(r for r in results if r.stage == row.stage and r.label == row.reference)
    return results[row].median / results[ref].median


def table(results: dict[Row, Result]) -> str:
    head = (
        "| stage | variant | size | items | median s | spread | items/s/core | peak RSS MB "
        "| time vs ref |"
    )
    lines = [head, "|" + "---|" * 9]
    for row, res in results.items():
        r = ratio(row, results)
        ref = "ref" if r is None else f"{r:.2f}x {_ref_name(row)}"
        lines.append(
            f"| {row.stage} | {row.label} | {row.size:,} | {res.items:,} {row.unit} "
            f"| {res.median:.3f} | ±{res.spread:.0%} | {res.per_core:,.0f} "
            f"| {res.peak_rss_mb:,.0f} | {ref} |"
        )
    return "\n".join(lines)


def _ref_name(row: Row) -> str:
    return "(per item, vs smallest)" if row.reference == "smallest" else f"({row.reference})"


def scaling_points(results: dict[Row, Result]) -> list[tuple[int, float, float]]:
    """(size, median seconds, peak MB) of the flow with two workers at every size."""
    points = {
        row.size: (res.median, res.peak_rss_mb)
        for row, res in results.items()
        if row.target.endswith(":flow_2")
    }
    return [(n, *points[n]) for n in sorted(points)]


def summary(results: dict[Row, Result]) -> str:
    points = scaling_points(results)
    by_label = {(r.stage, r.label): res for r, res in results.items()}
    one = by_label[("orchestration", "flow, workers=1")]
    two = by_label[("orchestration", "flow, workers=2")]
    plain = by_label[("orchestration", "plain loop, 2 procs")]
    lines = [
        f"end to end (flow, {one.items:,} articles): {one.per_core:,.0f} articles/s per core "
        f"with 1 worker, {two.per_core:,.0f} with 2",
        f"speedup from 1 to 2 workers (flow): {one.median / two.median:.2f}x",
        "Prefect overhead (flow against plain loop, 2 workers): "
        f"{two.median / plain.median - 1:+.1%}",
    ]
    for (n0, t0, m0), (n1, t1, m1) in itertools.pairwise(points):
        slope = math.log(t1 / t0) / math.log(n1 / n0)
        lines.append(
            f"{n0:,} -> {n1:,} articles: time log-log slope {slope:.2f}, peak memory {m1 / m0:.2f}x"
        )
    return "\n".join(lines)


def language_table(step: int = 1) -> str:
    """Accuracy of each detector arrangement on every ``step``-th labelled sample."""
    from benchmarks.language import accuracy, labelled_samples

    samples = labelled_samples()[::step]
    lines = [
        f"| arrangement | all ({len(samples)}) | short | non-English |",
        "|---|---|---|---|",
    ]
    for name, acc in accuracy(samples).items():
        cells = " | ".join(f"{acc[group]:.3f}" for group in ("all", "short", "non-English"))
        lines.append(f"| {name} | {cells} |")
    return "\n".join(lines)


def plot(points: list[tuple[int, float, float]], path: Path) -> None:
    """Time and peak memory against corpus size (log-log), with linear growth dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes, seconds, memory = zip(*points, strict=True)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for axis, values, label, color in (
        (axes[0], seconds, "seconds (median)", "tab:blue"),
        (axes[1], memory, "peak RSS of the process tree, MB", "tab:red"),
    ):
        axis.loglog(sizes, values, "o-", color=color, label="ingest flow, 2 workers")
        linear = [values[0] * n / sizes[0] for n in sizes]
        axis.loglog(sizes, linear, "--", color="grey", label="linear in size")
        axis.set(xlabel="articles", ylabel=label)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--plot", type=Path, default=ROOT / "docs/performance.png")
    parser.add_argument("--workdir", type=Path, help="corpus and output (default: a temp dir)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else DEFAULT
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="article-bench-"))
    os.environ["BENCH_BATCH_SIZE"] = str(sizes.batch_size)
    os.environ["PREFECT_HOME"] = str(workdir / "prefect-home")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["DO_NOT_TRACK"] = "1"
    try:
        for n in {sizes.stage, sizes.dedup, sizes.orchestration, *sizes.scaling}:
            ensure_on_disk(workdir, n, sizes.html_pages if n == sizes.stage else 0)
        with prefect_server(workdir / "prefect-home") as url:
            os.environ["PREFECT_API_URL"] = url
            results = run(plan(sizes), args.reps, workdir)
        print(
            f"median of {args.reps} repetitions, each row in a fresh process, {os.cpu_count()} "
            "cores\n"
        )
        print(table(results))
        print()
        print(summary(results))
        print()
        print(language_table(step=5 if args.quick else 1))
        print()
        print(dedup_real.report(workdir=workdir / "dedup-real", quick=args.quick))
        if not args.quick:  # stripping quality, cross-validated (minutes: five trainings)
            print()
            subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_strip_cv"], cwd=ROOT, check=True
            )
        if not args.quick:
            plot(scaling_points(results), args.plot)
            print(f"\nplot: {args.plot}")
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
