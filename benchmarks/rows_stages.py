"""Rows for single stages, each ours and its reference, on the generated corpus.

Every function maps ``(size, workdir)`` to a :class:`benchmarks.measure.Job`; the setup
(reading the corpus, extracting, stripping what the stage needs as input) is not timed.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import trafilatura
import xxhash

from benchmarks.bench_dedup import canonical_rows_datasketch
from benchmarks.bench_html import our_document
from benchmarks.corpus import html_dir, text_dir
from benchmarks.language import ARRANGEMENTS
from benchmarks.measure import Job
from pipeline.dedup import PARAGRAPH_INPUT, link_paragraphs
from pipeline.documents import local_file_documents
from pipeline.extract.html import TRAFILATURA_OPTIONS
from pipeline.normalize import normalize_for_match
from pipeline.readers import Rejection
from pipeline.record_types import Extracted
from pipeline.store import CommitPlan, Root, commit, staged_path, write_part
from pipeline.strip import Article, LineStats, Stripper, count_lines, load_rules

SHINGLE_WORDS = 3


# -- shared setup ---------------------------------------------------------------------------


@cache
def extracted(size: int, workdir: Path) -> list[tuple[Extracted, str | None]]:
    """Every corpus article through the real reader and extractor, with its language."""
    out = []
    for path in sorted(text_dir(workdir, size).glob("*.txt")):
        for item in local_file_documents(path, recorded_as=path.name):
            if isinstance(item, Rejection):
                raise ValueError(f"{path}: the generated corpus holds a reject: {item}")
            out.append((item.extracted, item.language))
    return out


@cache
def line_stats(size: int, workdir: Path) -> LineStats:
    """The corpus's line statistics, as a run's merge stage leaves them."""
    return LineStats.from_table(
        count_lines((e.outlet, e.lines) for e, _ in extracted(size, workdir))
    )


def stripper(size: int, workdir: Path) -> Stripper:
    """A new stripper as a run builds it: rules, the shipped line model and the corpus's
    line statistics (all loaded once), and an empty line cache, as a worker process starts
    with."""
    return Stripper(load_rules(()), line_stats(size, workdir))


def _strip_all(size: int, workdir: Path) -> list:
    """Every article stripped in one :meth:`Stripper.strip_many` call, as the strip stage
    strips a batch."""
    return stripper(size, workdir).strip_many(
        [
            Article(e.lines, e.outlet, lang, e.title, e.document.body_kind)
            for e, lang in extracted(size, workdir)
        ]
    )


# -- stripping ------------------------------------------------------------------------------


def strip_ours(size: int, workdir: Path) -> Job:
    """Each repetition strips with a new stripper (``_strip_all`` builds one: microseconds,
    rules and statistics are cached), so no repetition finds lines analysed by the last.
    The rules are compiled beforehand, as a worker has them after its first batch."""
    items = extracted(size, workdir)
    line_stats(size, workdir)
    rules = load_rules(())
    for language, body_kind in {(lang, e.document.body_kind) for e, lang in items}:
        rules.for_language(language, body_kind)
    return Job(len(items), lambda: _strip_all(size, workdir))


def strip_c4(size: int, workdir: Path) -> Job:
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4QualityFilter

    c4 = C4QualityFilter(filter_no_terminal_punct=True)
    texts = ["\n".join(line.text for line in e.lines) for e, _ in extracted(size, workdir)]

    def run() -> None:
        for i, text in enumerate(texts):
            c4.filter(Document(text=text, id=str(i)))

    return Job(len(texts), run)


# -- language -------------------------------------------------------------------------------


def _language_job(arrangement: str, size: int, workdir: Path) -> Job:
    detect = ARRANGEMENTS[arrangement]
    lines = [e.lines for e, _ in extracted(size, workdir)]
    return Job(len(lines), lambda: [detect(x) for x in lines])


def language_ours(size: int, workdir: Path) -> Job:
    return _language_job("pipeline (pycld2, then langdetect)", size, workdir)


def language_sample(size: int, workdir: Path) -> Job:
    return _language_job("langdetect sample", size, workdir)


def language_full(size: int, workdir: Path) -> Job:
    return _language_job("langdetect full", size, workdir)


def language_cld2(size: int, workdir: Path) -> Job:
    return _language_job("pycld2 full", size, workdir)


# -- dedup ----------------------------------------------------------------------------------


def paragraph_table(size: int, workdir: Path) -> pa.Table:
    """The kept paragraphs of every article, as the dedup stage receives them."""
    rows: dict[str, list] = {name: [] for name in PARAGRAPH_INPUT.names}
    for order, ((e, _), stripped) in enumerate(
        zip(extracted(size, workdir), _strip_all(size, workdir), strict=True)
    ):
        for idx, line in enumerate(stripped.kept):
            for name, value in zip(
                PARAGRAPH_INPUT.names,
                (e.document.source_path, idx, line.text, e.published, order << 16 | idx, None),
                strict=True,
            ):
                rows[name].append(value)
    return pa.table(rows, schema=PARAGRAPH_INPUT)


def dedup_ours(size: int, workdir: Path) -> Job:
    table = paragraph_table(size, workdir)
    return Job(table.num_rows, lambda: link_paragraphs(table, []))


def dedup_datasketch(size: int, workdir: Path) -> Job:
    table = paragraph_table(size, workdir)
    return Job(table.num_rows, lambda: canonical_rows_datasketch(table))


def dedup_floor(size: int, workdir: Path) -> Job:
    """The least any dedup must do: normalise each paragraph and hash its word shingles."""
    texts = paragraph_table(size, workdir)["text"].to_pylist()

    def run() -> list[list[int]]:
        out = []
        for text in texts:
            words = normalize_for_match(text).split()
            out.append(
                [
                    xxhash.xxh64_intdigest(" ".join(words[i : i + SHINGLE_WORDS]).encode())
                    for i in range(len(words) - SHINGLE_WORDS + 1)
                ]
            )
        return out

    return Job(len(texts), run)


# -- HTML -----------------------------------------------------------------------------------


def _pages(size: int, workdir: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(html_dir(workdir, size).glob("*.html"))]


def html_ours(size: int, workdir: Path) -> Job:
    """Read, extract, detect the language and strip each page: the pipeline's per-page work."""
    pages = _pages(size, workdir)
    strip = Stripper(load_rules(()))

    def run() -> None:
        for name, data in pages:
            item = our_document(name, data)
            if item is not None:
                strip.strip(
                    item.extracted.lines,
                    outlet=item.extracted.outlet,
                    language=item.language,
                    title=item.extracted.title,
                    body_kind="html",
                )

    return Job(len(pages), run)


