"""Timing and memory of one benchmark row, measured in a fresh process.

A row module exposes functions ``name(size, workdir) -> Job``; :func:`measure_in_subprocess`
runs ``python -m benchmarks.measure MODULE:FUNCTION SIZE REPS WORKDIR`` so that every row's
peak memory is its own, and the child prints one JSON line: the seconds of each repetition,
the items per repetition, the cores the row keeps busy and the peak resident memory of its
process tree (pool workers included).
"""

from __future__ import annotations

import importlib
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from flows.environment import configure_prefect_environment

SAMPLE_SECONDS = 0.05


@dataclass
class Job:
    """What a row times: ``run`` does the work once; ``reset`` (untimed) runs before each rep."""

    items: int
    run: Callable[[], object]
    reset: Callable[[], object] | None = None
    cores: int = 1


@dataclass
class Result:
    seconds: list[float]
    items: int
    cores: int
    peak_rss_mb: float
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """Half the range of the repetitions, relative to the median."""
        return (max(self.seconds) - min(self.seconds)) / 2 / self.median

    @property
    def per_core(self) -> float:
        return self.items / self.median / self.cores


class PeakMemory:
    """Samples the resident memory of this process and all its descendants in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self.at_peak: list[int] = []  # each process's RSS when the sum peaked, largest first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample()

    def _sample(self) -> None:
        me = psutil.Process()
        sizes = []
        for process in [me, *me.children(recursive=True)]:
            try:
                sizes.append(process.memory_info().rss)
            except psutil.Error:
                continue
        if sum(sizes) > self.peak:
            self.peak, self.at_peak = sum(sizes), sorted(sizes, reverse=True)


def run_job(factory: Callable[[int, Path], Job], size: int, reps: int, workdir: Path) -> Result:
    with PeakMemory() as memory:
        job = factory(size, workdir)
        seconds = []
        for _ in range(reps):
            if job.reset:
                job.reset()
            start = time.perf_counter()
            job.run()
            seconds.append(time.perf_counter() - start)
    at_peak = [round(rss / 2**20) for rss in memory.at_peak]
    return Result(seconds, job.items, job.cores, memory.peak / 2**20, {"rss_at_peak_mb": at_peak})


def measure_in_subprocess(target: str, size: int, reps: int, workdir: Path) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.measure", target, str(size), str(reps), str(workdir)],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise RuntimeError(f"{target} at {size} failed:\n{proc.stderr[-4000:]}")
    return Result(**json.loads(proc.stdout.strip().splitlines()[-1]))


def _load(target: str) -> Callable[[int, Path], Job]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def main(argv: list[str]) -> None:
    target, size, reps, workdir = argv
    configure_prefect_environment()  # offline and quiet when run by hand, as from the CLI
    result = run_job(_load(target), int(size), int(reps), Path(workdir))
    print(json.dumps(result.__dict__))


if __name__ == "__main__":
    main(sys.argv[1:])
