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

#: The breakdowns under the headline: (title, :class:`Counters` field).
BREAKDOWNS = (
    ("lines stripped by kind", "removals_by_kind"),
    ("lines stripped by rule", "removals_by_rule"),
    ("duplicate paragraphs by kind", "duplicates_by_kind"),
    ("rejects by reason", "rejects_by_reason"),
)


@dataclass
class Counters:
    """The counters of a stage or of a whole run: the headline's and each breakdown's."""

    counts: Counter = field(default_factory=Counter)
    removals_by_kind: Counter = field(default_factory=Counter)
    removals_by_rule: Counter = field(default_factory=Counter)
    duplicates_by_kind: Counter = field(default_factory=Counter)
    rejects_by_reason: Counter = field(default_factory=Counter)

    def add(self, other: Counters) -> None:
        for name in _COUNTER_FIELDS:
            getattr(self, name).update(getattr(other, name))


_COUNTER_FIELDS = ("counts", *(name for _, name in BREAKDOWNS))


@dataclass
class RunSummary:
    raw_dir: str
    clean_dir: str
    counters: Counters = field(default_factory=Counters)
    seconds: float = 0.0
    run_id: str = ""

    @property
    def counts(self) -> Counter:
        return self.counters.counts

    def breakdown(self, name: str) -> list[tuple[str, int]]:
        """The :class:`Counters` field ``name``, largest counts first."""
        return sorted(getattr(self.counters, name).items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def articles_per_second(self) -> float:
        return self.counts["articles"] / self.seconds if self.seconds else 0.0

    @property
    def lines_stripped(self) -> int:
        return self.counters.removals_by_kind.total()

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
            (title, self.breakdown(name)[: top_rules if name == "removals_by_rule" else None])
            for title, name in BREAKDOWNS
        ]
        return [(title, rows) for title, rows in found if rows]

    def to_json(self) -> str:
        """The whole summary for programs: every counter, each breakdown in full (an object
        keyed by its title with spaces as ``_``), seconds and the flow run id."""
        document = {
            "raw_dir": self.raw_dir,
            "clean_dir": self.clean_dir,
            "flow_run_id": self.run_id,
            "seconds": round(self.seconds, 3),
            "articles_per_second": round(self.articles_per_second, 3),
            "counts": {
                **{key: self.counts[key] for _, key in HEADLINE},
                "lines_stripped": self.lines_stripped,
                **dict(sorted(self.counts.items())),
            },
            **{title.replace(" ", "_"): dict(self.breakdown(name)) for title, name in BREAKDOWNS},
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
