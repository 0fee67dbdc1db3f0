"""``python -m benchmarks.write_row [SIZE] [ROUNDS]``: only the writing row of ``make bench``.

Ours (``rows_stages:write_ours``) and plain pyarrow (``rows_stages:write_pyarrow``) are run in
turn, each in a fresh process, ``ROUNDS`` times, so that a noisy machine weighs on both alike.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks.corpus import ensure_on_disk
from benchmarks.measure import measure_in_subprocess

TARGETS = ("benchmarks.rows_stages:write_ours", "benchmarks.rows_stages:write_pyarrow")


def main(size: int = 1000, rounds: int = 3, reps: int = 9) -> None:
    work = Path(tempfile.mkdtemp(prefix="write-row-"))
    ensure_on_disk(work, size, 0)
    for _ in range(rounds):
        medians = []
        for target in TARGETS:
            seconds = sorted(measure_in_subprocess(target, size, reps, work).seconds)
            medians.append(seconds[len(seconds) // 2])
        ours, plain = medians
        print(f"ours {ours:.3f} s, pyarrow {plain:.3f} s, {ours / plain:.2f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
