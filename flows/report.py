"""The run report as Prefect artifacts: the markdown summary and the same numbers as a table,
linking the page of the run's articles with their removals marked when one was written."""

from __future__ import annotations

from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pipeline.explain_html import render_page
from pipeline.explain_sample import sample_views
from pipeline.summary import RunSummary

REPORT_KEY = "ingest-report"
TABLE_KEY = "ingest-report-table"


def report_rows(summary: RunSummary) -> list[dict[str, str]]:
    """Every number of the report as ``{section, item, value}`` rows."""
    rows = [{"section": "run", "item": k, "value": v} for k, v in summary.headline_rows()]
    for section, items in summary.sections(top_rules=None):
        rows += [{"section": section, "item": k, "value": str(n)} for k, n in items]
    return rows


def report_markdown(summary: RunSummary, explain_page: Path | None = None) -> str:
    markdown = summary.to_markdown()
    if explain_page is not None:
        uri = explain_page.resolve().as_uri()
        markdown += f"\n## Articles explained\n\n[{explain_page.name}]({uri}) (`{explain_page}`)\n"
    return markdown


def explain_page(clean_dir: str, out: str | None, sample: int, run_id: str) -> Path | None:
    """Write ``sample`` of the run's articles to ``out`` as an explained page (when ``out``
    is given and the run stored any articles)."""
    if out is None:
        return None
    views = sample_views(clean_dir, sample, flow_run_id=run_id)
    if not views:
        return None
    page = Path(out)
    page.write_text(render_page(views, title=f"{len(views)} article(s) of run {run_id}"), "utf-8")
    return page


def publish_report(summary: RunSummary, explain_page: Path | None = None) -> None:
    """Attach the report to the current flow run (and to the keyed artifact history)."""
    create_markdown_artifact(
        report_markdown(summary, explain_page), key=REPORT_KEY, description="Ingest run report"
    )
    create_table_artifact(
        report_rows(summary), key=TABLE_KEY, description="Ingest run report (table)"
    )
