"""Matching rules to a line: what a rule is, and every rule of a language compiled into tests.

Rules are compiled once per process and language into tests behind one Aho-Corasick
automaton (:class:`CompiledRules`), so a line costs a regex call only for the few rules it
may match, however many rules there are. Rules come from rule files
(:mod:`pipeline.strip.rule_files`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import ahocorasick_rs

from pipeline.strip.needles import (
    Options,
    best_set,
    branches,
    required_literal_sets,
    selectivity,
)

#: ``end`` rules look at this many final characters of a line.
END_WINDOW = 160
#: ``full`` rules apply to lines of at most this many words unless they set ``max_words``.
SHORT_LINE = 25
#: A test's further required literal sets (beyond its needles) are checked
#: before its regex runs when they hold at most this many literals, none shorter than
#: ``CONFIRM_MIN_CHARS`` (see :func:`pipeline.strip.needles.selectivity`).
CONFIRM_MAX_LITERALS = 16
CONFIRM_MIN_CHARS = 4
BODY_KINDS = ("text", "html")


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern and what a match means.

    ``anchor``: ``full`` the whole line must match; ``start``/``end`` the match must begin or
    end the line; ``any`` anywhere. ``fragment`` (start/end only): remove just the matched
    text and keep the rest of the line. ``max_words``: the rule does not apply to longer
    lines. ``opens_list``: the line heads a list, so the title-like lines after it share its
    kind. ``guard``: topic words; when the article's own body uses them, the rule's weight is
    halved (a story about cookies is not a cookie notice). ``body_kinds``: the sources the
    rule applies to (``"text"``, ``"html"``); a bare URL line is residue in a text scrape but
    a link the author shows in text an extractor took from HTML.
    """

    id: str
    kind: str
    language: str
    pattern: str
    anchor: str = "any"
    weight: float = 1.0
    max_words: int | None = None
    fragment: bool = False
    case_sensitive: bool = False
    opens_list: bool = False
    guard: tuple[str, ...] = ()
    body_kinds: tuple[str, ...] = BODY_KINDS
    source: str = ""


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that matched a line, with the matched span."""

    rule: Rule
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Needles:
    """Literal strings in one Aho-Corasick automaton (``ahocorasick_rs``'s DFA, in Rust),
    each with the bits of the tests it selects."""

    automaton: ahocorasick_rs.AhoCorasick | None  # None: no needles
    test_bits: tuple[int, ...]  # needle i -> the bits of the tests it selects

    @classmethod
    def of(cls, by_needle: dict[str, int], mask: int) -> Needles:
        """The needles of the tests in ``mask``, each with their bits among them."""
        kept = {needle: bits & mask for needle, bits in by_needle.items() if bits & mask}
        if not kept:
            return cls(None, ())
        automaton = ahocorasick_rs.AhoCorasick(
            list(kept), implementation=ahocorasick_rs.Implementation.DFA
        )
        return cls(automaton, tuple(kept.values()))


Test = tuple[Rule, re.Pattern[str], tuple[Options, ...]]


@dataclass(slots=True)
class CompiledRules:
    """The rules for one language (plus language-independent ones), as tests on a line.

    A test is one regex: a ``full`` or ``start`` rule's pattern, matched at the start of
    the line, or one top-level alternative of an ``end`` or ``any`` rule's pattern,
    searched. Each test runs only when the lower-cased line contains one of the literal
    strings every match of it contains (its needles, see :mod:`pipeline.strip.needles`),
    for an ``end`` rule in the line's last ``END_WINDOW`` characters, and when the line is
    no longer than the rule's ``max_words``. One Aho-Corasick pass over the line finds the
    needles of all tests at once, in Rust, so a line costs a regex call only for the few
    rules it may match. A test with further required literal sets (every match of
    ``follow \\w+ on (?:twitter|x)`` holds "follow " and "on twitter" or "on x") runs
    only if the line holds one of each. Of the ``full`` rules and of the ``start`` rules,
    the weightiest that matches counts; of an ``end`` or ``any`` rule, its leftmost match,
    as if its whole pattern had been searched.
    """

    rules: tuple[Rule, ...]
    #: bit ``p`` of a candidate mask is ``tests[p]``: full, then start rules by weight,
    #: then the alternatives of the end and any rules
    tests: list[Test] = field(default_factory=list)
    #: the needles of all tests, and of those that apply to lines over ``SHORT_LINE`` words
    needles: tuple[Needles, Needles] = field(init=False)
    always: int = 0  # bits of the tests without needles
    windowed: int = 0  # bits of the tests of end rules

    def __post_init__(self) -> None:
        by_needle: dict[str, int] = {}  # needle -> bits of the tests it selects
        long_lines = 0  # bits of the tests that apply to lines over SHORT_LINE words
        for rule, pattern in _tests(self.rules):
            bit = 1 << len(self.tests)
            needles, confirm = _filters(pattern)
            self.tests.append((rule, _compile_test(rule, pattern), confirm))
            if rule.anchor == "end":
                self.windowed |= bit
            if rule.max_words is None or rule.max_words > SHORT_LINE:
                long_lines |= bit
            for needle in needles or ():
                by_needle[needle] = by_needle.get(needle, 0) | bit
            if not needles:
                self.always |= bit
        self.needles = (Needles.of(by_needle, -1), Needles.of(by_needle, long_lines))

    def match(self, text: str, tokens: list[str]) -> list[RuleHit]:
        """Every rule hit on ``text`` (already stripped; ``tokens`` its lower-cased words):
        the first full and start rule that matches, and each end and any rule."""
        n_words = len(tokens)
        lower = text.lower()
        offset = max(0, len(text) - END_WINDOW)
        hits: list[RuleHit] = []
        anchors_hit: set[str] = set()  # of a full or start rule: the weightiest counts
        found: dict[str, RuleHit] = {}  # rule id -> leftmost hit of a searched rule
        for rule, rx, confirm in self._candidate_tests(lower, n_words, offset):
            if rule.max_words is not None and n_words > rule.max_words:
                continue
            if confirm and not _holds_one_of_each(lower, confirm):
                continue
            anchor = rule.anchor
            if anchor == "full" or anchor == "start":
                if anchor not in anchors_hit and (hit := _anchored_hit(rule, rx, text)):
                    hits.append(hit)
                    anchors_hit.add(anchor)
                continue
            m = rx.search(text, offset) if anchor == "end" else rx.search(text)
            if m and (rule.id not in found or m.start() < found[rule.id].start):
                found[rule.id] = RuleHit(rule, m.start(), m.end())
        hits.extend(found.values())
        return hits

    def _candidate_tests(self, lower: str, n_words: int, offset: int) -> Iterator[Test]:
        """The tests that may match, in bit order: those without needles, and those whose
        needles the lower-cased line holds (an end rule's in its last ``END_WINDOW``
        characters, from ``offset`` on)."""
        candidates = self.always | self._needle_bits(lower, n_words, offset)
        while candidates:
            low = candidates & -candidates
            candidates ^= low
            yield self.tests[low.bit_length() - 1]

    def _needle_bits(self, lower: str, n_words: int, offset: int) -> int:
        """The bits of the tests whose needles ``lower`` holds."""
        needles = self.needles[n_words > SHORT_LINE]
        if needles.automaton is None:  # no test has needles
            return 0
        found_needles = needles.automaton.find_matches_as_indexes(lower, overlapping=True)
        test_bits = needles.test_bits
        candidates = 0
        if not offset:  # the whole line is the end window
            for needle, _, _ in found_needles:
                candidates |= test_bits[needle]
            return candidates
        # lower() never shortens a text, so a needle that ends past ``offset`` in ``text``
        # ends past it in ``lower``: an end rule's needle that ends before cannot be in its
        # match, which starts in the window.
        outside = ~self.windowed
        for needle, _, end in found_needles:
            bits = test_bits[needle]
            candidates |= bits if end > offset else bits & outside
        return candidates


def _holds_one_of_each(lower: str, confirm: tuple[Options, ...]) -> bool:
    """Whether ``lower`` holds a literal of each of the required sets ``confirm``."""
    return all(any(map(lower.__contains__, c)) for c in confirm)


def _anchored_hit(rule: Rule, rx: re.Pattern[str], text: str) -> RuleHit | None:
    """The hit of a ``full`` or ``start`` rule's test on ``text``, if it matches."""
    m = rx.fullmatch(text) if rule.anchor == "full" else rx.match(text)
    return RuleHit(rule, m.start(), m.end()) if m else None


def _tests(rules: Iterable[Rule]) -> list[tuple[Rule, str]]:
    """(rule, pattern) of every test, in the order of :attr:`CompiledRules.tests`."""
    tests = []
    for anchor in ("full", "start"):
        anchored = sorted((r for r in rules if r.anchor == anchor), key=lambda r: -r.weight)
        tests += [(rule, rule.pattern) for rule in anchored]
    for rule in rules:
        if rule.anchor in ("end", "any"):
            tests += [(rule, branch) for branch in _searched_branches(rule)]
    return tests


def _filters(pattern: str) -> tuple[Options | None, tuple[Options, ...]]:
    """The needles of a test's pattern (its most selective required literal set) and
    the other required sets selective and small enough to check before searching."""
    sets = list(dict.fromkeys(required_literal_sets(pattern)))
    needles = best_set(sets)
    confirm = tuple(
        o
        for o in sets
        if o != needles and len(o) <= CONFIRM_MAX_LITERALS and selectivity(o) >= CONFIRM_MIN_CHARS
    )
    return needles, confirm


def _body(rule: Rule, pattern: str | None = None) -> str:
    pattern = rule.pattern if pattern is None else pattern
    return f"(?-i:{pattern})" if rule.case_sensitive else f"(?:{pattern})"


def _searched_branches(rule: Rule) -> list[str]:
    """The rule's top-level alternatives, or its whole pattern when one of them does not
    compile alone (a split the splitter got wrong must cost speed, not matches)."""
    parts = branches(rule.pattern)
    try:
        for part in parts:
            re.compile(part)
    except re.error:
        return [rule.pattern]
    return parts


def _compile_test(rule: Rule, pattern: str) -> re.Pattern[str]:
    body = _body(rule, pattern)
    return re.compile(f"(?:{body})\\s*\\Z" if rule.anchor == "end" else body, re.IGNORECASE)
