"""Fuzzing the readers: every generated input ends as articles or one reject row, within its
budgets, and nothing it holds crashes the run.

``make test`` runs a small corpus; ``make fuzz`` a large one (``FUZZ_INPUTS=10000``). See
tests/fuzzing.py for what the corpus holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings

from pipeline.cli import main
from pipeline.discover import SourceFile
from pipeline.readers import Limits, sidecar_path
from pipeline.reading import ReadGuard, read_guard
from pipeline.records import lines_of
from pipeline.strip import Stripper, load_rules
from pipeline.verify import verify
from tests.fuzzing import FuzzInput, fuzz_input, inputs

FUZZ_INPUTS = int(os.environ.get("FUZZ_INPUTS", "40"))
FUZZ_FLOW_INPUTS = int(os.environ.get("FUZZ_FLOW_INPUTS", "20"))
LIMITS = Limits(max_file_seconds=float(os.environ.get("FUZZ_FILE_SECONDS", "60")))
#: Slack over the per-file budget for killing and replacing a reader process.
KILL_SLACK_SECONDS = 10
MAX_WORKER_RSS = 1 << 30
#: Outcomes that mean a bug, not a bad input.
CRASHES = {"reader_error", "reader_died"}


def write_input(directory: Path, item: FuzzInput) -> SourceFile:
    """``item`` as a file (and its sidecar) in a directory of its own under ``directory``."""
    rel = f"{len(list(directory.iterdir())):05d}/{item.name or 'noname'}"
    (directory / rel).parent.mkdir()
    (directory / rel).write_bytes(item.data)
    side = sidecar_path(rel)
    if item.sidecar is not None and side:
        (directory / side).write_bytes(item.sidecar)
    return SourceFile(rel, rel, len(item.data), hashlib.sha256(item.data).hexdigest())


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def guard():
    with read_guard(LIMITS) as reader:
        yield reader


@pytest.fixture(scope="module")
def stripper() -> Stripper:
    return Stripper(load_rules(()), None)


def strip_seconds(stripper: Stripper, rows: list[dict]) -> float:
    """Seconds to strip the articles of one input (the stage after reading)."""
    started = time.perf_counter()
    for row in rows:
        stripper.strip(
            lines_of(row),
            outlet=row["outlet"],
            language=row["language"],
            title=row["title"],
            body_kind=row["body_kind"],
        )
    return time.perf_counter() - started


@pytest.fixture(scope="module")
def report():
    """What the corpus came to, printed at the end (``make fuzz`` shows it)."""
    found = {"kinds": Counter(), "inputs": 0, "slowest": 0.0, "slowest_strip": 0.0, "peak_rss": 0}
    yield found
    found["kinds"] = dict(found["kinds"].most_common())
    print("\nfuzz report:", json.dumps(found))


@settings(
    max_examples=FUZZ_INPUTS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(item=inputs)
def test_every_fuzz_input_is_read_or_rejected(
    item: FuzzInput, fuzz_dir: Path, guard: ReadGuard, stripper: Stripper, report: dict
) -> None:
    source = write_input(fuzz_dir, item)
    started = time.perf_counter()
    outcome = guard.read(str(fuzz_dir), source)
    seconds = time.perf_counter() - started
    stripping = strip_seconds(stripper, outcome.rows)
    report["inputs"] += 1
    report["kinds"].update(outcome.tally.kinds if not outcome.rows else {"articles": 1})
    if seconds > report["slowest"]:
        report["slowest"], report["slowest_input"] = round(seconds, 2), source.rel_path
    if stripping > report["slowest_strip"]:
        report["slowest_strip"] = round(stripping, 2)
        report["slowest_strip_input"] = source.rel_path
    if outcome.peak_rss > report["peak_rss"]:
        report["peak_rss"], report["peak_rss_input"] = outcome.peak_rss, source.rel_path
    assert outcome.rows or outcome.tally.total, f"{source.rel_path}: neither article nor reject"
    assert not CRASHES & set(outcome.tally.kinds), outcome.tally.summary()
    assert seconds < LIMITS.max_file_seconds + KILL_SLACK_SECONDS
    assert outcome.peak_rss < MAX_WORKER_RSS
    assert stripping < LIMITS.max_file_seconds


def test_the_flow_accounts_for_a_seeded_corpus(tmp_path: Path) -> None:
    """A reproducible corpus through the real flow: every file is in the ledger with an
    article or a reject row (``verify --raw-dir``), and no input crashed a reader."""
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    for seed in range(FUZZ_FLOW_INPUTS):
        write_input(raw, fuzz_input(random.Random(seed)))
    assert main(["ingest", str(raw), str(clean), "--max-file-seconds", "60"]) == 0
    assert verify(str(clean), raw_dir=str(raw)) == []
    kinds = duckdb.sql(f"SELECT DISTINCT error_kind FROM '{clean}/rejected/*/*.parquet'")
    assert not CRASHES & {kind for (kind,) in kinds.fetchall()}
