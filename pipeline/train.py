"""``python -m pipeline train LABELLED_DIR... --out MODEL``: train a line model.

Each LABELLED_DIR is a folder of line-labelled articles (``docs/`` and ``labels/``, the
dev-text format) or of whole pages with their gold body (``dirty/`` and
``ground-truth.json``): see :mod:`pipeline.strip.labelled`. The model is written to MODEL;
use it with ``ingest --model MODEL`` or ``explain --model MODEL``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from pipeline.strip.labelled import LabelledError, read_labelled
from pipeline.strip.linemodel import version_of
from pipeline.strip.training import train

console = Console(stderr=True)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("train", help="train a line model from labelled folders")
    parser.add_argument("labelled_dirs", nargs="+", metavar="LABELLED_DIR")
    parser.add_argument("--out", required=True, metavar="MODEL", help="model file to write")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    parser.add_argument(
        "--language",
        default="en",
        help="language of the labelled articles; the model decides only articles in it "
        "(default en)",
    )
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    docs = []
    try:
        for folder in args.labelled_dirs:
            docs.extend(read_labelled(folder))
    except LabelledError as error:
        console.print(f"[red]error:[/] {error}", soft_wrap=True)
        return 2
    try:
        raw = train(docs, seed=args.seed, language=args.language)
    except ValueError as error:
        console.print(f"[red]error:[/] {', '.join(args.labelled_dirs)}: {error}", soft_wrap=True)
        return 2
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(raw)
    except OSError as error:
        console.print(f"[red]error:[/] --out {args.out}: {error.strerror}", soft_wrap=True)
        return 2
    lines = sum(len(d.lines) for d in docs)
    console.print(
        f"trained on {len(docs)} documents ({lines} lines): {out} "
        f"(version {version_of(raw)}, {len(raw):,} bytes)",
        soft_wrap=True,
    )
    return 0
