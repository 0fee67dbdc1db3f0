"""One author clean-up for every source: labels, dates, places, roles, e-mails and handles go;
a value that is not a person's name is dropped."""

from __future__ import annotations

import re

import pytest

from pipeline.author import clean_author
from pipeline.extract import extract
from pipeline.record_types import Document
from pipeline.strip import Stripper, load_rules
from pipeline.strip.lifted_values import author_from
from tests.conftest import SHARED

PARAGRAPH = "<p>The harbour board approved the new ferry timetable after a long debate.</p>"
#: What the extractors or a byline gave -> the author kept.
CASES = {
    "April": None,
    "Posted Oct 3": None,
    "Tue": None,
    "Updated ; Feb 2": None,
    "Madrid": None,
    "New York": None,
    "Por Lucía Fernández": "Lucía Fernández",
    "Von Anna Schröder": "Anna Schröder",
    "By Kevin Marsh kmarsh@valleytimes.com": "Kevin Marsh",
    "Alex Acquisto; BDN Staff • June": "Alex Acquisto",
    "By Alex Acquisto , BDN Staff • June 14, 2017 2:30 pm": "Alex Acquisto",
    "Cazzy Magennis Last Updated August 1": "Cazzy Magennis",
    "Luke Kim December": "Luke Kim",
    "Reporting by David Milliken; Editing by Catherine Evans": "David Milliken",
    "Words by Hanna Lund | Photographs by Erik Berg": "Hanna Lund",
    "Jane Doe, New York": "Jane Doe",
    "https://www.facebook.com/someone": None,
    "someone@example.com": None,
    "This post originally ran": None,
    "Written By": None,
    "CBS News": None,
    "This post was written by Danielle Padula": "Danielle Padula",
    "Shelby Loos; DVM Reviewed by Molly Price": "Shelby Loos",
    "Md Aynal Haque": "Md Aynal Haque",
    "Contact Mark Feld at mfeld@dailyherald.com or 555-201-3344.": "Mark Feld",
    # names that hold a month, a particle or an apostrophe stay whole
    "April Fulton": "April Fulton",
    "Jan de Vries": "Jan de Vries",
    "Marna van der Merwe": "Marna van der Merwe",
    "Ellen O'Brien": "Ellen O'Brien",
    "Jared Newman; Sam Singleton": "Jared Newman; Sam Singleton",
}


@pytest.mark.parametrize(("value", "expected"), CASES.items(), ids=list(CASES))
def test_author_values_are_cleaned(value: str, expected: str | None) -> None:
    assert clean_author(value) == expected


def test_the_byline_pattern_keeps_its_capital_letter_test() -> None:
    """Lower-case words end a name: the byline is no longer matched case-insensitively."""
    assert author_from(["By Kevin Marsh kmarsh@valleytimes.com"]) == "Kevin Marsh"
    assert author_from(["By MARIA GONZALEZ and Peter Lane"]) == "MARIA GONZALEZ; Peter Lane"
    assert author_from(["Posted on June 3, 2022 by gardenclub"]) is None


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("Posted Oct 3", None),
        ("Madrid, 5 de marzo de 2024 - 11:45 h", None),
        ("Por Lucía Fernández", "Lucía Fernández"),
        ("Updated: June 22, 2017 1:24 pm", None),
    ],
)
def test_html_authors_go_through_the_same_clean_up(byline: str, expected: str | None) -> None:
    page = (
        "<html><head><title>Ferry timetable approved</title></head><body><article>"
        f"<h1>Ferry timetable approved</h1><div class='author'>{byline}</div>"
        + PARAGRAPH * 4
        + "</article></body></html>"
    )
    extracted = extract(Document("p.html", "sha", "html", None, page, "html"))
    assert extracted.author == expected


_DATE_OR_LABEL = re.compile(
    r"\d|\b(?:jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mon(?:day)?|tue(?:sday)?|wed(?:nesday)?|thu(?:rsday)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?|madrid|posted|updated|published|por|von|by|contact)\b"
    r"|aktualisiert",
    re.IGNORECASE,
)


def test_no_generated_page_gets_a_date_or_a_label_as_its_author() -> None:
    """The generated corpus's bylines (labelled lines of the shared sets) in its templates."""
    if not (SHARED / "dev-text").is_dir():
        pytest.skip(f"the generated corpus is built from {SHARED / 'dev-text'}, which is absent")
    from benchmarks.corpus import TEMPLATES, generate, render_html

    stripper = Stripper(load_rules(()), None)
    authors = []
    for i, article in enumerate(generate(300).articles[:150]):
        page = render_html(article, TEMPLATES[i % len(TEMPLATES)])
        extracted = extract(Document(f"{i}.html", "-", "html", None, page, "html"))
        lifted = stripper.strip(extracted.lines, title=extracted.title, body_kind="html").author
        authors.append(extracted.author or lifted)
    found = [a for a in authors if a]
    assert found, "the templates carry bylines with names"
    assert [a for a in found if _DATE_OR_LABEL.search(a)] == []
