"""Rule files: pattern knowledge by kind, kept as data that users extend without code.

A rule file is TOML (``pipeline/rules/<language>.toml``, ``any.toml`` for rules that hold in
every language). Each file names its language and lists rules; every rule has an ``id`` (what
a removal records), a ``kind`` (one of :data:`pipeline.model.REMOVAL_KINDS`) and a regex
``pattern`` or a ``phrases`` list. See ``docs/stripping.md`` for the format.

Rules are compiled once per process and language into tests behind one Aho-Corasick
automaton (:class:`CompiledRules`), so a line costs a regex call only for the few rules it
may match, however many rules there are.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import ahocorasick_rs

from pipeline.model import REMOVAL_KINDS
from pipeline.strip.needles import (
    Options,
    best_set,
    branches,
    required_literal_sets,
    selectivity,
)

PACKAGE_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
ANY_LANGUAGE = "any"
ANCHORS = ("full", "start", "end", "any")
#: ``end`` rules look at this many final characters of a line.
END_WINDOW = 160
#: ``any`` rules apply to lines of at most this many words, or their own ``max_words``.
ANY_MAX_WORDS = 90
#: ``full`` rules apply to lines of at most this many words unless they set ``max_words``.
SHORT_LINE = 25
#: A test's further required literal sets (beyond its needles) are checked
#: before its regex runs when they hold at most this many literals, none shorter than
#: ``CONFIRM_MIN_CHARS`` (see :func:`pipeline.strip.needles.selectivity`).
CONFIRM_MAX_LITERALS = 16
CONFIRM_MIN_CHARS = 4
_RULE_KEYS = {
    "id",
    "kind",
    "pattern",
    "phrases",
    "anchor",
    "weight",
    "max_words",
    "fragment",
    "case_sensitive",
    "opens_list",
    "guard",
    "body_kinds",
    "note",
}
BODY_KINDS = ("text", "html")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?P<")


class RuleError(ValueError):
    """A rule file or a rule in it is invalid; the message names both."""


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
    tests: list[tuple[Rule, re.Pattern[str], tuple[Options, ...]]] = field(default_factory=list)
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
        candidates = self.always  # bit p: test p may match
        needles = self.needles[n_words > SHORT_LINE]
        if needles.automaton is not None:  # some test has needles
            found_needles = needles.automaton.find_matches_as_indexes(lower, overlapping=True)
            test_bits = needles.test_bits
            if not offset:  # the whole line is the end window
                for needle, _, _ in found_needles:
                    candidates |= test_bits[needle]
            else:
                # lower() never shortens a text, so a needle that ends past ``offset`` in
                # ``text`` ends past it in ``lower``: an end rule's needle that ends before
                # cannot be in its match, which starts in the window.
                outside = ~self.windowed
                for needle, _, end in found_needles:
                    bits = test_bits[needle]
                    candidates |= bits if end > offset else bits & outside
        hits: list[RuleHit] = []
        anchors_hit: set[str] = set()  # of a full or start rule: the weightiest counts
        found: dict[str, RuleHit] = {}  # rule id -> leftmost hit of a searched rule
        while candidates:
            low = candidates & -candidates
            candidates ^= low
            rule, rx, confirm = self.tests[low.bit_length() - 1]
            if rule.max_words is not None and n_words > rule.max_words:
                continue
            if confirm and not all(any(map(lower.__contains__, c)) for c in confirm):
                continue
            anchor = rule.anchor
            if anchor == "full" or anchor == "start":
                if anchor not in anchors_hit and (
                    m := rx.fullmatch(text) if anchor == "full" else rx.match(text)
                ):
                    hits.append(RuleHit(rule, m.start(), m.end()))
                    anchors_hit.add(anchor)
                continue
            m = rx.search(text, offset) if anchor == "end" else rx.search(text)
            if m and (rule.id not in found or m.start() < found[rule.id].start):
                found[rule.id] = RuleHit(rule, m.start(), m.end())
        hits.extend(found.values())
        return hits


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


@dataclass(slots=True)
class RuleSet:
    """All loaded rules, and per language their compiled form and stop words."""

    rules: tuple[Rule, ...]
    stopwords: dict[str, frozenset[str]]
    _compiled: dict[tuple[str, str], CompiledRules] = field(default_factory=dict, repr=False)

    @property
    def languages(self) -> set[str]:
        return {r.language for r in self.rules} | set(self.stopwords)

    def for_language(self, language: str | None, body_kind: str = "text") -> CompiledRules:
        """Rules that apply to an article in ``language``: its own and the ``any`` rules
        (an unknown, ``None``, language gets only the ``any`` rules), those for its
        ``body_kind``."""
        key = (base_language(language), body_kind)
        if key not in self._compiled:
            wanted = {ANY_LANGUAGE, key[0]}
            rules = tuple(
                r for r in self.rules if r.language in wanted and body_kind in r.body_kinds
            )
            self._compiled[key] = CompiledRules(rules)
        return self._compiled[key]

    def stopwords_for(self, language: str | None) -> frozenset[str]:
        return self.stopwords.get(base_language(language), frozenset()) | self.stopwords.get(
            ANY_LANGUAGE, frozenset()
        )

    def __getstate__(self) -> tuple[tuple[Rule, ...], dict[str, frozenset[str]]]:
        return self.rules, self.stopwords

    def __setstate__(self, state: tuple[tuple[Rule, ...], dict[str, frozenset[str]]]) -> None:
        self.rules, self.stopwords = state
        self._compiled = {}


def base_language(language: str | None) -> str:
    """``"en-GB"`` -> ``"en"``; ``None`` -> ``"any"`` (only language-independent rules)."""
    if not language:
        return ANY_LANGUAGE
    return language.replace("_", "-").split("-")[0].lower()


def load_rules(rules_dirs: Sequence[str | Path] = ()) -> RuleSet:
    """The package's rule files plus every ``*.toml`` in ``rules_dirs``, validated."""
    return _load_cached(tuple(str(Path(d).resolve()) for d in rules_dirs))


