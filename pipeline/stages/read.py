"""The read stage: source files to extracted documents, and the ledger and reject rows."""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Sequence

import pyarrow as pa

from pipeline.discover import Discovery, SourceFile
from pipeline.reading import read_guard
from pipeline.records import EXTRACTED, lines_of, reject_row
from pipeline.stages import ReadOutput, RunContext
from pipeline.stages.strip import ARTICLES_LEFT_OUT, STRIP_REJECTED
from pipeline.store import Root, read_parts, write_part, write_work_part
from pipeline.store.schema import REJECTED, SOURCES
from pipeline.strip.stats import count_lines
from pipeline.summary import Counters


def read_batch(
    ctx: RunContext, batch: int, files: Sequence[SourceFile], work: str | None = None
) -> ReadOutput:
    """Read and extract a batch of source files into the directory ``work`` (relative to
    CLEAN_DIR; default: the run's scratch space).

    What it writes depends only on the files' content, the reader limits and the code,
    never on the run: the ledger and reject rows are left unstamped, and :func:`stage_read`
    stamps and stages them. A later run may therefore reuse the output of a run that
    crashed (the flow's read cache).
    """
    clean = Root.open(ctx.clean_url)
    work = work or ctx.scratch_file(f"read-{batch:05d}")
    rows, rejects, ledger = [], [], []
    kinds: Counter = Counter()
    with read_guard(ctx.limits) as guard:
        for source in files:
            outcome = guard.read(ctx.raw_url, source)
            rows += outcome.rows
            kinds.update(outcome.tally.kinds)
            summary = outcome.tally.summary()
            rejects += [reject_row(source.path, source.sha256, summary)] if summary else []
            ledger.append(
                _source_row(
                    source,
                    outcome="rejected" if not outcome.rows else "ingested",
                    articles=len(outcome.rows),
                    rejected_records=outcome.tally.total,
                )
            )
    tables = {
        "extracted": pa.Table.from_pylist(rows, schema=EXTRACTED),
        "line_counts": count_lines((row["outlet"], lines_of(row)) for row in rows),
        "sources": pa.Table.from_pylist(ledger, SOURCES),
        "rejected": pa.Table.from_pylist(rejects, REJECTED),
    }
    paths = {
        name: write_work_part(clean, posixpath.join(work, f"{name}.parquet"), table)
        for name, table in tables.items()
    }
    counts = Counter(
        files_read=len(files),
        documents=len(rows),
        files_rejected=sum(r["outcome"] == "rejected" for r in ledger),
        records_rejected=kinds.total(),
    )
    return ReadOutput(**paths, counters=Counters(counts=counts, rejects_by_reason=kinds))


def stage_read(
    ctx: RunContext, batch: int, read: ReadOutput, strip_rejected: str | None
) -> list[str]:
    """Stamp this run onto a read batch's ledger and reject rows and stage them for commit.

    ``strip_rejected`` (the strip stage's reject rows of the articles it left out, if any) joins
    the reject rows, and the ledger counts those articles as rejected records: a file left
    with no article is ``rejected``."""
    clean = Root.open(ctx.clean_url)
    left_out = read_parts(clean, [strip_rejected] if strip_rejected else [], STRIP_REJECTED)
    tables = {
        "sources": _count_left_out(read_parts(clean, [read.sources], SOURCES), left_out),
        "rejected": pa.concat_tables(
            [read_parts(clean, [read.rejected], REJECTED), left_out.select(REJECTED.names)]
        ),
    }
    return _stage_ledger(ctx, clean, f"{batch:05d}", tables)


def _count_left_out(sources: pa.Table, left_out: pa.Table) -> pa.Table:
    """The ledger rows with the articles strip left out moved from ``articles`` to
    ``rejected_records``."""
    if not len(left_out):
        return sources
    columns = ("source_path", "source_sha256", ARTICLES_LEFT_OUT)
    lost = {
        (path, sha): n
        for path, sha, n in zip(*left_out.select(columns).to_pydict().values(), strict=True)
    }
    rows = sources.to_pylist()
    for row in rows:
        if n := lost.get((row["source_path"], row["source_sha256"])):
            row["articles"] -= n
            row["rejected_records"] += n
            row["outcome"] = "ingested" if row["articles"] else "rejected"
    return pa.Table.from_pylist(rows, SOURCES)


def stage_discovery(ctx: RunContext, found: Discovery) -> list[str]:
    """Stage the ledger rows of duplicate paths and of files rejected before reading."""
    sources = [
        _source_row(
            source, outcome="duplicate", duplicate_of_path=first, articles=0, rejected_records=0
        )
        for source, first in found.duplicates
    ] + [
        {
            "source_path": r.path,
            "source_sha256": r.sha256,
            "outcome": "rejected",
            "articles": 0,
            "rejected_records": 1,
        }
        for r in found.rejected
    ]
    rejected = [
        {
            "source_path": r.path,
            "source_sha256": r.sha256,
            "stage": "discover",
            "error_kind": r.error_kind,
            "message": r.message,
        }
        for r in found.rejected
    ]
    tables = {
        "sources": pa.Table.from_pylist(sources, SOURCES),
        "rejected": pa.Table.from_pylist(rejected, REJECTED),
    }
    return _stage_ledger(ctx, Root.open(ctx.clean_url), "discovery", tables)


def discovery_counters(found: Discovery) -> Counters:
    """The counters of what discovery found."""
    return Counters(
        counts=Counter(
            files_seen=found.files_seen,
            files_known=found.already_ingested,
            files_duplicate=len(found.duplicates),
            files_rejected=len(found.rejected),
        ),
        rejects_by_reason=Counter(r.error_kind for r in found.rejected),
    )


def _stage_ledger(
    ctx: RunContext, clean: Root, part: str, tables: dict[str, pa.Table]
) -> list[str]:
    name = f"part-{ctx.run_id}-{part}.parquet"
    return [
        write_part(clean, ctx.staged_part(dataset, name), _stamp(ctx, table))
        for dataset, table in tables.items()
        if len(table)
    ]


def _stamp(ctx: RunContext, table: pa.Table) -> pa.Table:
    for column, value in (("ingested_at", ctx.ingested_at), ("flow_run_id", ctx.run_id)):
        index = table.schema.get_field_index(column)
        values = pa.array([value] * len(table), table.schema.field(index).type)
        table = table.set_column(index, column, values)
    return table


def _source_row(source: SourceFile, **values) -> dict:
    return {
        "source_path": source.path,
        "source_sha256": source.sha256,
        "size_bytes": source.size,
        "duplicate_of_path": None,
        **values,
    }
