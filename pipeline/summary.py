"""The run summary: what the CLI prints and the flow publishes as its report."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

#: The headline counters: (label, counter).
HEADLINE = (
    ("files seen", "files_seen"),
    ("files already ingested (skipped)", "files_known"),
    ("files read", "files_read"),
    ("documents extracted", "documents"),
    ("lines in", "lines_in"),
    ("duplicate files (same content, other path)", "files_duplicate"),
    ("files rejected", "files_rejected"),
    ("records rejected", "records_rejected"),
    ("articles written", "articles"),
    ("articles left empty (all boilerplate)", "articles_empty"),
    ("paragraphs written", "paragraphs"),
)

#: The breakdowns under the headline: (title, counter prefix).
BREAKDOWNS = (
    ("lines stripped by kind", "kind:"),
    ("lines stripped by rule", "rule:"),
    ("duplicate paragraphs by kind", "dup:"),
    ("rejects by reason", "rejected:"),
)


@dataclass
class RunSummary:
    raw_dir: str
    clean_dir: str
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    run_id: str = ""

    def by_prefix(self, prefix: str) -> list[tuple[str, int]]:
        items = [
            (k.removeprefix(prefix), n) for k, n in self.counts.items() if k.startswith(prefix)
        ]
        return sorted(items, key=lambda kv: (-kv[1], kv[0]))

    @property
    def articles_per_second(self) -> float:
        return self.counts["articles"] / self.seconds if self.seconds else 0.0

    @property
    def lines_stripped(self) -> int:
        return sum(v for _, v in self.by_prefix("kind:"))

    def headline_rows(self) -> list[tuple[str, str]]:
        return [
            *((label, str(self.counts[key])) for label, key in HEADLINE),
            ("lines stripped", str(self.lines_stripped)),
            ("duplicate paragraphs linked", str(self.counts["duplicate_paragraphs"])),
            ("seconds", f"{self.seconds:.1f}"),
            ("articles per second", f"{self.articles_per_second:.1f}"),
        ]

    def sections(self, top_rules: int | None = 15) -> list[tuple[str, list[tuple[str, int]]]]:
        """The breakdowns under the headline table, each as (title, rows), empty ones left out;
        ``top_rules=None`` lists every rule."""
        found = [
            (title, self.by_prefix(prefix)[: top_rules if prefix == "rule:" else None])
            for title, prefix in BREAKDOWNS
        ]
        return [(title, rows) for title, rows in found if rows]

    def to_json(self) -> str:
        """The whole summary for programs: every counter, each breakdown in full (an object
        keyed by its title with spaces as ``_``), seconds and the flow run id."""
        prefixes = tuple(prefix for _, prefix in BREAKDOWNS)
        document = {
            "raw_dir": self.raw_dir,
            "clean_dir": self.clean_dir,
            "flow_run_id": self.run_id,
            "seconds": round(self.seconds, 3),
            "articles_per_second": round(self.articles_per_second, 3),
            "counts": {
                **{key: self.counts[key] for _, key in HEADLINE},
                "lines_stripped": self.lines_stripped,
                **{k: n for k, n in sorted(self.counts.items()) if not k.startswith(prefixes)},
            },
            **{
                title.replace(" ", "_"): dict(self.by_prefix(prefix))
                for title, prefix in BREAKDOWNS
            },
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        def table(title: str, rows: list[tuple[str, object]]) -> list[str]:
            return [f"| {title} | count |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]

        lines = [f"# Ingest `{self.raw_dir}` → `{self.clean_dir}`", ""]
        lines += table("what", self.headline_rows())
        for title, rows in self.sections():
            lines += [f"## {title.capitalize()}", "", *table(title, rows)]
        return "\n".join(lines)
