"""Unit tests of the stripper: rules and their files, the decision, values lifted from
removed lines, pickling and the explanation.

The rules' decisions are tested with the rules alone (``Stripper(model=None)``): they are what
the line model reads as evidence, and what decides extracted HTML and other languages. The
model's own decisions are tested in test_strip_model.py and measured by
benchmarks/bench_strip_cv.py."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.record_types import REMOVAL_KINDS, Line
from pipeline.strip import RuleError, Stripper, load_rules, render_explanation
from pipeline.strip.lifted_values import author_from, parse_date, published_from
from pipeline.strip.needles import branches, required_literal_sets
from pipeline.strip.rule_files import base_language
from pipeline.strip.text import ends_sentence

STORY = [
    "Water company fined over sewage spills into the river",
    "A water company has been fined £2m after it admitted letting untreated sewage flow into "
    "the river on dozens of occasions last year.",
    "Magistrates heard that the spills killed thousands of fish over a six-mile stretch of the "
    "river and forced the closure of two bathing spots.",
    "The company said it had invested in new storm tanks and apologised to local residents.",
]


def lines_of(texts: list[str]) -> list[Line]:
    return [Line(i, t) for i, t in enumerate(texts)]


def strip(texts: list[str], **kwargs):
    return Stripper(model=None).strip(lines_of(texts), **kwargs)


def removed_kinds(result) -> dict[int | None, str]:
    return {r.source_line: r.kind for r in result.removed}


def write_rules(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


# ------------------------------------------------------------------ rule files


def test_package_rules_load_and_use_only_known_kinds():
    rules = load_rules()
    assert {"en", "de", "es", "any"} <= rules.languages
    assert all(rule.kind in REMOVAL_KINDS for rule in rules.rules)
    assert len({rule.id for rule in rules.rules}) == len(rules.rules)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[rule]]\nid = "x.a"\nkind = "nonsense"\npattern = "a"', "kind 'nonsense'"),
        ('[[rule]]\nid = "x.a"\nkind = "other"\npattern = "(unclosed"', "invalid regex"),
        ('[[rule]]\nid = "x.a"\nkind = "other"\npattern = "a"\ncolour = 1', "unknown keys"),
        ('[[rule]]\nid = "x.a"\nkind = "other"', "exactly one of 'pattern'"),
        ('[[rule]]\nid = "x.a"\nkind = "other"\npattern = "a"\nanchor = "middle"', "anchor"),
        ('[[rule]]\nid = "x.a"\nkind = "other"\npattern = "(?P<n>a)"', "named groups"),
        ('[[rule]]\nid = "x.a"\nkind = "other"\npattern = "a"\nfragment = true', "fragment"),
        ('[[rule]]\nkind = "other"\npattern = "a"', "'id'"),
        ('[[rule]]\nid = "x.a"\nkind = "other"\npattern = "a"\nbody_kinds = ["pdf"]', "body_kinds"),
    ],
)
def test_invalid_rules_are_reported_with_file_and_rule(tmp_path: Path, body: str, message: str):
    folder = write_rules(tmp_path / "rules", "xx.toml", f'language = "xx"\n{body}\n')
    with pytest.raises(RuleError) as err:
        load_rules([folder])
    assert "xx.toml" in str(err.value)
    assert message in str(err.value)
    if "id = " in body:
        assert "'x.a'" in str(err.value)


def test_rule_file_needs_a_language(tmp_path: Path):
    folder = write_rules(tmp_path / "r", "a.toml", '[[rule]]\nid = "a"\nkind = "other"\n')
    with pytest.raises(RuleError, match="language"):
        load_rules([folder])


def test_duplicate_rule_id_names_both_files(tmp_path: Path):
    folder = write_rules(
        tmp_path / "r",
        "dup.toml",
        'language = "en"\n[[rule]]\nid = "en.ad.label"\nkind = "other"\npattern = "x"\n',
    )
    with pytest.raises(RuleError, match=r"dup\.toml.*already defined in .*en\.toml"):
        load_rules([folder])


def test_missing_rules_directory_is_an_error(tmp_path: Path):
    with pytest.raises(RuleError, match="does not exist"):
        load_rules([tmp_path / "nope"])


def test_a_new_language_is_a_data_file(tmp_path: Path):
    folder = write_rules(
        tmp_path / "extra",
        "fr.toml",
        'language = "fr"\n'
        '[[rule]]\nid = "fr.pub"\nkind = "ad_marker"\nanchor = "full"\nphrases = ["Publicité"]\n',
    )
    stripper = Stripper(load_rules([folder]))
    texts = [*STORY, "Publicité"]
    assert removed_kinds(stripper.strip(lines_of(texts), language="fr")) == {4: "ad_marker"}
    assert removed_kinds(stripper.strip(lines_of(texts), language="fr-CA")) == {4: "ad_marker"}
    assert "Publicité" in [
        line.text for line in Stripper().strip(lines_of(texts), language="fr").kept
    ]


def test_english_rules_are_not_applied_to_other_languages():
    texts = [*STORY, "Sign up for our daily newsletter to get the top stories in your inbox."]
    assert 4 in removed_kinds(strip(texts, language="en"))
    assert 4 not in removed_kinds(strip(texts, language="de"))
    assert 4 not in removed_kinds(strip(texts, language=None))


def test_language_independent_rules_apply_everywhere():
    texts = [*STORY, "© 2024 Example Media GmbH"]
    for language in ("en", "de", "pt", None):
        assert removed_kinds(strip(texts, language=language)).get(4) == "legal_notice"


@pytest.mark.parametrize(
    ("pattern", "parts"),
    [
        ("a|(?:b|c)", ["a", "(?:b|c)"]),
        ("(?:a|b)", ["a", "b"]),
        ("(?:a|b)?", ["(?:a|b)?"]),
        ("(?:a|b)c(?:d|e)", ["(?:a|b)c(?:d|e)"]),
        (r"[|(]x|\|y", ["[|(]x", r"\|y"]),
        ("[]|]a|b", ["[]|]a", "b"]),
        ("[^]|]a|b", ["[^]|]a", "b"]),
    ],
)
def test_top_level_alternatives_of_a_pattern(pattern: str, parts: list[str]):
    assert branches(pattern) == parts


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bfollow \w+ on (?:twitter|x)\b", [{"follow "}, {" on twitter", " on x"}]),
        (r"(?:not|never) (?:lock|put) you", [{"not", "never"}, {"lock", "put"}, {" you"}]),
        (r"a+b?", [{"a"}]),
        (r"\w+/\w+", [{"/"}]),
        (r"(?:x|\d)y", [{"y"}]),
    ],
)
def test_literal_sets_every_match_holds(pattern: str, expected: list[set[str]]):
    found = required_literal_sets(pattern)
    for options in expected:
        assert options in found
    for match in re.finditer(pattern, "Follow Jane on X; not put you; aab 1/2 xy 3y", re.I):
        for options in found:
            assert any(o in match.group().lower() for o in options), (options, match.group())


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("It rained.", True),
        ("Did it rain?  ", True),
        ("He said: “It rained.”", True),
        ("(It rained.)", True),
        ("It rained. )", False),
        ("“Rain”", True),
        ("Rain in Spain", False),
        ("", False),
    ],
)
def test_ends_sentence(text: str, ends: bool):
    assert ends_sentence(text) is ends


def test_base_language():
    assert base_language("en-GB") == "en"
    assert base_language("pt_BR") == "pt"
    assert base_language(None) == "any"


def test_every_rule_is_tried_whenever_its_regex_matches():
    """The pre-filters (needles, line length, alternatives searched one by one) must never
    hide a match nor move it: compare with matching each rule's whole regex on every line
    of the test articles and rule-like sample lines. Of the full rules and of the start
    rules that apply to a line's length, the weightiest that matches counts; an end or any
    rule counts its leftmost match (an end rule's in the line's last 160 characters)."""
    texts = [
        line[2:].partition(" ")[2] if line.startswith("- ") else line[2:]
        for path in (DATA / "strip").glob("*.txt")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line[:2] in ("+ ", "- ", "? ")
    ]
    # Long lines too, with the sample before and after 160 characters of story.
    texts += [f"{text} {STORY[0]} {STORY[1]}" for text in texts] + [
        f"{STORY[0]} {STORY[1]} {text}" for text in texts
    ]
    rules = load_rules()
    for language in ("en", "de", "es"):
        compiled = rules.for_language(language)
        by_weight = sorted(compiled.rules, key=lambda rule: -rule.weight)
        for text in texts:
            tokens = re.findall(r"\w+", text.lower())
            found = {hit.rule.id: (hit.start, hit.end) for hit in compiled.match(text, tokens)}
            expected = {}
            for rule in by_weight:
                if rule.max_words is not None and len(tokens) > rule.max_words:
                    continue
                body = f"(?{'-i' if rule.case_sensitive else ''}:{rule.pattern})"
                if rule.anchor == "end":
                    m = re.compile(f"(?:{body})\\s*\\Z", re.I).search(text, max(0, len(text) - 160))
                elif rule.anchor == "any":
                    m = re.compile(body, re.I).search(text)
                elif any(r.anchor == rule.anchor for r in by_weight if r.id in expected):
                    continue  # a weightier rule of this anchor matched
                else:
                    m = (
                        re.compile(body, re.I).fullmatch(text)
                        if rule.anchor == "full"
                        else (re.compile(body, re.I).match(text))
                    )
                if m:
                    expected[rule.id] = m.span()
            assert found == expected, text


# ------------------------------------------------------------------ decisions


def test_story_lines_kept_in_order_with_source_lines_and_blank_lines_dropped():
    texts = [STORY[0], "", STORY[1], "   ", STORY[2], "Advertisement", STORY[3]]
    result = strip(texts)
    assert [(line.source_line, line.text) for line in result.kept] == [
        (0, STORY[0]),
        (2, STORY[1]),
        (4, STORY[2]),
        (6, STORY[3]),
    ]
    assert [(r.source_line, r.kind, r.rule) for r in result.removed] == [
        (5, "ad_marker", "en.ad.label")
    ]


def test_trailing_syndication_credit_is_cut_and_the_paragraph_kept():
    texts = [*STORY[:3], STORY[3] + " (Courtesy BBC)", STORY[3] + " — Associated Press"]
    result = strip(texts)
    kept = {line.source_line: line.text for line in result.kept}
    assert kept[3] == STORY[3] and kept[4] == STORY[3]
    assert [r.text for r in result.removed] == ["(Courtesy BBC)", "— Associated Press"]
    assert result.credits == ["BBC", "Associated Press"]


def test_prompt_words_inside_quotes_are_story():
    quote = (
        '"Subscribe to our newsletter and follow us on Twitter," the fake message read, '
        "according to police."
    )
    assert not strip([*STORY, quote]).removed


def test_story_about_cookies_keeps_its_cookie_sentences():
    story = [
        "Regulator fines website over cookie consent banners",
        "The regulator said the company set advertising cookies before visitors agreed to them.",
        "Cookies are small files that websites store on a visitor's device to track them.",
        "Under the law, websites must get consent before they place cookies that are not needed.",
        "The company's banner said we use cookies to improve your experience, the ruling noted.",
    ]
    assert not strip(story).removed


def test_cookie_banner_on_a_story_not_about_cookies_goes():
    banner = (
        "We use cookies to personalise content and ads and to analyse our traffic. By "
        "continuing to use this site you agree to our use of cookies."
    )
    result = strip([banner, "Accept all cookies", *STORY])
    assert removed_kinds(result) == {0: "cookie_notice", 1: "cookie_notice"}


def test_repeated_headline_and_cut_off_teaser():
    words = STORY[1].split()
    teaser = " ".join(words[:13]) + " " + words[13][:3]  # "... after it adm"
    assert len(words[13]) > 3
    result = strip([STORY[0], teaser, STORY[0], *STORY[1:]])
    assert result.title == STORY[0]
    kinds = removed_kinds(result)
    assert kinds == {1: "truncated_teaser", 2: "duplicate_headline"}


def test_given_title_marks_its_repeats():
    result = strip([STORY[1], STORY[0], *STORY[2:], STORY[0]], title=STORY[0])
    assert result.title == STORY[0]
    assert removed_kinds(result) == {4: "duplicate_headline"}


def test_unrelated_headlines_at_the_end_are_related_links_but_related_ones_stay():
    texts = [
        *STORY,
        "Sewage fines to rise under new river rules",
        "Your Smart Speaker Might Be Listening More Than You Think",
        "Snow warning for part of West Sussex",
    ]
    kinds = removed_kinds(strip(texts))
    assert kinds == {5: "related_link", 6: "related_link"}


def test_short_story_lines_and_addresses_after_the_body_stay():
    texts = [*STORY, "Donations can be sent to:", "River Fund", "12 Mill Lane", "Thank you."]
    assert not strip(texts).removed


def test_menu_run_at_the_top_is_navigation():
    texts = ["Home", "World", "Politics", "Culture", "Puzzles", *STORY]
    kinds = removed_kinds(strip(texts))
    assert [kinds.get(n) for n in range(5)] == ["navigation"] * 5


def test_long_footer_menu_with_numbers_is_navigation_but_an_address_is_kept():
    menu = ["iPhone 15", "iPad", "iPad mini 6", "Mac", "Watch", "AirPods 3", "TV", "Home"]
    kinds = removed_kinds(strip([*STORY, *menu]))
    assert all(kinds.get(n) == "navigation" for n in range(4, 12))
    address = ["River Fund", "c/o Town Hall", "12 Mill Lane", "Millbrook, VT 05401"]
    assert not strip([*STORY, *address]).removed


def test_extracted_html_keeps_its_edges_and_links_but_not_prompts():
    """Text an extractor took from HTML is mostly body: short lines, lists and URLs at its
    edges are the article's, while pattern rules still apply."""
    links = ["1) River Fund appeal", "https://example.org/appeal", "2) Canal Trust"]
    items = ["Your Smart Speaker Might Be Listening More Than You Think", "Snow warning for Sussex"]
    texts = [*STORY, *links, *items, "Sign up for our daily newsletter"]
    assert set(removed_kinds(strip(texts))) == {5, 7, 8, 9}
    as_html = removed_kinds(strip(texts, body_kind="html"))
    assert as_html == {9: "subscription_prompt"}


