"""The run summary: what the CLI prints and the flow publishes as its report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RunSummary:
    raw_dir: str
    clean_dir: str
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def by_prefix(self, prefix: str) -> list[tuple[str, int]]:
        items = [
            (k.removeprefix(prefix), n) for k, n in self.counts.items() if k.startswith(prefix)
        ]
        return sorted(items, key=lambda kv: (-kv[1], kv[0]))

    @property
    def articles_per_second(self) -> float:
        return self.counts["articles"] / self.seconds if self.seconds else 0.0

    def headline_rows(self) -> list[tuple[str, str]]:
        c = self.counts
        return [
            ("files seen", str(c["files_seen"])),
            ("files already ingested (skipped)", str(c["files_known"])),
            ("files read", str(c["files_read"])),
            ("documents extracted", str(c["documents"])),
            ("lines in", str(c["lines_in"])),
            ("duplicate files (same content, other path)", str(c["files_duplicate"])),
            ("files rejected", str(c["files_rejected"])),
            ("records rejected", str(c["records_rejected"])),
            ("articles written", str(c["articles"])),
            ("articles left empty (all boilerplate)", str(c["articles_empty"])),
            ("paragraphs written", str(c["paragraphs"])),
            ("lines stripped", str(sum(v for _, v in self.by_prefix("kind:")))),
            ("duplicate paragraphs linked", str(c["duplicate_paragraphs"])),
            ("seconds", f"{self.seconds:.1f}"),
            ("articles per second", f"{self.articles_per_second:.1f}"),
        ]

    def sections(self, top_rules: int | None = 15) -> list[tuple[str, list[tuple[str, int]]]]:
        """The breakdowns under the headline table, each as (title, rows), empty ones left out;
        ``top_rules=None`` lists every rule."""
        found = [
            (title, self.by_prefix(prefix)[:limit])
            for title, prefix, limit in (
                ("lines stripped by kind", "kind:", None),
                ("lines stripped by rule", "rule:", top_rules),
                ("duplicate paragraphs by kind", "dup:", None),
                ("rejects by reason", "rejected:", None),
            )
        ]
        return [(title, rows) for title, rows in found if rows]

    def to_markdown(self) -> str:
        def table(title: str, rows: list[tuple[str, object]]) -> list[str]:
            return [f"| {title} | count |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]

        lines = [f"# Ingest `{self.raw_dir}` → `{self.clean_dir}`", ""]
        lines += table("what", self.headline_rows())
        for title, rows in self.sections():
            lines += [f"## {title.capitalize()}", "", *table(title, rows)]
        return "\n".join(lines)
