"""Command line of the output store: ``history``, ``optimize``, ``repair``, ``restrip``
(registered by pipeline.cli)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from pipeline.cli_checks import check_rules_dirs
from pipeline.store import DATASETS, Root, recover, writer_lock
from pipeline.store.compact import (
    RETENTION_ENV,
    TARGET_FILE_BYTES,
    optimize,
    retention_hours,
    vacuum_all,
)
from pipeline.store.history import history
from pipeline.summary import RunSummary
from pipeline.verify import is_clean_dir

console = Console(stderr=True)


def add_store_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "history", help="list the runs and the table versions each made (tab-separated)"
    )
    parser.add_argument("clean_dir", metavar="CLEAN_DIR")
    parser.set_defaults(command=_history)

    parser = commands.add_parser(
        "optimize", help="compact CLEAN_DIR's tables into large sorted files and vacuum"
    )
    parser.add_argument("clean_dir", metavar="CLEAN_DIR")
    parser.add_argument(
        "--target-mb",
        type=int,
        default=TARGET_FILE_BYTES >> 20,
        help=f"size of a compacted file (default {TARGET_FILE_BYTES >> 20})",
    )
    parser.add_argument(
        "--retention-hours",
        type=int,
        default=None,
        help=f"keep replaced files this long for time travel (default ${RETENTION_ENV} or 0)",
    )
    parser.set_defaults(command=_optimize)

    parser = commands.add_parser(
        "repair",
        help="quarantine damaged files, rebuild statistics and the dedup index, re-ingest lost "
        "sources",
    )
    parser.add_argument("clean_dir", metavar="CLEAN_DIR")
    parser.add_argument(
        "--raw-dir", help="RAW_DIR to re-read lost sources and rebuild the statistics from"
    )
    parser.set_defaults(command=_repair)

    parser = commands.add_parser(
        "restrip",
        help="strip and dedup every source of RAW_DIR again with today's rules and code, "
        "replacing CLEAN_DIR's rows as one new version of each table; nothing is written "
        "when every article was stripped with them already",
    )
    parser.add_argument("raw_dir", metavar="RAW_DIR")
    parser.add_argument("clean_dir", metavar="CLEAN_DIR")
    parser.add_argument("--rules-dir", action="append", default=[], dest="rules_dirs")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument(
        "--force", action="store_true", help="restrip even when no article is stale"
    )
    parser.set_defaults(command=_restrip)


def open_clean_dir(clean_dir: str) -> Root | None:
    """CLEAN_DIR's root, or None (after saying why) when it is not one."""
    root = Root.open(clean_dir)
    if not root.fs.isdir(root.path) or not is_clean_dir(root):
        console.print(f"[red]error:[/] {clean_dir}: not a CLEAN_DIR (no _commits/ and no tables)")
        return None
    return root


def _history(args: argparse.Namespace) -> int:
    if (root := open_clean_dir(args.clean_dir)) is None:
        return 2
    print("\t".join(("committed_at", "operation", "seq", "run_id", *DATASETS)))
    for entry in history(root):
        print(
            "\t".join(
                (
                    entry.committed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    entry.operation,
                    str(entry.seq or "-"),
                    entry.run_id or "-",
                    *(str(entry.versions.get(name, "-")) for name in DATASETS),
                )
            )
        )
    return 0


def _optimize(args: argparse.Namespace) -> int:
    if (root := open_clean_dir(args.clean_dir)) is None:
        return 2
    retention = retention_hours() if args.retention_hours is None else args.retention_hours
    with writer_lock(root, on_wait=console.print):
        recover(root)
        done = optimize(root, target_bytes=args.target_mb << 20, retention=retention)
        vacuum_all(root, retention)
    for item in done:
        console.print(
            f"{item.table} {item.partition}: {item.files_in} file(s) -> {item.files_out}, "
            f"{item.rows} rows"
        )
    console.print(f"[green]optimized[/]: {len(done)} partition(s); retention {retention} h")
    return 0


def _repair(args: argparse.Namespace) -> int:
    from pipeline.repair import repair

    if (root := open_clean_dir(args.clean_dir)) is None:
        return 2
    raw = Root.open(args.raw_dir) if args.raw_dir else None
    with writer_lock(root, on_wait=console.print):
        done = repair(root, raw)
    for line in done.lines():
        print(line)
    if done.forgotten_sources and raw is None:
        console.print("[yellow]run ingest RAW_DIR CLEAN_DIR to read the forgotten sources again[/]")
    elif done.forgotten_sources:
        _reingest(args.raw_dir, args.clean_dir)
    console.print(f"[green]repaired[/]: {len(done.lines())} change(s)")
    return 0


def _restrip(args: argparse.Namespace) -> int:
    from pipeline.staleness import current_rules_version, staleness

    if (root := open_clean_dir(args.clean_dir)) is None:
        return 2
    check_rules_dirs(args.rules_dirs)
    version = current_rules_version(args.rules_dirs)
    found = staleness(root, version)
    if not found.stale and not args.force:
        print(
            f"restrip: all {found.articles} article(s) already stripped with rules {version}; "
            "nothing to do (--force to restrip anyway)"
        )
        return 0
    summary = _run_ingest(
        args.raw_dir,
        args.clean_dir,
        rules_dirs=tuple(args.rules_dirs),
        workers=args.workers,
        reprocess=True,
    )
    print(
        f"restripped: {summary.counts['articles']} article(s) with rules {version} "
        f"({found.stale} of {found.articles} were stale), one new version of each table"
    )
    return 0


def _reingest(raw_dir: str, clean_dir: str) -> None:
    summary = _run_ingest(raw_dir, clean_dir)
    print(f"re-ingested: {summary.counts['articles']} article(s)")


def _run_ingest(raw_dir: str, clean_dir: str, **options: Any) -> RunSummary:
    from flows.environment import configure_prefect_environment

    configure_prefect_environment()
    from flows.ingest import ingest

    return ingest(raw_dir=raw_dir, clean_dir=clean_dir, **options)