def test_extracted_html_gives_the_headline_as_title_not_as_a_line():
    result = strip(STORY, title=STORY[0], body_kind="html")
    assert removed_kinds(result) == {0: "duplicate_headline"}
    assert result.title == STORY[0]
    assert not strip(STORY, title=STORY[0]).removed


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('Tickets: <a href="/tickets">book</a>', "other"),
        ("Line one<br/>", "other"),
        (
            '[button link="https://example.org/review" type="big"] Send us your review[/button]',
            "other",
        ),
        ("For those who have yet to watch <The Palace: Tale of Jang Noksu>", None),
    ],
)
def test_markup_residue_but_not_titles_in_angle_brackets(line: str, kind: str | None):
    assert removed_kinds(strip([*STORY, line], body_kind="html")).get(4) == kind


def test_list_under_a_related_header_is_removed():
    texts = [*STORY, "Related stories", "Water bills to rise by a fifth", "Fish return to canal"]
    kinds = removed_kinds(strip(texts))
    assert kinds == {4: "related_link", 5: "related_link", 6: "related_link"}


@pytest.mark.parametrize(
    "sentence",
    [
        "Sen. Mark Hollis (R) said the bill would pass before the recess.",
        "He entered the building without permission, the court heard.",
        "The names may not be published under state law.",
        "Video footage showed the suspect leaving the store at 9 p.m.",
        "EPA officials said the water was safe to drink.",
        "9/11 changed how the city thinks about its tall buildings.",
        "1 of 3 residents said they had no flood insurance.",
        "Experts share tips for keeping pets cool in a heatwave.",
        "Patients must download the NHS app to book an appointment.",
        "Volunteers back the work of the food bank every weekend.",
        "Next steps for the council include a public consultation.",
        "[Applause]",
        "Copyright infringement cases rose sharply last year, the report found.",
        "Scam emails landing in your inbox often use the bank's logo.",
        "Residents should check back later for updates, officials said.",
        "She urged people to join the conversation about climate change.",
        "The figures were first reported by Reuters, according to reporting by The Times.",
    ],
)
def test_story_sentences_that_look_like_furniture_are_kept(sentence: str):
    result = strip([STORY[0], STORY[1], sentence, STORY[2], STORY[3]])
    assert [line.text for line in result.kept][2] == sentence, result.removed


