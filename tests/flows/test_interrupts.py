"""Ctrl-C, SIGTERM and a full disk: the run stops at once, says so, and leaves nothing behind."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from prefect.states import Failed

from flows.ingest import ingest
from flows.retries import is_transient
from pipeline.stages import stats as stats_stage

STORY = "<p>The council met on {0} to debate the harbour plan and its cost to the town.</p>"


def write_pages(raw: Path, count: int) -> None:
    raw.mkdir()
    for i in range(count):
        body = "".join(STORY.format(f"day {i} item {j}") for j in range(30))
        page = f"<html><body><article>{body}</article></body></html>"
        (raw / f"page-{i:04d}.html").write_text(page)


def flow_state(prefect_home: Path) -> str:
    with sqlite3.connect(prefect_home / "prefect.db") as db:
        (state,) = db.execute("SELECT state_type FROM flow_run ORDER BY created DESC LIMIT 1")
    return state[0]


@pytest.mark.server
@pytest.mark.parametrize(
    ("signum", "whole_group", "code"),
    [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)],
    ids=["ctrl-c-to-the-group", "sigterm-to-the-process"],
)
def test_a_signal_stops_the_run_and_cancels_the_flow(tmp_path, signum, whole_group, code):
    raw, clean, home = tmp_path / "raw", tmp_path / "clean", tmp_path / "prefect"
    write_pages(raw, 150)
    env = {**os.environ, "PREFECT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("PREFECT_API_URL", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "ingest", str(raw), str(clean), "--batch-size", "10"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a terminal's foreground job is
    )
    deadline = time.monotonic() + 300
    while not (clean / "_staging").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    sent = time.monotonic()
    os.killpg(run.pid, signum) if whole_group else run.send_signal(signum)
    output = run.communicate(timeout=120)[0].decode()
    assert run.returncode == code
    assert time.monotonic() - sent < 60  # seconds under load, against minutes before
    assert f"interrupted by {signal.Signals(signum).name}" in output
    assert "Traceback" not in output
    assert not (clean / "_staging").exists()
    assert flow_state(home) == "CANCELLED"


def test_a_full_disk_is_not_retried_and_leaves_no_staging(tmp_path, monkeypatch):
    calls: list[int] = []

    def full(*args):
        calls.append(1)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(stats_stage, "merge_stats", full)
    clean = tmp_path / "clean"
    with pytest.raises(OSError, match="No space left"):
        ingest(raw_dir=str(ROOT / "raw"), clean_dir=str(clean), batch_size=4, workers=1)
    assert calls == [1]
    assert not (clean / "_staging").exists()


def test_lasting_os_errors_are_not_transient():
    for code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        assert not is_transient(None, None, Failed(data=OSError(code, os.strerror(code))))
    assert is_transient(None, None, Failed(data=OSError(errno.ECONNRESET, "reset")))
