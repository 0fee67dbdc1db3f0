"""Command line: ``python -m pipeline {ingest,explain,verify,train}`` (also
``article-pipeline``)."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline import __version__, train
from pipeline.cli_checks import (
    USAGE_ERROR,
    OneLineParser,
    UsageError,
    check_ingest,
    check_is_clean_dir,
    check_rules_dirs,
    whole_number,
)
from pipeline.discover import DEFAULT_MAX_FILE_BYTES
from pipeline.progress import TerminalProgress
from pipeline.readers.limits import add_limit_arguments, export_limit_arguments
from pipeline.stages import DEFAULT_BATCH_SIZE
from pipeline.store_commands import add_store_commands
from pipeline.summary import RunSummary
from pipeline.terminal import printable

console = Console(stderr=True)
_MODEL_HELP = "line model file from `train` (default: the package's)"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except UsageError as error:
        console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        return USAGE_ERROR


def console_main() -> int:
    """The program's entry point (``python -m pipeline``, ``article-pipeline``).

    At exit the interpreter garbage-collects every object left, and a flow run leaves
    Prefect's large heap behind: that took seconds after the summary was printed. Frozen
    objects are skipped, and the process ends right after (see docs/performance.md)."""
    code = main()
    gc.freeze()
    return code


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="article-pipeline", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="ingest RAW_DIR into CLEAN_DIR (Prefect flow)")
    ingest.add_argument("raw_dir", metavar="RAW_DIR")
    ingest.add_argument("clean_dir", metavar="CLEAN_DIR")
    ingest.add_argument(
        "--batch-size",
        type=whole_number(1, "at least 1 source file per batch"),
        default=DEFAULT_BATCH_SIZE,
        help=f"source files per batch task (default {DEFAULT_BATCH_SIZE})",
    )
    ingest.add_argument(
        "--workers",
        type=whole_number(0, "0 (one per core) or a number of processes"),
        default=0,
        help="processes for CPU-bound stages (default: one per core)",
    )
    ingest.add_argument(
        "--rules-dir",
        action="append",
        default=[],
        dest="rules_dirs",
        help="extra directory of boilerplate rule files (repeatable)",
    )
    ingest.add_argument(
        "--max-file-bytes",
        type=whole_number(1, "a positive number of bytes"),
        default=DEFAULT_MAX_FILE_BYTES,
        help=f"reject larger source files (default {DEFAULT_MAX_FILE_BYTES})",
    )
    ingest.add_argument(
        "--runner",
        choices=["threads", "dask"],
        default="threads",
        help="task runner: threads plus a process pool on this machine (default), or Dask",
    )
    ingest.add_argument(
        "--dask-address",
        metavar="tcp://HOST:PORT",
        help="scheduler of an existing Dask cluster (default: start a LocalCluster of "
        "--workers processes)",
    )
    ingest.add_argument(
        "--summary-json",
        metavar="FILE",
        help="also write the run summary to FILE as JSON",
    )
    ingest.add_argument("--model", metavar="MODEL", help=_MODEL_HELP)
    add_limit_arguments(ingest)
    ingest.set_defaults(command=_ingest)

    explain = commands.add_parser("explain", help="show what the stripper removes from FILE")
    explain.add_argument("file", metavar="FILE", help="a source file, or a CLEAN_DIR with --html")
    explain.add_argument("--rules-dir", action="append", default=[], dest="rules_dirs")
    explain.add_argument("--clean-dir", help="use the line statistics stored in CLEAN_DIR")
    explain.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    explain.add_argument("--model", metavar="MODEL", help=_MODEL_HELP)
    explain.add_argument(
        "--html", metavar="OUT.html", help="write a self-contained page of the articles instead"
    )
    explain.add_argument(
        "--sample", type=int, default=10, metavar="N", help="articles of a CLEAN_DIR (default 10)"
    )
    explain.set_defaults(command=_explain)

    verify = commands.add_parser("verify", help="check a CLEAN_DIR for consistency")
    verify.add_argument("clean_dir", metavar="CLEAN_DIR")
    verify.add_argument("--raw-dir", help="also check that every file of RAW_DIR is accounted for")
    verify.set_defaults(command=_verify)
    train.add_parser(commands)
    add_store_commands(commands)
    return parser


def _ingest(args: argparse.Namespace) -> int:
    check_ingest(args)
    if args.model and (error := _model_error(args.model)):
        console.print(f"[red]error:[/] --model {error}", soft_wrap=True)
        return 2
    try:
        export_limit_arguments(args)
    except ValueError as error:
        console.print(f"[red]error:[/] {escape(str(error))}")
        return 2
    from flows import environment

    environment.configure_prefect_environment()
    if notice := environment.temporary_server_notice():
        console.print(f"[dim]{escape(notice)}[/]")
    from flows.ingest import ingest
    from flows.interrupt import interruptible, run_interruptibly
    from flows.runners import task_runner
    from flows.stage_progress import console_logs_at_least

    flow = ingest.with_options(
        task_runner=task_runner(args.runner, workers=args.workers, address=args.dask_address)
    )
    quiet = logging.WARNING if console.is_terminal else logging.NOTSET
    with (
        interruptible() as stop,
        TerminalProgress(console).shown(),
        console_logs_at_least(quiet),
    ):
        summary = run_interruptibly(
            flow,
            raw_dir=args.raw_dir,
            clean_dir=args.clean_dir,
            batch_size=args.batch_size,
            workers=args.workers,
            rules_dirs=args.rules_dirs,
            max_file_bytes=args.max_file_bytes,
            strip_model=args.model,
        )
    if stop.signal:
        console.print(f"[yellow]interrupted by {stop.signal}[/]: the run was stopped and cancelled")
        return stop.signal.exit_code
    print_summary(summary)
    if args.summary_json:
        Path(args.summary_json).write_text(summary.to_json(), encoding="utf-8")
    return 0


def _model_error(path: str) -> str | None:
    from pipeline.strip.linemodel import ModelError, load_model

    try:
        load_model(path)
    except ModelError as error:
        return str(error)
    return None


def print_summary(summary: RunSummary) -> None:
    out = Console()
    table = Table(title=f"ingest {summary.raw_dir} → {summary.clean_dir}", show_header=False)
    for name, value in summary.headline_rows():
        table.add_row(name, value)
    out.print(table)
    for title, rows in summary.sections():
        breakdown = Table(title=title, show_header=False)
        for name, value in rows:
            breakdown.add_row(name, str(value))
        out.print(breakdown)


def _explain(args: argparse.Namespace) -> int:
    from pipeline.explain import explain_file

    check_rules_dirs(args.rules_dirs)
    if args.clean_dir:
        check_is_clean_dir(args.clean_dir)
    color = {"auto": None, "always": True, "never": False}[args.color]
    try:
        text = explain_file(
            args.file,
            rules_dirs=args.rules_dirs,
            clean_dir=args.clean_dir,
            model=args.model,
            color=color if color is not None else sys.stdout.isatty(),
            html=args.html,
            sample=args.sample,
        )
    except (OSError, ValueError) as error:
        console.print(f"[red]error:[/] {escape(printable(f'{args.file}: {error}'))}")
        return 2
    sys.stdout.write(text)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from pipeline.verify import is_live, verify

    check_is_clean_dir(args.clean_dir)
    if is_live(args.clean_dir):
        console.print("[yellow]note:[/] a run holds the lock: its work in progress is not checked")
    problems = verify(args.clean_dir, raw_dir=args.raw_dir)
    for problem in problems:
        print(printable(problem))
    if problems:
        console.print(f"[red]{len(problems)} problem(s) found[/]")
        return 1
    console.print("[green]ok[/]: no problems found")
    return 0
