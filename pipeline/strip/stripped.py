"""An article's decided lines as a :class:`pipeline.record_types.Stripped`: kept lines, removals,
and the author, date and credits lifted from what went."""

from __future__ import annotations

from pipeline.record_types import Line, Removal, Stripped
from pipeline.strip import lifted_values
from pipeline.strip.item import Item
from pipeline.strip.kinds import BYLINE_OR_PUBLISH_META, PHOTO_CAPTION, SYNDICATION_CREDIT
from pipeline.strip.linemodel import Decision

#: A syndication credit line longer than this many words is not read for a credit.
CREDIT_MAX_WORDS = 12


def stripped_of(
    items: list[Item],
    title_item: Item | None,
    title: str | None,
    decisions: list[Decision] | None = None,
    model: str | None = None,
) -> Stripped:
    """The outcome of ``items``, decided by the model's ``decisions`` when given (``model``:
    its version), else by the items' own evidence."""
    kept: list[Line] = []
    removed: list[Removal] = []
    for n, item in enumerate(items):
        source = item.line.source_line
        decision = decisions[n] if decisions is not None else None
        if decision is not None and decision.removed:
            text = item.line.text.strip()
            removed.append(
                Removal(source, text, decision.kind, decision.rule, decision.probability)
            )
        elif decision is None and item.removed:
            removed.append(Removal(source, item.line.text.strip(), item.kind, item.rule))
        elif item.fragment is not None:
            fragment, rule = item.fragment
            removed.append(Removal(source, fragment, rule.kind, rule.id))
            kept.append(Line(source, item.text))
        else:
            kept.append(item.line)
    bylines = [r.text for r in removed if r.kind == BYLINE_OR_PUBLISH_META]
    return Stripped(
        kept=kept,
        removed=removed,
        title=title or (title_item.text if title_item else None),
        author=lifted_values.author_from(bylines),
        published=lifted_values.published_from(bylines),
        credits=_credits(removed),
        model=model,
    )


def _credits(removed: list[Removal]) -> list[str]:
    """The distinct credits of the removed syndication credits and photo captions."""
    credits: list[str] = []
    for r in removed:
        if r.kind == SYNDICATION_CREDIT and len(r.text.split()) <= CREDIT_MAX_WORDS:
            credit = lifted_values.credit_from(r.text)
        elif r.kind == PHOTO_CAPTION:
            credit = lifted_values.photo_credit_from(r.text)
        else:
            continue
        if credit and credit not in credits:
            credits.append(credit)
    return credits
