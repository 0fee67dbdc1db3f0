"""``verify``: check that a CLEAN_DIR is complete and consistent.

Each check yields human-readable problems, each naming the file or record concerned; an empty
list means the dataset is sound. Damage is a finding, never a crash: a check that fails on
something unforeseen reports that it could not run. The record tables are read as their
current Delta version, through DuckDB, so memory stays bounded on large datasets.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.dedup.index import index_schema
from pipeline.dedup.link import DEFAULT_PARAMS
from pipeline.discover import discover
from pipeline.store import DATASETS, SCHEMA_VERSION, Ledger, Root
from pipeline.store.commit import (
    DamagedRecord,
    committed_sequences,
    pending_commits,
    read_record,
)
from pipeline.store.delta import DELTA_LOG, dataset, is_table, live_files
from pipeline.store.layout import (
    COMMITS,
    DEDUP_INDEX_DIR,
    LEGACY_WORK_DIR,
    LINE_STATS_DIR,
    STAGING,
)
from pipeline.store.lock import lock_held
from pipeline.strip.stats import LINE_STATS_SCHEMA

#: The pipeline's own state beside the record tables, and the columns each file must have.
STATE_DIRS = {
    LINE_STATS_DIR: LINE_STATS_SCHEMA.names,
    DEDUP_INDEX_DIR: index_schema(DEFAULT_PARAMS).names[:2],
}
#: What each directory of :func:`leftover_scratch` holds, and what removes it.
_LEFTOVER_WHY = {
    STAGING: "holds debris of an interrupted run: the next run or `repair` removes it",
    LEGACY_WORK_DIR: "holds an earlier version's read cache and scratch, which nothing reads "
    "now: `repair` removes it",
}
_COMMIT_FILE = re.compile(r"^\d{8}\.(json|done)$")

Check = Callable[[Root, duckdb.DuckDBPyConnection], Iterator[str]]


def verify(clean_dir: str, raw_dir: str | None = None) -> list[str]:
    """Every problem found in ``clean_dir`` (and, given ``raw_dir``, its sources).

    While a run holds the lock, its staging and its commit in progress are not problems,
    and files it is publishing are not reported as unnamed."""
    clean = Root.open(clean_dir)
    if not clean.fs.isdir(clean.path):
        return [f"{clean_dir}: not a directory"]
    if not is_clean_dir(clean):
        return [f"{clean_dir}: not a CLEAN_DIR (no {COMMITS}/ and no record table)"]
    live = lock_held(clean)
    problems = [*_guarded(_check_commit_log, clean, live), *_guarded(_check_tables, clean, live)]
    problems += _guarded(_check_state_files, clean, live)
    problems += _guarded(_check_leftover_scratch, clean, live)
    if problems:  # the SQL checks below would only repeat what broken files already say
        return problems
    con = duckdb.connect()
    for name in DATASETS:
        con.register(name, dataset(clean, name))
    for check in (_check_unique_ids, _check_ledger, _check_paragraphs, _check_duplicate_targets):
        problems += _guarded(check, clean, con)
    if raw_dir is not None:
        problems += _guarded(_check_raw_accounted, Root.open(raw_dir), clean)
        problems += _guarded(_check_outcomes, clean, con)
    return problems


def is_clean_dir(clean: Root) -> bool:
    return clean.exists(COMMITS) or any(is_table(clean, name) for name in DATASETS)


def is_live(clean_dir: str) -> bool:
    """Whether a run is writing to ``clean_dir`` now (it holds the lock)."""
    return lock_held(Root.open(clean_dir))


def _guarded(check: Callable[..., Iterator[str]], *args) -> list[str]:
    """The check's findings; a check that crashes on damage nobody foresaw says so."""
    found: list[str] = []
    try:
        found.extend(check(*args))
    except Exception as error:  # a finding, never a traceback
        found.append(f"{check.__name__.lstrip('_')}: could not complete ({error})")
    return found


# -- files -------------------------------------------------------------------------------------


def _check_commit_log(clean: Root, live: bool) -> Iterator[str]:
    for rel in clean.list_files(COMMITS):
        if not _COMMIT_FILE.match(posixpath.basename(rel)):
            yield f"{rel}: not a commit record or marker (a stray file in {COMMITS}/)"
    sequences = committed_sequences(clean)
    for seq in sequences:
        try:
            read_record(clean, seq)
        except DamagedRecord as error:
            yield str(error)
    for rel in clean.list_files(COMMITS, ".done"):
        name = posixpath.basename(rel)
        if _COMMIT_FILE.match(name) and int(name.split(".")[0]) not in sequences:
            yield f"{rel}: a completion marker without its commit record"
    if live:
        return
    for seq in pending_commits(clean):
        yield f"commit {seq} was interrupted; the next ingest run rolls it forward"


