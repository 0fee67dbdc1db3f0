"""Run the ingest flow on a schedule from one long-running process (no work pool, no worker).

    python -m flows.serve RAW_DIR CLEAN_DIR [--cron "0 * * * *"] [--name served]

The process registers the deployment ``ingest/<name>`` with the Prefect API and starts each
scheduled (or manually triggered) run in a subprocess, one at a time. Point PREFECT_API_URL at
a running server (``prefect server start``) to see and trigger the runs in its UI; without
it Prefect's temporary local server lives as long as this process. Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

DEFAULT_CRON = "0 * * * *"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m flows.serve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("raw_dir", metavar="RAW_DIR")
    parser.add_argument("clean_dir", metavar="CLEAN_DIR")
    parser.add_argument(
        "--cron",
        default=os.environ.get("INGEST_CRON", DEFAULT_CRON),
        help="schedule (default: $INGEST_CRON, else hourly)",
    )
    parser.add_argument("--name", default="served", help="deployment name (default: served)")
    args = parser.parse_args(argv)
    _check(args)

    from flows.environment import configure_prefect_environment

    configure_prefect_environment()
    from flows.ingest import ingest

    ingest.serve(
        name=args.name,
        cron=args.cron,
        parameters={
            "raw_dir": _absolute(args.raw_dir),
            "clean_dir": _absolute(args.clean_dir),
        },
        limit=1,  # one run at a time, like the prefect.yaml deployment
    )


def _check(args: argparse.Namespace) -> None:
    """The checks ``ingest`` makes up front, before anything is served."""
    from pipeline.cli_checks import (
        USAGE_ERROR,
        UsageError,
        check_clean_dir_target,
        check_limits,
        check_raw_dir,
    )

    try:
        check_raw_dir(args.raw_dir)
        check_clean_dir_target(args.clean_dir)
        check_limits()
    except UsageError as error:
        print(f"python -m flows.serve: error: {error}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None


def _absolute(location: str) -> str:
    """Runs start in subprocesses: pin relative paths (URLs are left alone)."""
    return location if "://" in location else os.path.abspath(location)


if __name__ == "__main__":  # guarded: the spawn process pool re-imports the main module
    main()
