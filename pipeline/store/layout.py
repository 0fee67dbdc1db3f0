"""Every path under CLEAN_DIR, each under a name of its own.

articles/ paragraphs/ rejected/ sources/   the record tables (Delta: :mod:`.delta`)
line_stats/                  the line statistics snapshot (one file, replaced per run)
dedup_index/                 the near-duplicate index (parts appended per run)
_commits/<seq>.json|.done    commit records and their markers (:mod:`.commit`)
_staging/<run_id>/...        what a run stages for its commit, at its final relative path
_staging/<run_id>/_scratch/  the run's intermediate batch files, never committed
_read_cache/read-<key>/      read batches a later run may reuse (``flows.cache``)
_quarantine/                 damaged files moved out of the way (``recover``, ``repair``)
_lock                        the writer lock (:mod:`.lock`)
_work/                       left by versions before this layout (their read cache and run
                             scratch); nothing reads it: ``verify`` reports it, ``repair``
                             removes it
"""

from __future__ import annotations

import posixpath

LINE_STATS_DIR = "line_stats"
DEDUP_INDEX_DIR = "dedup_index"
COMMITS = "_commits"
STAGING = "_staging"
QUARANTINE = "_quarantine"
LOCK_FILE = "_lock"
READ_CACHE_DIR = "_read_cache"
#: What versions before this layout wrote instead of ``_read_cache/`` and ``_scratch/``.
LEGACY_WORK_DIR = "_work"
#: A run's scratch directory, inside its staging prefix (so ``recover`` clears it too).
RUN_SCRATCH = "_scratch"


def staging_prefix(run_id: str) -> str:
    return posixpath.join(STAGING, run_id)


def scratch_dir(run_id: str) -> str:
    """Scratch space of a run that is never committed (intermediate batch files)."""
    return posixpath.join(staging_prefix(run_id), RUN_SCRATCH)


def staged_path(run_id: str, final_rel: str) -> str:
    """Where a run stages the file that a commit will move to ``final_rel``."""
    return posixpath.join(staging_prefix(run_id), final_rel)


def read_cache_dir(key: str) -> str:
    """The directory of the cached read batch ``key``."""
    return posixpath.join(READ_CACHE_DIR, key)


def quarantined(rel: str) -> str:
    """Where ``rel`` goes when it is quarantined (same relative path)."""
    return posixpath.join(QUARANTINE, rel)


def commit_record(seq: int) -> str:
    return posixpath.join(COMMITS, f"{seq:08d}.json")


def commit_done(seq: int) -> str:
    return posixpath.join(COMMITS, f"{seq:08d}.done")