def leftover_scratch(clean: Root, live: bool) -> list[str]:
    """The scratch directories that nothing will read again: an interrupted run's staging
    (unless a run is live or a pending commit still needs it) and earlier versions'
    ``_work/``."""
    found = []
    if not live and clean.list_files(STAGING) and not pending_commits(clean):
        found.append(STAGING)
    if clean.exists(LEGACY_WORK_DIR):
        found.append(LEGACY_WORK_DIR)
    return found


def _check_leftover_scratch(clean: Root, live: bool) -> Iterator[str]:
    for rel in leftover_scratch(clean, live):
        yield f"{rel}/ {_LEFTOVER_WHY[rel]}"


def _check_tables(clean: Root, live: bool) -> Iterator[str]:
    for name, schema in DATASETS.items():
        if not is_table(clean, name):
            yield f"{name}/: not a Delta table (no {DELTA_LOG}/); the next ingest creates it"
            continue
        try:
            live_set = live_files(clean, name)
        except Exception as error:  # a damaged log is a finding
            yield f"{name}/{DELTA_LOG}: unreadable Delta log ({error})"
            continue
        for rel, size in live_set.items():
            if not clean.exists(rel):
                yield f"{rel}: in the current version of {name} but missing"
                continue
            if clean.size(rel) != size:
                yield (
                    f"{rel}: {clean.size(rel)} bytes, the {name} table's log says {size} "
                    "(changed in place: truncated or overwritten)"
                )
            yield from check_part(clean, rel, list(schema.names), schema)
        if not live:
            yield from _check_unnamed(clean, name, live_set)


def _check_unnamed(clean: Root, name: str, live_set: dict[str, int]) -> Iterator[str]:
    """Parquet files in a table's directory that its current version does not hold."""
    removed = removed_files(clean, name)
    stale = []
    for rel in clean.list_files(name, ".parquet"):
        if rel.startswith(posixpath.join(name, DELTA_LOG)) or rel in live_set:
            continue
        if rel in removed:
            stale.append(rel)
        else:
            yield f"{rel}: a data file that no version of the {name} table names"
    if stale:
        yield (
            f"{name}/: {len(stale)} file(s) replaced by compaction are still on disk (kept for "
            f"time travel): a plain glob of {name}/**/*.parquet double counts them until "
            "`optimize` vacuums them"
        )


def removed_files(clean: Root, name: str) -> set[str]:
    """Files that a commit in the table's JSON log removed (compaction, vacuum)."""
    removed = set()
    for rel in clean.list_files(posixpath.join(name, DELTA_LOG), ".json"):
        for line in clean.read_bytes(rel).splitlines():
            action = json.loads(line) if line.strip() else {}
            if "remove" in action:
                removed.add(posixpath.join(name, action["remove"]["path"]))
    return removed


def check_part(
    clean: Root, rel: str, names: list[str], schema: pa.Schema | None = None
) -> Iterator[str]:
    """Footer, schema version and columns of one Parquet file."""
    try:
        meta = pq.read_schema(clean.join(rel), filesystem=clean.fs)
    except Exception as error:  # any unreadable file is a finding, not a crash
        yield f"{rel}: unreadable Parquet ({error})"
        return
    if schema is not None:
        version = (meta.metadata or {}).get(b"schema_version", b"").decode()
        if version != str(SCHEMA_VERSION):
            yield f"{rel}: schema_version {version or 'missing'}, expected {SCHEMA_VERSION}"
    missing = [n for n in names if n not in meta.names]
    if missing:
        yield f"{rel}: columns missing: {', '.join(missing)}"
    for column in names if schema is not None else []:
        if column in meta.names and meta.field(column).type != schema.field(column).type:
            yield (
                f"{rel}: column {column} is {meta.field(column).type}, "
                f"expected {schema.field(column).type}"
            )


def unreadable_state_files(clean: Root) -> list[str]:
    """Problems of the line statistics and dedup index files that would break an ingest run
    (footers and columns only: cheap enough to check before every run)."""
    return [
        problem
        for directory, columns in STATE_DIRS.items()
        for rel in clean.list_files(directory, ".parquet")
        for problem in check_part(clean, rel, columns)
    ]


