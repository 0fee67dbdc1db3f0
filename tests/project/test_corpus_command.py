"""``python -m benchmarks.corpus``: the benchmark corpus from the shell, with plain URLs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from benchmarks.corpus import main

PLAIN_URL = re.compile(r"https://www\.[a-z0-9.-]+/news/[0-9]+-[a-z0-9]+(-[a-z0-9]+)*")


def test_help_says_what_it_writes() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "benchmarks.corpus", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "OUT_DIR" in shown and "--articles" in shown and "--html" in shown


def test_writes_text_with_sidecars_and_html_with_plain_urls(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path), "--articles", "300", "--html", "20"]) == 0
    assert "300 text files" in capsys.readouterr().out
    sidecars = sorted((tmp_path / "text").glob("*.meta.json"))
    assert len(sidecars) == len(list((tmp_path / "text").glob("*.txt"))) == 300
    urls = [json.loads(path.read_text())["url"] for path in sidecars]
    assert [url for url in urls if not PLAIN_URL.fullmatch(url)] == []
    pages = sorted((tmp_path / "html").glob("*.html"))
    assert len(pages) == 20
    for page in pages:
        (url,) = re.findall(r'og:url" content="([^"]*)"', page.read_text(encoding="utf-8"))
        assert PLAIN_URL.fullmatch(url), url
