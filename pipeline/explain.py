"""``explain``: run one source file through reading, extraction and stripping, and show every
removal with its kind and rule; as text, or as a page (:mod:`pipeline.explain_html`), which
can also show a sample of the articles a run stored (:mod:`pipeline.explain_sample`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.documents import local_file_documents
from pipeline.explain_html import ArticleView, Kept, article_view, render_page
from pipeline.explain_sample import sample_views
from pipeline.readers import RejectedInput, Rejection
from pipeline.record_types import Extracted, Stripped
from pipeline.records import article_row, extracted_row
from pipeline.store import Root
from pipeline.store.layout import LINE_STATS_DIR
from pipeline.strip import Article, LineStats, Stripper, load_rules, render_explanation
from pipeline.strip.linemodel import load_model
from pipeline.terminal import printable, printable_lines, printable_stripped


def explain_file(
    path: str,
    *,
    rules_dirs: Sequence[str] = (),
    clean_dir: str | None = None,
    model: str | None = None,
    color: bool = False,
    html: str | None = None,
    sample: int = 10,
) -> str:
    """Every article of ``path``, rendered with its removals marked; with ``html``, the page
    is written there instead (for a CLEAN_DIR ``path``: ``sample`` of its articles) and the
    result says so. In text, a line the line model removed shows its probability and the
    features that weighed most. ``model``: a line model file (``None``: the package's)."""
    stripper = Stripper(load_rules(rules_dirs), _stored_stats(clean_dir), load_model(model))
    if html is not None:
        return _write_page(path, html, stripper=stripper, sample=sample)
    if Path(path).is_dir():
        raise ValueError("a directory (CLEAN_DIR) is explained as a page: add --html OUT.html")
    sections = []
    for record in _explained(path, stripper):
        if isinstance(record, str):
            sections.append(printable(f"# {record}") + "\n")
            continue
        extracted, language, stripped = record
        item = extracted.document
        header = f"# {item.record_locator or path}  language={language} outlet={extracted.outlet}"
        if stripped.model:
            header += f" strip_model={stripped.model}"
        weights = stripper.weights(
            Article(extracted.lines, extracted.outlet, language, extracted.title, item.body_kind)
        )
        shown = render_explanation(
            printable_lines(extracted.lines),
            printable_stripped(stripped),
            color=color,
            weights=weights,
        )
        sections.append(f"{printable(header)}\n{shown}")
    return "\n".join(sections)


def _write_page(path: str, out: str, *, stripper: Stripper, sample: int) -> str:
    if Path(path).is_dir() or "://" in path:
        views = sample_views(path, sample)
        if not views:
            raise ValueError("holds no articles (is it a CLEAN_DIR?)")
        title = f"{len(views)} article(s) of {path}"
    else:
        records = _explained(path, stripper)
        views = [_view(record, path, n) for n, record in enumerate(records)]
        title = f"explain {path}"
    Path(out).write_text(render_page(views, title=title), encoding="utf-8")
    return f"wrote {out}: {len(views)} article(s)\n"


def _view(record: tuple[Extracted, str | None, Stripped] | str, path: str, n: int) -> ArticleView:
    if isinstance(record, str):  # a rejected record
        return ArticleView(f"record-{n}", record, [("source", path)], [], [])
    extracted, language, stripped = record
    article = article_row(extracted_row(extracted, language), stripped)
    return article_view(article, [Kept(line.source_line, line.text) for line in stripped.kept])


def _explained(
    path: str, stripper: Stripper
) -> Iterator[tuple[Extracted, str | None, Stripped] | str]:
    """Each record of ``path`` read, extracted and stripped as a run would, or the reason it
    was rejected."""
    try:
        documents = list(local_file_documents(path))
    except RejectedInput as error:
        raise ValueError(f"rejected ({error.error_kind}): {error.message}") from error
    for item in documents:
        if isinstance(item, Rejection):
            yield f"record {item.record_locator}: rejected ({item.error_kind}): {item.message}"
            continue
        extracted, language = item.extracted, item.language
        stripped = stripper.strip(
            extracted.lines,
            outlet=extracted.outlet,
            language=language,
            title=extracted.title,
            body_kind=extracted.document.body_kind,
        )
        yield extracted, language, stripped


def _stored_stats(clean_dir: str | None) -> LineStats | None:
    if clean_dir is None:
        return None
    clean = Root.open(clean_dir)
    parts = clean.list_files(LINE_STATS_DIR, ".parquet")
    if not parts:
        return None
    return LineStats.from_table(pq.read_table(clean.join(parts[-1]), filesystem=clean.fs))