def _check_state_files(clean: Root, live: bool) -> Iterator[str]:
    """The line statistics and the dedup index: every file readable, of the expected
    columns, and named by a commit record."""
    named = set()
    for seq in committed_sequences(clean):
        try:
            named.update(target for _, target in read_record(clean, seq)["moves"])
        except DamagedRecord:
            continue  # reported by _check_commit_log
    for directory, columns in STATE_DIRS.items():
        files = clean.list_files(directory, ".parquet")
        for rel in files:
            yield from check_part(clean, rel, columns)
            if not live and rel not in named:
                yield f"{rel}: a {directory} file that no commit record names"
        if directory == LINE_STATS_DIR and len(files) > 1 and not live:
            yield f"{directory}/: {len(files)} snapshots, expected one"


# -- records -----------------------------------------------------------------------------------


def _check_unique_ids(_: Root, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    rows = con.execute(
        "SELECT article_id, count(*) FROM articles GROUP BY 1 HAVING count(*) > 1 LIMIT 20"
    ).fetchall()
    for article, n in rows:
        yield f"article_id {article} occurs {n} times in articles"
    rows = con.execute(
        "SELECT article_id, idx, count(*) FROM paragraphs GROUP BY 1, 2 HAVING count(*) > 1 "
        "LIMIT 20"
    ).fetchall()
    for article, idx, n in rows:
        yield f"paragraph ({article}, {idx}) occurs {n} times"


def _check_ledger(_: Root, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    rows = con.execute(
        """
        SELECT a.source_sha256, a.n, s.articles FROM
          (SELECT source_sha256, count(*) AS n FROM articles GROUP BY 1) a
          FULL OUTER JOIN
          (SELECT source_sha256, sum(articles) AS articles FROM sources
           WHERE outcome = 'ingested' GROUP BY 1) s USING (source_sha256)
        WHERE a.n IS DISTINCT FROM s.articles AND coalesce(s.articles, 0) + coalesce(a.n, 0) > 0
        LIMIT 20
        """
    ).fetchall()
    for sha, found, recorded in rows:
        yield (
            f"source {sha}: the ledger records {recorded or 0} article(s), "
            f"the articles table holds {found or 0}"
        )


def _check_paragraphs(_: Root, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    rows = con.execute(
        """
        SELECT p.article_id, count(*) FROM paragraphs p ANTI JOIN articles a USING (article_id)
        GROUP BY 1 LIMIT 20
        """
    ).fetchall()
    for article, n in rows:
        yield f"{n} paragraph(s) of article {article}, which the articles table lacks"
    rows = con.execute(
        """
        SELECT a.article_id FROM articles a
        LEFT JOIN (SELECT article_id, string_agg(text, chr(10) ORDER BY idx) AS joined
                   FROM paragraphs GROUP BY 1) p USING (article_id)
        WHERE coalesce(p.joined, '') <> a.text LIMIT 20
        """
    ).fetchall()
    for (article,) in rows:
        yield f"article {article}: text differs from its paragraphs joined by newlines"


def _check_duplicate_targets(_: Root, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    rows = con.execute(
        """
        SELECT d.article_id, d.idx, d.duplicate_of_article, d.duplicate_of_idx
        FROM paragraphs d
        ANTI JOIN paragraphs t ON t.article_id = d.duplicate_of_article
                              AND t.idx = d.duplicate_of_idx
        WHERE d.duplicate_of_article IS NOT NULL LIMIT 20
        """
    ).fetchall()
    for article, idx, target, target_idx in rows:
        yield f"paragraph ({article}, {idx}): duplicate_of ({target}, {target_idx}) is missing"


def _check_raw_accounted(raw: Root, clean: Root) -> Iterator[str]:
    ledger = Ledger.load(clean)
    unseen = discover(raw, Ledger(frozenset(), {}))
    for source in unseen.new + [s for s, _ in unseen.duplicates]:
        if (source.path, source.sha256) not in ledger.seen:
            yield f"raw source {posixpath.join(raw.url, source.path)} is not in the ledger"
    for reject in unseen.rejected:
        if (reject.path, reject.sha256) not in ledger.seen:
            yield f"raw source {posixpath.join(raw.url, reject.path)} is not in the ledger"


def _check_outcomes(_: Root, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """Every file read ended as articles or a reject row: none is ``ingested`` with nothing."""
    rows = con.execute(
        """
        SELECT s.source_path FROM sources s
        ANTI JOIN rejected r ON r.source_path = s.source_path
                             AND r.source_sha256 IS NOT DISTINCT FROM s.source_sha256
        WHERE s.outcome IN ('ingested', 'rejected') AND s.articles = 0
        ORDER BY 1 LIMIT 20
        """
    ).fetchall()
    for (path,) in rows:
        yield f"raw source {path} is in the ledger with neither an article nor a reject row"
