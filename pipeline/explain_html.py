"""``explain --html``: articles as one self-contained HTML page, every removal shown in place.

Each article opens with the metadata the pipeline kept or lifted (author, dates, credits),
then its lines in source order: kept paragraphs plain, removed lines and fragments struck
through in the colour of their kind, with the kind, the rule (or model) and its probability
on hover; a paragraph that nearly duplicates another links to its canonical. The page loads
nothing: styles are inline, there is no script, and its Content-Security-Policy forbids any
request. Every string from the input is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pipeline.record_types import REMOVAL_KINDS

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'"
_NOT_CLASS = re.compile(r"[^a-z0-9_]")


@dataclass(frozen=True, slots=True)
class Mark:
    """One removal: its kind, the rule or model that made it and, for a model, its
    probability."""

    kind: str
    rule: str
    text: str
    probability: float | None = None


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The canonical paragraph a kept paragraph nearly duplicates."""

    article_id: str
    idx: int
    kind: str | None
    similarity: float | None
    text: str | None = None  # the canonical's text, when known


@dataclass(slots=True)
class ShownLine:
    """A line as shown: kept (with its paragraph index and removed fragments) or removed."""

    source_line: int | None
    text: str
    removed: Mark | None = None
    fragments: list[Mark] = field(default_factory=list)
    paragraph: int | None = None
    duplicate: Duplicate | None = None


@dataclass(slots=True)
class ArticleView:
    article_id: str
    heading: str
    fields: list[tuple[str, str | None]]  # (name, value) shown at the top, in order
    credits: list[str]
    lines: list[ShownLine]


@dataclass(frozen=True, slots=True)
class Kept:
    """A kept paragraph, for :func:`shown_lines`."""

    source_line: int | None
    text: str
    duplicate: Duplicate | None = None


def shown_lines(
    kept: Sequence[Kept], removed: Iterable[tuple[int | None, Mark]]
) -> list[ShownLine]:
    """Kept paragraphs and removals merged in source order: a removal on the line of a kept
    paragraph is one of its fragments, any other is a removed line of its own."""
    lines = [
        ShownLine(k.source_line, k.text, paragraph=idx, duplicate=k.duplicate)
        for idx, k in enumerate(kept)
    ]
    by_line = {line.source_line: line for line in lines if line.source_line is not None}
    for source_line, mark in removed:
        if source_line in by_line:
            by_line[source_line].fragments.append(mark)
        else:
            lines.append(ShownLine(source_line, mark.text, removed=mark))
    order = {id(line): n for n, line in enumerate(lines)}
    return sorted(
        lines,
        key=lambda ln: (ln.source_line is None, ln.source_line or 0, order[id(ln)]),
    )


def render_page(views: Sequence[ArticleView], *, title: str) -> str:
    """The whole page: a legend of the kinds found, then every article."""
    anchors = {(v.article_id, ln.paragraph) for v in views for ln in v.lines}
    counts: dict[str, int] = defaultdict(int)
    for view in views:
        for line in view.lines:
            for mark in ([line.removed] if line.removed else []) + line.fragments:
                counts[mark.kind] += 1
    legend = "".join(
        f'<li class="{_kind_class(kind)}">{_e(kind)} <small>{n}</small></li>'
        for kind, n in sorted(counts.items())
    )
    body = "\n".join(_article(view, anchors) for view in views)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}{_kind_styles(counts)}</style></head>\n"
        f"<body><header><h1>{_e(title)}</h1><p>{len(views)} article(s). Removed text is "
        "struck through in the colour of its kind; hover for the rule.</p>"
        f'<ul class="legend">{legend}</ul></header>\n{body}\n</body></html>\n'
    )


def _article(view: ArticleView, anchors: set[tuple[str, int | None]]) -> str:
    fields = "".join(
        f"<dt>{_e(name)}</dt><dd>{_e(value) if value else '<i>none</i>'}</dd>"
        for name, value in view.fields
    )
    credits = ", ".join(_e(c) for c in view.credits) or "<i>none</i>"
    lines = "\n".join(_line(view.article_id, line, anchors) for line in view.lines)
    return (
        f'<article id="{_e(_article_anchor(view.article_id))}"><h2>{_e(view.heading)}</h2>'
        f'<dl class="meta">{fields}<dt>credits</dt><dd>{credits}</dd></dl>'
        f'<div class="lines">{lines}</div></article>'
    )


