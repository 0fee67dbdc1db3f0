"""The Parquet schemas of every table under CLEAN_DIR (documented in docs/schema.md)."""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 1

#: Partition column of every dataset (hive style: ``ingest_date=YYYY-MM-DD``).
PARTITION_COLUMN = "ingest_date"

REMOVAL_TYPE = pa.struct(
    [
        ("source_line", pa.int32()),
        ("text", pa.string()),
        ("kind", pa.string()),
        ("rule", pa.string()),
        ("probability", pa.float32()),
    ]
)

TIMESTAMP = pa.timestamp("us", tz="UTC")

ARTICLES = pa.schema(
    [
        ("article_id", pa.string()),
        ("source_path", pa.string()),
        ("source_sha256", pa.string()),
        ("source_format", pa.string()),
        ("record_locator", pa.string()),
        ("url", pa.string()),
        ("outlet", pa.string()),
        ("title", pa.string()),
        ("author", pa.string()),
        ("published", pa.string()),
        ("published_at", TIMESTAMP),  # published, parsed (pipeline/timestamps.py)
        ("published_precision", pa.string()),
        ("language", pa.string()),
        ("text", pa.string()),
        ("text_unique", pa.string()),
        ("removed", pa.list_(REMOVAL_TYPE)),
        ("credits", pa.list_(pa.string())),
        ("fetched_at", pa.string()),
        ("fetched_at_utc", TIMESTAMP),  # fetched_at, parsed
        ("ingested_at", TIMESTAMP),
        ("flow_run_id", pa.string()),
        ("pipeline_version", pa.string()),
        ("strip_model", pa.string()),
        ("rules_version", pa.string()),  # the rule set and line model (Stripper.rules_version)
    ]
)

PARAGRAPHS = pa.schema(
    [
        ("article_id", pa.string()),
        ("idx", pa.int32()),
        ("source_line", pa.int32()),
        ("text", pa.string()),
        ("char_start", pa.int32()),
        ("char_end", pa.int32()),
        ("fingerprint", pa.int64()),
        ("duplicate_of_article", pa.string()),
        ("duplicate_of_idx", pa.int32()),
        ("similarity", pa.float32()),
        ("dup_kind", pa.string()),
        ("shared_start", pa.int32()),
        ("shared_end", pa.int32()),
        ("canonical_start", pa.int32()),
        ("canonical_end", pa.int32()),
    ]
)

REJECTED = pa.schema(
    [
        ("source_path", pa.string()),
        ("source_sha256", pa.string()),
        ("record_locator", pa.string()),
        ("stage", pa.string()),
        ("error_kind", pa.string()),
        ("message", pa.string()),
        ("ingested_at", TIMESTAMP),
        ("flow_run_id", pa.string()),
    ]
)

#: The ledger: one row per (source path, content hash) the pipeline has accounted for.
SOURCES = pa.schema(
    [
        ("source_path", pa.string()),
        ("source_sha256", pa.string()),
        ("size_bytes", pa.int64()),
        ("outcome", pa.string()),  # ingested | duplicate | rejected
        ("duplicate_of_path", pa.string()),
        ("articles", pa.int32()),
        ("rejected_records", pa.int32()),
        ("ingested_at", TIMESTAMP),
        ("flow_run_id", pa.string()),
    ]
)

#: Dataset directory name -> schema, for every table with ingest-date partitions.
DATASETS: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "paragraphs": PARAGRAPHS,
    "rejected": REJECTED,
    "sources": SOURCES,
}
