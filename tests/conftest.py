"""Test-wide settings: Prefect runs offline in a temporary home, one ephemeral API per session.

Set before any test module imports Prefect, which reads its settings at import.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="article-pipeline-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
os.environ.pop("PREFECT_API_URL", None)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
#: Inputs and expectations the tests keep in the repository.
DATA = ROOT / "tests" / "data"
#: Line-level gold of the five seed articles, which are the sample ``raw/*.txt`` of the repo.
SEED_GOLD = DATA / "seeds" / "gold.json"


def seed_gold() -> dict:
    return json.loads(SEED_GOLD.read_text(encoding="utf-8"))


def seed_articles() -> list[Path]:
    """The seed articles the gold describes, in file-name order."""
    return sorted(ROOT / "raw" / name for name in seed_gold()["documents"])


def shared_set(name: str) -> Path:
    """``../shared/NAME``, a development set; the calling test skips when it is absent."""
    path = SHARED / name
    if not path.is_dir():
        pytest.skip(f"development set {name} not found at {path} (a bare clone has no ../shared)")
    return path


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """With ``SKIPPED_TESTS_FILE`` set, list each skipped test there: CI reruns the tests a
    bare clone skipped in a checkout beside ../shared (see .ci/run)."""
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and (listing := os.environ.get("SKIPPED_TESTS_FILE"))
    ):
        with open(listing, "a", encoding="utf-8") as handle:
            handle.write(report.nodeid + "\n")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)
    # Prefect stops its temporary API at interpreter exit and logs that to a stream pytest
    # has closed by then; that log line is all that would fail.
    logging.raiseExceptions = False


@pytest.fixture(scope="session")
def seeds_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of the seed articles and their gold.json only (raw/ holds other samples)."""
    path = tmp_path_factory.mktemp("seeds")
    for article in seed_articles():
        shutil.copy(article, path / article.name)
    shutil.copy(SEED_GOLD, path / SEED_GOLD.name)
    return path
