"""``verify``: check that a CLEAN_DIR is complete and consistent.

Each check returns human-readable problems; an empty list means the dataset is sound. The
checks read the Parquet parts with DuckDB, so memory stays bounded on large datasets.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterator

import duckdb
import pyarrow.parquet as pq

from pipeline.discover import discover
from pipeline.store import DATASETS, SCHEMA_VERSION, Ledger, Root
from pipeline.store.commit import COMMITS, STAGING, pending_commits

Check = Callable[[Root, duckdb.DuckDBPyConnection], Iterator[str]]


def verify(clean_dir: str, raw_dir: str | None = None) -> list[str]:
    """Every problem found in ``clean_dir`` (and, given ``raw_dir``, its sources)."""
    clean = Root.open(clean_dir)
    if not clean.fs.isdir(clean.path):
        return [f"{clean_dir}: not a directory"]
    problems = list(_check_files(clean))
    if problems:  # the SQL checks below would only repeat what broken files already say
        return problems
    con = duckdb.connect()
    _register_views(clean, con)
    for check in (
        _check_commits,
        _check_unique_ids,
        _check_ledger,
        _check_paragraphs,
        _check_duplicate_targets,
    ):
        problems += check(clean, con)
    if raw_dir is not None:
        problems += _check_raw_accounted(Root.open(raw_dir), clean)
        problems += _check_outcomes(clean, con)
    return problems


def _parts(clean: Root, dataset: str) -> list[str]:
    return clean.list_files(dataset, ".parquet")


def _check_files(clean: Root) -> Iterator[str]:
    for dataset, schema in DATASETS.items():
        for rel in _parts(clean, dataset):
            try:
                meta = pq.read_schema(clean.join(rel), filesystem=clean.fs)
            except Exception as error:  # any unreadable file is a finding, not a crash
                yield f"{rel}: unreadable Parquet ({error})"
                continue
            version = (meta.metadata or {}).get(b"schema_version", b"").decode()
            if version != str(SCHEMA_VERSION):
                yield f"{rel}: schema_version {version or 'missing'}, expected {SCHEMA_VERSION}"
            missing = [n for n in schema.names if n not in meta.names]
            if missing:
                yield f"{rel}: columns missing: {', '.join(missing)}"
            for name in schema.names:
                if name in meta.names and meta.field(name).type != schema.field(name).type:
                    yield (
                        f"{rel}: column {name} is {meta.field(name).type}, "
                        f"expected {schema.field(name).type}"
                    )


def _register_views(clean: Root, con: duckdb.DuckDBPyConnection) -> None:
    for dataset, schema in DATASETS.items():
        files = [clean.join(rel) for rel in _parts(clean, dataset)]
        if files:
            con.read_parquet(files, hive_partitioning=True).create_view(dataset)
        else:
            con.from_arrow(schema.empty_table()).create_view(dataset)


def _check_commits(clean: Root, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    for seq in pending_commits(clean):
        yield f"commit {seq} was interrupted; the next ingest run rolls it forward"
    committed = set()
    for rel in clean.list_files(COMMITS, ".json"):
        manifest = json.loads(clean.read_bytes(rel))
        committed.update(target for _, target in manifest["moves"])
    for dataset in DATASETS:
        for rel in _parts(clean, dataset):
            if rel not in committed:
                yield f"{rel}: a data file that no commit manifest names"
    for target in sorted(committed):
        if not clean.exists(target) and not target.startswith("line_stats/"):
            yield f"{target}: named by a commit manifest but missing"
    if clean.list_files(STAGING) and not pending_commits(clean):
        yield f"{STAGING}/ holds debris of an interrupted run (the next run removes it)"


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
