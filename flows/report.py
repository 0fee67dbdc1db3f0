"""The run report as Prefect artifacts: the markdown summary and the same numbers as a table."""

from __future__ import annotations

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pipeline.summary import RunSummary

REPORT_KEY = "ingest-report"
TABLE_KEY = "ingest-report-table"


def report_rows(summary: RunSummary) -> list[dict[str, str]]:
    """Every number of the report as ``{section, item, value}`` rows."""
    rows = [{"section": "run", "item": k, "value": v} for k, v in summary.headline_rows()]
    for section, items in summary.sections(top_rules=None):
        rows += [{"section": section, "item": k, "value": str(n)} for k, n in items]
    return rows


def publish_report(summary: RunSummary) -> None:
    """Attach the report to the current flow run (and to the keyed artifact history)."""
    create_markdown_artifact(summary.to_markdown(), key=REPORT_KEY, description="Ingest run report")
    create_table_artifact(
        report_rows(summary), key=TABLE_KEY, description="Ingest run report (table)"
    )
