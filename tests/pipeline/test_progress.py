"""The live stage display: one line per stage, its count and rate, clocks that start in turn;
a line per big file being read."""

from __future__ import annotations

import io
import time

from rich.console import Console

from pipeline.file_progress import RecordsRead, sink_from_env
from pipeline.progress import StageProgress, TerminalProgress, _RateColumn, listening, report


def test_reports_reach_listeners_only_while_listening() -> None:
    heard: list[StageProgress] = []
    with listening(heard.append):
        report("read", 3, 10)
    report("read", 4, 10)
    assert heard == [StageProgress("read", 3, 10)]


def test_a_stage_clock_starts_when_the_stage_before_ends() -> None:
    out = io.StringIO()
    display = TerminalProgress(Console(file=out, width=100, force_terminal=False))
    with display.shown():
        report("discover", 1, None)
        report("discover", 9, 9)
        for stage, unit_total in (("read", (9, "files")), ("merge-stats", (1, "steps"))):
            report(stage, 0, *unit_total)
        tasks = {t.description: t for t in display._progress.tasks}
        assert tasks["read"].started and not tasks["merge-stats"].started
        report("read", 4, 9)
        report("read", 9, 9)
        assert tasks["merge-stats"].started
        report("merge-stats", 1, 1, "steps")
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert [line.split()[1] for line in lines[-3:]] == ["discover", "read", "merge-stats"]
    assert "9/9" in lines[-2] and "files/s" in lines[-2]
    assert "1/1" in lines[-1] and "/s" not in lines[-1]


def test_big_files_being_read_are_shown_with_their_records_and_rate() -> None:
    out = io.StringIO()
    display = TerminalProgress(Console(file=out, width=100, force_terminal=False))
    with display.shown():
        sink = sink_from_env()
        assert sink is not None  # processes started now report to the display
        sink.update(RecordsRead("crawl/big.warc", 1200, 2.0))
        deadline = time.monotonic() + 10
        while "  big.warc" not in _descriptions(display) and time.monotonic() < deadline:
            time.sleep(0.05)
        (task,) = [t for t in display._progress.tasks if t.description == "  big.warc"]
        assert task.completed == 1200 and task.fields["rate"] == 600
        assert "600 records/s" in str(_RateColumn().render(task))
        sink.finished("crawl/big.warc")
        while "  big.warc" in _descriptions(display) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "  big.warc" not in _descriptions(display)
    assert sink_from_env() is None


def _descriptions(display: TerminalProgress) -> set[str]:
    return {t.description for t in display._progress.tasks}
