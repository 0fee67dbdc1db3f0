"""The pipeline's batch stages as plain functions: a run context in, a typed output back.

The Prefect flow in ``flows/`` and a plain loop (the orchestration benchmark, the tests) run
the same sequence of them (:mod:`.sequence`). Every stage reads and writes through fsspec
roots, so a stage may run on another machine than the driver.

    read.read_batch        source files -> extracted documents, line counts, rejects, ledger rows
    read.stage_read        a read batch's rejects and ledger rows, stamped with the run -> staged
    read.stage_discovery   ledger rows of duplicate paths and files rejected by discovery
    stats.merge_stats      line counts of this run + stored statistics -> new statistics snapshot
    strip.strip_batch      extracted documents -> articles and paragraphs (not yet linked)
    link.link_run          every paragraph of the run + stored index -> duplicate links, index rows
    finalize.finalize_batch  articles and paragraphs + links -> final staged Parquet parts

This module holds what they share: the run context and one frozen output type per stage.
Outputs are small (paths relative to CLEAN_DIR and counters) and picklable: they cross the
process pool, and the read stage's is kept as JSON by the flow's read cache.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.dedup.params import DedupParams
from pipeline.discover import SourceFile
from pipeline.readers import Limits
from pipeline.store import PARTITION_COLUMN, scratch_dir, staged_path
from pipeline.summary import Counters

#: Source files per batch task. Large enough that orchestration (Prefect's driver spends CPU
#: on every task) costs little beside the work, small enough for progress, resumable read
#: batches and both workers busy until a stage's end.
DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class RunContext:
    """Everything a stage needs to know about the run; small and picklable."""

    raw_url: str
    clean_url: str
    run_id: str
    ingested_at: datetime
    rules_dirs: tuple[str, ...] = ()
    strip_model: str | None = None  # a line model file; None: the package's
    #: Reprocess everything (``restrip``): stored statistics and index are replaced, not used.
    reprocess: bool = False
    #: The reader budgets, resolved once where the run starts (``Limits.from_env()``).
    limits: Limits = field(default_factory=Limits)
    dedup: DedupParams = field(default_factory=DedupParams)

    @property
    def ingest_date(self) -> str:
        return self.ingested_at.date().isoformat()

    def final_part(self, dataset: str, name: str) -> str:
        return posixpath.join(dataset, f"{PARTITION_COLUMN}={self.ingest_date}", name)

    def staged_part(self, dataset: str, name: str) -> str:
        return staged_path(self.run_id, self.final_part(dataset, name))

    def scratch_file(self, name: str) -> str:
        return posixpath.join(scratch_dir(self.run_id), name)


@dataclass(frozen=True)
class ReadOutput:
    """A read batch's work files (under one directory) and its counters."""

    extracted: str
    line_counts: str
    sources: str
    rejected: str
    counters: Counters = field(default_factory=Counters)

    def files(self) -> dict[str, str]:
        """The work files by name (the stem of each file)."""
        return {
            "extracted": self.extracted,
            "line_counts": self.line_counts,
            "sources": self.sources,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class StatsOutput:
    """The staged statistics snapshot and the stored snapshots it replaces on commit."""

    snapshot: str
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class StripOutput:
    """A strip batch's articles and paragraphs (work files), each article's paragraph count
    beside it in ``articles``' ``paragraph_count`` column, the reject rows of the articles it
    left out (``max_strip_seconds``), and its counters."""

    articles: str
    paragraphs: str
    #: The reject rows' work file, when the batch left out any article.
    rejected: str | None = None
    counters: Counters = field(default_factory=Counters)


@dataclass(frozen=True)
class LinkOutput:
    """Where the run's links are, per batch (``links_dir/<batch>/``), the staged index parts
    and the counters."""

    links_dir: str
    staged: tuple[str, ...] = ()
    counters: Counters = field(default_factory=Counters)


@dataclass(frozen=True)
class FinalizeOutput:
    """The staged final parts of one batch: its articles, paragraphs, ledger and reject rows."""

    staged: tuple[str, ...] = ()


def batches_of(
    files: Sequence[SourceFile], batch_size: int, workers: int
) -> list[list[SourceFile]]:
    """``files`` in batches of at most ``batch_size``, and small enough that every one of
    ``workers`` processes gets one (a run of 1,000 files on two workers: two batches)."""
    size = max(1, min(batch_size, -(-len(files) // max(1, workers))))
    return [list(files[i : i + size]) for i in range(0, len(files), size)]