def test_one_sentence_paragraphs_and_lists_in_the_story_are_kept():
    texts = [
        STORY[0],
        STORY[1],
        "It was the largest fine of its kind.",
        "The charges were:",
        "Polluting the river",
        "Failing to report spills",
        STORY[2],
        STORY[3],
    ]
    assert not strip(texts).removed


# ------------------------------------------------------------------ values lifted


def test_publish_byline_and_page_date_values():
    texts = [
        "Mon | Dec 10, 2018",
        STORY[0],
        "By Jane Doe, Staff Writer",
        "Published:Tuesday | January 16, 2018 | 12:00 AM",
        "Updated 3:14 p.m. ET",
        *STORY[1:],
    ]
    result = strip(texts)
    assert removed_kinds(result) == {
        0: "dateline_header",
        2: "byline_or_publish_meta",
        3: "byline_or_publish_meta",
        4: "byline_or_publish_meta",
    }
    assert result.author == "Jane Doe"
    assert result.published == "2018-01-16"


def test_parse_date_formats():
    assert parse_date("June 14, 2017 2:30 pm") == "2017-06-14T14:30:00"
    assert parse_date("14 March 2023, 09:12") == "2023-03-14T09:12:00"
    assert parse_date("Sept. 3, 2019") == "2019-09-03"
    assert parse_date("2024-02-29T08:05") == "2024-02-29T08:05:00"
    assert parse_date("no date here") is None