def _line(article_id: str, line: ShownLine, anchors: set[tuple[str, int | None]]) -> str:
    number = "" if line.source_line is None else str(line.source_line + 1)
    gutter = f'<span class="ln">{number}</span>'
    if line.removed is not None:
        mark = line.removed
        return (
            f'<p class="removed {_kind_class(mark.kind)}" title="{_e(_hover(mark))}">{gutter}'
            f'<span class="tag">{_e(mark.kind)}</span><del>{_e(line.text)}</del></p>'
        )
    fragments = "".join(
        f' <del class="frag {_kind_class(m.kind)}" title="{_e(_hover(m))}">{_e(m.text)}</del>'
        for m in line.fragments
    )
    anchor = _e(_paragraph_anchor(article_id, line.paragraph))
    return (
        f'<p class="kept{" dup" if line.duplicate else ""}" id="{anchor}">{gutter}'
        f"{_e(line.text)}{fragments}{_duplicate_link(line.duplicate, anchors)}</p>"
    )


def _duplicate_link(dup: Duplicate | None, anchors: set[tuple[str, int | None]]) -> str:
    if dup is None:
        return ""
    similarity = "" if dup.similarity is None else f" {dup.similarity:.2f}"
    hover = f"{dup.kind or 'duplicate'}{similarity} of paragraph {dup.idx} of {dup.article_id}"
    if dup.text:
        hover += f": {dup.text}"
    label = f"{dup.kind or 'duplicate'} of ¶{dup.idx} in {dup.article_id[:8]}"
    if (dup.article_id, dup.idx) in anchors:
        target = _e(_paragraph_anchor(dup.article_id, dup.idx))
        return f' <a class="duplink" href="#{target}" title="{_e(hover)}">{_e(label)}</a>'
    return f' <span class="duplink" title="{_e(hover)}">{_e(label)}</span>'


def _hover(mark: Mark) -> str:
    probability = "" if mark.probability is None else f", p={mark.probability:.2f}"
    return f"{mark.kind}: {mark.rule}{probability}"


def _article_anchor(article_id: str) -> str:
    return f"a-{article_id}"


def _paragraph_anchor(article_id: str, idx: int | None) -> str:
    return f"p-{article_id}-{idx}"


def _kind_class(kind: str) -> str:
    return "k-" + _NOT_CLASS.sub("_", kind.lower())


def _kind_styles(found: Iterable[str]) -> str:
    """One colour per kind: the model's kinds spread round the colour wheel, others grey."""
    rules = []
    for kind in sorted(set(REMOVAL_KINDS) | set(found)):
        if kind in REMOVAL_KINDS:
            hue = REMOVAL_KINDS.index(kind) * 360 // len(REMOVAL_KINDS)
            colour = f"hsl({hue} 70% 88%)"
        else:
            colour = "hsl(0 0% 85%)"
        rules.append(f".{_kind_class(kind)}{{background:{colour}}}")
    return "".join(rules)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#222}
header{border-bottom:2px solid #444;margin-bottom:1rem}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem}
.legend li{padding:.1rem .5rem;border-radius:.3rem}
article{border:1px solid #ccc;border-radius:.4rem;padding:.5rem 1rem;margin:1rem 0}
h2{margin:.3rem 0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem;background:#f4f4f4;
padding:.4rem .8rem;border-radius:.3rem;font-size:13px}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;overflow-wrap:anywhere}
.lines p{margin:.25rem 0;padding:.1rem .3rem .1rem 3.4rem;text-indent:-3.1rem;border-radius:.2rem;
overflow-wrap:anywhere}
.ln{display:inline-block;width:2.5rem;color:#999;font-size:12px;text-align:right;
margin-right:.6rem;user-select:none}
p.removed del,del.frag{color:#555}
p.removed:hover,del.frag:hover{outline:2px solid #333}
.tag{font-size:11px;font-weight:600;text-transform:uppercase;margin-right:.5rem;color:#333}
.dup{border-left:4px solid #888}
.duplink{font-size:12px;color:#05c;margin-left:.4rem}
:target{outline:3px solid #05c}
"""


def article_view(article: dict, kept: Sequence[Kept]) -> ArticleView:
    """The view of an ``articles`` row (as :func:`pipeline.records.article_row` builds it or
    as stored) and its kept paragraphs."""
    locator = article.get("record_locator")
    source = article["source_path"] + (f" [{locator}]" if locator else "")
    published_at = article.get("published_at")
    precision = article.get("published_precision")
    fields = [
        ("source", source),
        ("outlet", article.get("outlet")),
        ("url", article.get("url")),
        ("language", article.get("language")),
        ("author", article.get("author")),
        ("published", article.get("published")),
        ("published_at", published_at and f"{published_at.isoformat()} ({precision})"),
        ("fetched_at", article.get("fetched_at")),
    ]
    removed = [
        (r["source_line"], Mark(r["kind"], r["rule"], r["text"], r.get("probability")))
        for r in article.get("removed") or []
    ]
    return ArticleView(
        article_id=article["article_id"],
        heading=article.get("title") or source,
        fields=fields,
        credits=list(article.get("credits") or []),
        lines=shown_lines(kept, removed),
    )