def html_trafilatura(size: int, workdir: Path) -> Job:
    pages = _pages(size, workdir)
    return Job(
        len(pages),
        lambda: [trafilatura.bare_extraction(data, **TRAFILATURA_OPTIONS) for _, data in pages],
    )


# -- writing --------------------------------------------------------------------------------


ARTICLE_PART = "articles/ingest_date=2026-01-01/part-0.parquet"


def _articles_table(size: int, workdir: Path) -> pa.Table:
    """The articles dataset a plain run over the corpus committed."""
    from benchmarks.rows_flow import plain_ingest

    clean = Path(tempfile.mkdtemp(dir=workdir, prefix="write-"))
    plain_ingest(str(text_dir(workdir, size)), str(clean), workers=1)
    return pq.read_table(clean / "articles").drop_columns(["ingest_date"])


def write_ours(size: int, workdir: Path) -> Job:
    """The store's whole write path: the Parquet part, then the commit that moves it in place
    and adds it to the articles table (and an empty commit to the other three tables), into
    a CLEAN_DIR whose tables exist (as for every run but the first), fresh each repetition."""
    table = _articles_table(size, workdir)
    roots: list[Root] = []

    def fresh() -> None:
        roots[:] = [Root.open(tempfile.mkdtemp(dir=workdir, prefix="store-"))]
        commit(roots[0], CommitPlan("first"))  # creates the four tables, untimed

    def write() -> None:
        plan = CommitPlan("bench")
        plan.staged.append(write_part(roots[0], staged_path("bench", ARTICLE_PART), table))
        commit(roots[0], plan)

    return Job(table.num_rows, write, reset=fresh)


def write_pyarrow(size: int, workdir: Path) -> Job:
    table = _articles_table(size, workdir)
    path = Path(tempfile.mkdtemp(dir=workdir, prefix="pyarrow-")) / "articles.parquet"
    return Job(table.num_rows, lambda: pq.write_table(table, path))