def test_published_prefers_publish_stamps_over_updates():
    assert published_from(["Updated: May 2, 2020", "Posted: May 1, 2020"]) == "2020-05-01"


def test_author_names_without_roles():
    assert author_from(["By Alex Acquisto , BDN Staff • June 14, 2017"]) == "Alex Acquisto"
    assert author_from(["By MARIA GONZALEZ and Peter Lane"]) == "MARIA GONZALEZ; Peter Lane"


# ------------------------------------------------------------------ process pools, explain


def test_stripper_pickles_and_strips_the_same_after():
    stripper = Stripper()
    texts = [*STORY, "Advertisement", "Share this article"]
    before = stripper.strip(lines_of(texts))
    clone = pickle.loads(pickle.dumps(stripper))
    assert clone.strip(lines_of(texts)) == before


def test_render_explanation_marks_every_removal():
    texts = [STORY[0], "", *STORY[1:], STORY[3] + " (Courtesy BBC)", "Advertisement"]
    lines = lines_of(texts)
    result = Stripper(model=None).strip(lines)
    plain = render_explanation(lines, result, color=False)
    assert "[ad_marker en.ad.label] Advertisement" in plain
    assert "[syndication_credit en.credit.courtesy-fragment] (Courtesy BBC)" in plain
    assert STORY[2] in plain
    assert "\x1b[" not in plain
    assert "\x1b[" in render_explanation(lines, result, color=True)