@lru_cache(maxsize=8)
def _load_cached(rules_dirs: tuple[str, ...]) -> RuleSet:
    files = [*sorted(PACKAGE_RULES_DIR.glob("*.toml"))]
    for directory in rules_dirs:
        path = Path(directory)
        if not path.is_dir():
            raise RuleError(f"{path}: rules directory does not exist")
        files.extend(sorted(path.glob("*.toml")))
    rules: list[Rule] = []
    stopwords: dict[str, set[str]] = {}
    seen_ids: dict[str, str] = {}
    for path in files:
        language, file_rules, words = parse_rule_file(path)
        for rule in file_rules:
            if rule.id in seen_ids:
                raise RuleError(f"{path}: rule {rule.id!r} already defined in {seen_ids[rule.id]}")
            seen_ids[rule.id] = str(path)
            rules.append(rule)
        stopwords.setdefault(language, set()).update(words)
    return RuleSet(tuple(rules), {k: frozenset(v) for k, v in stopwords.items()})


def parse_rule_file(path: Path) -> tuple[str, list[Rule], list[str]]:
    """Read and validate one rule file: (language, rules, stop words)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from exc
    language = data.get("language")
    if not isinstance(language, str) or not language:
        raise RuleError(f"{path}: missing top-level 'language' (e.g. language = \"en\")")
    language = base_language(language)
    words = data.get("stopwords", [])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise RuleError(f"{path}: 'stopwords' must be a list of strings")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise RuleError(f"{path}: rules must be an array of tables ([[rule]])")
    rules = [_parse_rule(path, language, i, raw) for i, raw in enumerate(raw_rules)]
    return language, rules, [w.casefold() for w in words]


def _parse_rule(path: Path, language: str, index: int, raw: object) -> Rule:
    if not isinstance(raw, dict):
        raise RuleError(f"{path}: rule #{index + 1} is not a table")
    rule_id = raw.get("id")
    where = f"{path}: rule {rule_id!r}" if rule_id else f"{path}: rule #{index + 1}"

    def fail(message: str) -> RuleError:
        return RuleError(f"{where}: {message}")

    if not isinstance(rule_id, str) or not re.fullmatch(r"[\w.\-:]+", rule_id):
        raise fail("'id' must be a non-empty string of letters, digits, '.', '-', '_', ':'")
    if unknown := set(raw) - _RULE_KEYS:
        raise fail(f"unknown keys {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}")
    kind = raw.get("kind")
    if kind not in REMOVAL_KINDS:
        raise fail(f"kind {kind!r} is not one of {', '.join(REMOVAL_KINDS)}")
    anchor = raw.get("anchor", "any")
    if anchor not in ANCHORS:
        raise fail(f"anchor {anchor!r} is not one of {', '.join(ANCHORS)}")
    pattern = _pattern_of(raw, fail)
    weight = raw.get("weight", 1.0)
    if not isinstance(weight, int | float) or not 0 < weight <= 3:
        raise fail("'weight' must be a number in (0, 3]")
    max_words = raw.get("max_words")
    if max_words is not None and (not isinstance(max_words, int) or max_words < 1):
        raise fail("'max_words' must be a positive integer")
    fragment = raw.get("fragment", False)
    if fragment and anchor not in ("start", "end"):
        raise fail("'fragment = true' needs anchor 'start' or 'end'")
    guard = raw.get("guard", [])
    if not isinstance(guard, list) or not all(isinstance(g, str) for g in guard):
        raise fail("'guard' must be a list of words")
    body_kinds = raw.get("body_kinds", list(BODY_KINDS))
    if not isinstance(body_kinds, list) or not body_kinds or set(body_kinds) - set(BODY_KINDS):
        raise fail(f"'body_kinds' must be a non-empty list of {', '.join(BODY_KINDS)}")
    for flag in ("fragment", "case_sensitive", "opens_list"):
        if not isinstance(raw.get(flag, False), bool):
            raise fail(f"'{flag}' must be true or false")
    if max_words is None and anchor in ("full", "any"):
        max_words = SHORT_LINE if anchor == "full" else ANY_MAX_WORDS
    return Rule(
        id=rule_id,
        kind=kind,
        language=language,
        pattern=pattern,
        anchor=anchor,
        weight=float(weight),
        max_words=max_words,
        fragment=fragment,
        case_sensitive=raw.get("case_sensitive", False),
        opens_list=raw.get("opens_list", False),
        guard=tuple(g.casefold() for g in guard),
        body_kinds=tuple(body_kinds),
        source=str(path),
    )


def _pattern_of(raw: dict, fail) -> str:
    pattern, phrases = raw.get("pattern"), raw.get("phrases")
    if (pattern is None) == (phrases is None):
        raise fail("give exactly one of 'pattern' (a regex) or 'phrases' (a list of strings)")
    if phrases is not None:
        if (
            not isinstance(phrases, list)
            or not phrases
            or not all(isinstance(p, str) and p.strip() for p in phrases)
        ):
            raise fail("'phrases' must be a non-empty list of non-empty strings")
        return _phrases_to_regex(phrases)
    if not isinstance(pattern, str) or not pattern:
        raise fail("'pattern' must be a non-empty string")
    if _BACKREFERENCE.search(pattern):
        raise fail("named groups and backreferences are not allowed; use (?:...) groups")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise fail(f"invalid regex: {exc}") from exc
    return pattern


def _phrases_to_regex(phrases: Iterable[str]) -> str:
    """Literal phrases, whitespace-tolerant and word-bounded."""
    parts = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        words = [re.escape(w) for w in phrase.split()]
        body = r"\s+".join(words)
        lead = r"\b" if phrase[0].isalnum() else ""
        tail = r"\b" if phrase[-1].isalnum() else ""
        parts.append(f"{lead}{body}{tail}")
    return "(?:" + "|".join(parts) + ")"
