"""Render an article with each removal marked by its kind and rule (``pipeline explain``)."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.text import Text

from pipeline.record_types import Line, Removal, Stripped


def render_explanation(
    lines: Sequence[Line],
    stripped: Stripped,
    *,
    color: bool,
    weights: Mapping[int | None, Sequence[tuple[str, float]]] | None = None,
) -> str:
    """The article line by line: kept lines plain, removed lines and fragments struck through
    and tagged ``[kind rule]`` (and ``p=`` the model's probability where a model ran); under
    a line the model removed, the ``weights`` given for it (feature, SHAP value in log-odds:
    :meth:`pipeline.strip.Stripper.weights`). Blank lines are left out."""
    removals: dict[int | None, list[Removal]] = defaultdict(list)
    for removal in stripped.removed:
        removals[removal.source_line].append(removal)
    kept = {line.source_line: line for line in stripped.kept}
    console = Console(
        file=io.StringIO(),
        force_terminal=color,
        no_color=not color,
        width=10_000,
        color_system="standard" if color else None,
        highlight=False,
    )
    for line in lines:
        if not line.text.strip():
            continue
        number = "" if line.source_line is None else f"{line.source_line + 1:>4} "
        row = Text(number, style="dim")
        here = removals.get(line.source_line, [])
        if line.source_line not in kept:
            for removal in here:
                row.append(f"- [{removal.kind} {removal.rule}{_p(removal)}] ", style="bold red")
                row.append(line.text.strip(), style="red strike")
        else:
            row.append("  " + kept[line.source_line].text)
            for removal in here:
                row.append(f" [{removal.kind} {removal.rule}] ", style="bold yellow")
                row.append(removal.text, style="yellow strike")
        console.print(row, soft_wrap=True)
        if weights and (why := weights.get(line.source_line)):
            because = ", ".join(f"{name} {value:+.2f}" for name, value in why)
            console.print(Text(f"       weighed most: {because}", style="dim"), soft_wrap=True)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _p(removal: Removal) -> str:
    return "" if removal.probability is None else f" p={removal.probability:.2f}"