# ------------------------------------------------------------------ properties

_LINE_TEXT = st.one_of(
    st.sampled_from(
        [
            *STORY,
            "Advertisement",
            "",
            "  ",
            "Share",
            "By Jane Doe",
            "(Courtesy BBC)",
            "Home",
            "Related stories",
            "© 2024 Example",
            STORY[3] + " — Reuters",
            "9/11",
            "“”",
            "»",
        ]
    ),
    st.text(max_size=200),
)


@given(st.lists(_LINE_TEXT, max_size=30), st.sampled_from(["en", "de", None]))
@settings(max_examples=150, deadline=None)
def test_every_non_blank_line_is_kept_or_removed_once_in_order(texts, language):
    lines = [Line(i, t) for i, t in enumerate(texts)]
    result = Stripper(model=None).strip(lines, language=language)
    kept = [line.source_line for line in result.kept]
    assert kept == sorted(kept)
    whole = {r.source_line for r in result.removed} - set(kept)
    expected = {i for i, t in enumerate(texts) if t.strip()}
    assert set(kept) | whole == expected and not set(kept) & whole
    for line in result.kept:
        assert line.text.strip() and line.text.strip() in texts[line.source_line]


def test_every_removal_kind_has_its_constant():
    from pipeline.record_types import REMOVAL_KINDS
    from pipeline.strip import kinds

    constants = {v for k, v in vars(kinds).items() if k.isupper() and isinstance(v, str)}
    assert constants == set(REMOVAL_KINDS)
