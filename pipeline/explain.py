"""``explain``: run one source file through reading, extraction and stripping, and show every
removal with its kind and rule."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.extract import extract
from pipeline.language import detect_language
from pipeline.readers import RejectedInput, Rejection, read_source, sidecar_path
from pipeline.stages import LINE_STATS_DIR
from pipeline.store import Root
from pipeline.strip import LineStats, Stripper, load_rules, render_explanation
from pipeline.terminal import printable, printable_lines, printable_stripped


def explain_file(
    path: str,
    *,
    rules_dirs: Sequence[str] = (),
    clean_dir: str | None = None,
    color: bool = False,
) -> str:
    """Every article of ``path``, rendered with its removals marked."""
    data = Path(path).read_bytes()
    side = sidecar_path(path)
    sidecar = Path(side).read_bytes() if side and Path(side).is_file() else None
    stripper = Stripper(load_rules(rules_dirs), _stored_stats(clean_dir))
    sections = []
    try:
        items = list(read_source(path, hashlib.sha256(data).hexdigest(), data, sidecar=sidecar))
    except RejectedInput as error:
        raise ValueError(f"rejected ({error.error_kind}): {error.message}") from error
    for item in items:
        if isinstance(item, Rejection):
            sections.append(_rejected(item.record_locator, item.error_kind, item.message))
            continue
        try:
            extracted = extract(item)
        except RejectedInput as error:
            sections.append(_rejected(item.record_locator, error.error_kind, error.message))
            continue
        language = detect_language(extracted.lines)
        stripped = stripper.strip(
            extracted.lines,
            outlet=extracted.outlet,
            language=language,
            title=extracted.title,
            body_kind=item.body_kind,
        )
        header = f"# {item.record_locator or path}  language={language} outlet={extracted.outlet}"
        shown = render_explanation(
            printable_lines(extracted.lines), printable_stripped(stripped), color=color
        )
        sections.append(f"{printable(header)}\n{shown}")
    return "\n".join(sections)


def _rejected(locator: str | None, error_kind: str, message: str) -> str:
    return printable(f"# record {locator}: rejected ({error_kind}): {message}") + "\n"


def _stored_stats(clean_dir: str | None) -> LineStats | None:
    if clean_dir is None:
        return None
    clean = Root.open(clean_dir)
    parts = clean.list_files(LINE_STATS_DIR, ".parquet")
    if not parts:
        return None
    return LineStats.from_table(pq.read_table(clean.join(parts[-1]), filesystem=clean.fs))
