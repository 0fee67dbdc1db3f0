"""A row of many tiny files: what a run holds per file, whatever the files hold.

``python -m benchmarks.measure benchmarks.rows_tiny:flow_2_tiny 50000 1 WORKDIR`` ingests
50,000 files of under 100 bytes each (a few words of text, a JSONL line that is no record, a
line of noise) through the Prefect flow with two workers, and prints the seconds and the peak
resident memory of the process tree (``rss_at_peak_mb``: each process's share, largest first).
A run's memory must follow its batches, not its file count.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from benchmarks.measure import Job
from benchmarks.rows_flow import flow_ingest

SEED = 20261202
_WORDS = ("the", "council", "said", "on", "Tuesday", "that", "its", "plan", "would", "cost")


def write_tiny_files(directory: Path, count: int) -> None:
    """``count`` files of under 100 bytes, in subdirectories of 1,000, a third of each kind."""
    rng = random.Random(SEED)
    for n in range(count):
        folder = directory / f"{n // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        kind = n % 3
        if kind == 0:
            words = " ".join(rng.choices(_WORDS, k=8))
            (folder / f"{n:06d}.txt").write_text(f"Story {n}\n{words.capitalize()}.\n")
        elif kind == 1:
            (folder / f"{n:06d}.jsonl").write_text('{}\n{"text": 1}\nx\n')
        else:
            (folder / f"{n:06d}.html").write_bytes(rng.randbytes(60))


def flow_2_tiny(size: int, workdir: Path) -> Job:
    raw = workdir / f"tiny-{size}"
    if not raw.exists():
        write_tiny_files(raw, size)
    clean = Path(tempfile.mkdtemp(dir=workdir, prefix="clean-"))

    def reset() -> None:
        shutil.rmtree(clean, ignore_errors=True)
        clean.mkdir()

    return Job(size, lambda: flow_ingest(str(raw), str(clean), 2), reset, cores=2)
