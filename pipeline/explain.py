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
from pipeline.strip.linemodel import load_model
from pipeline.strip.stripper import Article


def explain_file(
    path: str,
    *,
    rules_dirs: Sequence[str] = (),
    clean_dir: str | None = None,
    model: str | None = None,
    color: bool = False,
) -> str:
    """Every article of ``path``, rendered with its removals marked; a line the model
    removed shows its probability and the features that weighed most. ``model``: a line
    model file (``None``: the package's)."""
    data = Path(path).read_bytes()
    side = sidecar_path(path)
    sidecar = Path(side).read_bytes() if side and Path(side).is_file() else None
    stripper = Stripper(load_rules(rules_dirs), _stored_stats(clean_dir), load_model(model))
    sections = []
    try:
        items = list(read_source(path, hashlib.sha256(data).hexdigest(), data, sidecar=sidecar))
    except RejectedInput as error:
        raise ValueError(f"rejected ({error.error_kind}): {error.message}") from error
    for item in items:
        if isinstance(item, Rejection):
            sections.append(
                f"# record {item.record_locator}: rejected ({item.error_kind}): {item.message}\n"
            )
            continue
        try:
            extracted = extract(item)
        except RejectedInput as error:
            sections.append(
                f"# record {item.record_locator}: rejected ({error.error_kind}): {error.message}\n"
            )
            continue
        language = detect_language(extracted.lines)
        article = Article(
            extracted.lines, extracted.outlet, language, extracted.title, item.body_kind
        )
        stripped = stripper.strip_many([article])[0]
        weights = stripper.weights(article)
        header = f"# {item.record_locator or path}  language={language} outlet={extracted.outlet}"
        if stripped.model:
            header += f" strip_model={stripped.model}"
        rendered = render_explanation(extracted.lines, stripped, color=color, weights=weights)
        sections.append(f"{header}\n{rendered}")
    return "\n".join(sections)


def _stored_stats(clean_dir: str | None) -> LineStats | None:
    if clean_dir is None:
        return None
    clean = Root.open(clean_dir)
    parts = clean.list_files(LINE_STATS_DIR, ".parquet")
    if not parts:
        return None
    return LineStats.from_table(pq.read_table(clean.join(parts[-1]), filesystem=clean.fs))
