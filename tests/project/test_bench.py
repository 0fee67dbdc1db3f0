"""``python -m benchmarks --quick`` runs and prints every row (no timing is asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from benchmarks.__main__ import QUICK, plan
from benchmarks.corpus import generate, kinds_covered


def test_quick_benchmark_prints_every_row(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--workdir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    for row in plan(QUICK):
        assert any(
            line.startswith(f"| {row.stage} | {row.label} | {row.size:,} |") for line in table
        ), f"row {row.stage} / {row.label} at {row.size} missing"
    for line in ("end to end (flow", "speedup from 1 to 2 workers", "Prefect overhead"):
        assert line in proc.stdout
    assert "20 -> 60 articles: time log-log slope" in proc.stdout
    assert "| pipeline (pycld2, then langdetect) |" in proc.stdout


def test_corpus_is_seeded_and_covers_the_boilerplate_kinds() -> None:
    first, again = generate(300), generate(300)
    assert [a.text for a in first.articles] == [a.text for a in again.articles]
    assert {a.outlet.language for a in first.articles} == {"en", "de", "es"}
    assert len(kinds_covered(first)) >= 13
    wire = [p for a in first.articles for p in a.paragraphs if p in set(a.story.wire)]
    assert len(wire) > len(set(wire))  # wire paragraphs are shared across outlets


def test_pycld2_first_agrees_with_langdetect_on_the_labelled_samples() -> None:
    """The claim docs/performance.md makes for the shipped language arrangement."""
    from benchmarks.language import labelled_samples, langdetect_on_sample
    from pipeline.language import detect_language

    samples = labelled_samples()
    assert len({lang for lang, _ in samples}) == 3
    disagree = [
        lines[0].text[:60]
        for _, lines in samples
        if detect_language(lines) != langdetect_on_sample(lines)
    ]
    assert not disagree


def test_language_falls_back_to_langdetect_without_pycld2(monkeypatch) -> None:
    import pipeline.language as language
    from benchmarks.language import labelled_samples

    monkeypatch.setattr(language, "pycld2", None)
    german = next(lines for lang, lines in labelled_samples() if lang == "de")
    assert language.detect_language(german) == "de"
