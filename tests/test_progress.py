"""The live stage display: one line per stage, its count and rate, clocks that start in turn."""

from __future__ import annotations

import io

from rich.console import Console

from pipeline.progress import StageProgress, TerminalProgress, listening, report


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
