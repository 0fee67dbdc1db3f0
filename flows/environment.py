"""Prefect's settings for a run started from the command line: local, quiet and offline.

Every entry point that starts the flow (``python -m pipeline ingest``, ``restrip``,
``repair --reingest``, ``python -m flows.serve``) calls :func:`configure_prefect_environment`
before it imports the flow, so Prefect reads these settings when it loads. A value the user set
is never overridden.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure_prefect_environment() -> None:
    """Local, quiet, offline Prefect unless the user configured otherwise."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    home = Path(os.environ.setdefault("PREFECT_HOME", str(cache / "article-pipeline" / "prefect")))
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


def temporary_server_notice() -> str | None:
    """What to tell the user when the run will start Prefect's temporary server, else None."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    return (
        "No PREFECT_API_URL set: starting Prefect's temporary local server for this run "
        f"(state in {os.environ['PREFECT_HOME']}). Point PREFECT_API_URL at a running server "
        "to skip this."
    )
