"""The command line's checks of arguments and settings, made before any work starts.

Each failure is one :class:`UsageError` line that names the argument (or variable) and what
to give instead; the CLI prints it and exits with code 2, so a bad value never costs a
Prefect server start, a read stage, or a half-written ``_staging/``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from typing import NoReturn

from pipeline.store import DATASETS, Root
from pipeline.store.layout import COMMITS

USAGE_ERROR = 2


class UsageError(Exception):
    """A bad argument or setting: the message is the one line shown to the user."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (``PROG: error: ...``), not usage plus error."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(USAGE_ERROR)


def whole_number(minimum: int, hint: str) -> Callable[[str], int]:
    """An argparse ``type`` for integers of at least ``minimum``; ``hint`` says what to give."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not valid: give {hint}")
        return value

    return parse


def check_ingest(args: argparse.Namespace) -> None:
    """Everything ``ingest`` can know is wrong before it starts."""
    check_raw_dir(args.raw_dir)
    check_clean_dir_target(args.clean_dir)
    if args.dask_address and args.runner != "dask":
        raise UsageError("--dask-address needs --runner dask")
    check_rules_dirs(args.rules_dirs)
    check_limits()
    if args.summary_json:
        check_summary_target(args.summary_json)


def check_raw_dir(raw_dir: str) -> None:
    root = Root.open(raw_dir)
    readable = root.fs.isdir(root.path)
    if readable and root.is_local:
        readable = os.access(root.path, os.R_OK | os.X_OK)
    if not readable:
        raise UsageError(
            f"RAW_DIR {raw_dir!r} is missing or not a readable directory: give the directory "
            "of source files"
        )


def check_clean_dir_target(clean_dir: str) -> None:
    """CLEAN_DIR is a directory or can be created as one."""
    root = Root.open(clean_dir)
    if root.fs.isfile(root.path):
        raise UsageError(
            f"CLEAN_DIR {clean_dir!r} is a file: give a directory (created when missing)"
        )
    if not root.is_local:
        return
    existing = root.path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(
            f"CLEAN_DIR {clean_dir!r} cannot be written ({existing} is not a writable "
            "directory): give a directory you can write to"
        )


def check_summary_target(path: str) -> None:
    """``--summary-json FILE`` can be written once the run is done."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UsageError(
            f"--summary-json {path!r} cannot be written: give a file in an existing, "
            "writable directory"
        )


def check_rules_dirs(rules_dirs: Iterable[str]) -> None:
    """Every ``--rules-dir`` exists and its rule files load (they are validated as a set)."""
    from pipeline.strip.rule_files import RuleError, load_rules

    dirs = list(rules_dirs)
    for directory in dirs:
        if not os.path.isdir(directory):
            raise UsageError(
                f"--rules-dir {directory!r} is not a directory: give a directory of *.toml "
                "rule files (see docs/stripping.md)"
            )
    try:
        load_rules(dirs)
    except RuleError as error:
        raise UsageError(f"--rules-dir: {error}") from error


def check_limits() -> None:
    """The ``PIPELINE_MAX_*`` settings parse (their own error names the variable)."""
    from pipeline.readers.limits import Limits

    try:
        Limits.from_env()
    except ValueError as error:
        raise UsageError(str(error)) from error


def check_is_clean_dir(clean_dir: str) -> None:
    """``clean_dir`` holds the output of at least one ingest run (its datasets or commits),
    so that checking it means something: an empty or a raw directory is refused."""
    root = Root.open(clean_dir)
    if not root.fs.isdir(root.path):
        raise UsageError(f"CLEAN_DIR {clean_dir!r} is not a directory: give an ingest's output")
    if not any(root.exists(name) for name in (*DATASETS, COMMITS)):
        raise UsageError(
            f"CLEAN_DIR {clean_dir!r} holds no ingest output (no {', '.join(DATASETS)} or "
            f"{COMMITS}): give the CLEAN_DIR of an ingest run"
        )
