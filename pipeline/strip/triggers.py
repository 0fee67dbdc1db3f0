"""Required words of a regex, for a cheap pre-filter.

Searching a line with every ``anchor = "any"`` rule would cost a regex scan per rule per
line. Instead, each rule's pattern is analysed once for words that every match must contain
(``\\byour (?:support|gift) helps`` needs a word starting "supp", "gift" or "help"); a line is
searched with a rule only if one of its tokens starts with such a word. Patterns where no
such word can be proven (e.g. ``\\(\\w+/\\w+\\)``) are always searched.

The analysis reads the parse tree of Python's own regex compiler (``re._parser``), a private
but long-stable module; anything unexpected makes a rule "always searched", never wrong.
"""

from __future__ import annotations

import re
from re import _constants as C
from re import _parser

#: Trigger keys are the first characters of a required word.
KEY_LENGTH = 4
_MIN_WORD = 2
_WORD_CHAR = re.compile(r"\w")

Options = frozenset[str]


def branches(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (also inside one group spanning all of
    it): ``a|(?:b|c)`` -> ``["a", "(?:b|c)"]``, ``(?:a|b)`` -> ``["a", "b"]``. A match of
    the pattern is a match of one of them, so each can be filtered and searched alone."""
    parts, depth, start, escaped, class_start = [], 0, 0, False, -1
    closes_first = -1  # where the group opened at position 0 closes
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif class_start >= 0:  # a "]" first in the class ("[]", "[^]") is a literal
            if ch == "]" and pattern[class_start + 1 : i] not in ("", "^"):
                class_start = -1
        elif ch == "[":
            class_start = i
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and closes_first < 0:
                closes_first = i
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    whole_group = pattern.startswith("(?:") and closes_first == len(pattern) - 1
    if len(parts) == 1 and whole_group:
        return branches(pattern[3:-1])
    return parts


def trigger_keys(pattern: str) -> Options | None:
    """Prefixes (``KEY_LENGTH`` chars, lower case) of which any match of ``pattern`` must
    contain one as the start of a word; ``None`` when they cannot be determined."""
    try:
        parsed = _parser.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError):
        return None
    found = _required(list(parsed), word_start=False)
    if not found or min(len(w) for w in found) < _MIN_WORD:
        return None
    return frozenset(w[:KEY_LENGTH] for w in found)


def _required(seq: list, word_start: bool) -> Options | None:
    """The best requirement along a sequence: the option set with the longest shortest word."""
    best: Options | None = None
    run, run_start = "", False  # current literal word and whether it starts a word

    def close() -> None:
        nonlocal best, run
        if run and run_start:
            best = _better(best, frozenset({run.lower()}))
        run = ""

    at_word_start = word_start
    for op, av in seq:
        if op is C.LITERAL:
            char = chr(av)
            if _WORD_CHAR.match(char):
                if not run:
                    run_start = at_word_start
                run += char
                at_word_start = False
            else:
                close()
                at_word_start = True
            continue
        if op is C.BRANCH and run and run_start:
            # The parser factors a common prefix out of alternatives ("s(?:end|hare)").
            best = _better(best, frozenset(run.lower() + _leading_word(b) for b in av[1]))
        close()
        if op is C.AT:
            at_word_start = av in (C.AT_BOUNDARY, C.AT_BEGINNING, C.AT_BEGINNING_STRING)
            continue
        if op is C.BRANCH:
            options = [_required(list(branch), at_word_start) for branch in av[1]]
            if all(o is not None for o in options):
                best = _better(best, frozenset().union(*options))  # type: ignore[arg-type]
        elif op is C.SUBPATTERN:
            best = _better(best, _required(list(av[-1]), at_word_start))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            best = _better(best, _required(list(av[2]), at_word_start))
        at_word_start = _word_starts_after(op, av, at_word_start)
    close()
    return best


def _leading_word(seq: list) -> str:
    """The word characters a sequence starts with, as literals."""
    lead = ""
    for op, av in seq:
        if op is not C.LITERAL or not _WORD_CHAR.match(chr(av)):
            break
        lead += chr(av)
    return lead.lower()


def _word_starts_after(op: object, av: object, before: bool) -> bool:
    """Whether a word must start right after this item: after a space or other non-word
    character, or a repeat or alternation that always ends in one (an optional repeat also
    needs ``before``)."""
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        inner = list(av[2])  # type: ignore[index]
        ends = bool(inner) and _word_starts_after(*inner[-1], before=False)
        return ends and (av[0] >= 1 or before)  # type: ignore[index]
    if op is C.BRANCH:
        branches = [list(b) for b in av[1]]  # type: ignore[index]
        return all(b and _word_starts_after(*b[-1], before=False) for b in branches)
    if op is C.LITERAL:
        return not _WORD_CHAR.match(chr(av))  # type: ignore[arg-type]
    if op is not C.IN:
        return False
    return bool(av) and all(
        (o is C.CATEGORY and a is C.CATEGORY_SPACE)
        or (o is C.LITERAL and not _WORD_CHAR.match(chr(a)))
        for o, a in av  # type: ignore[attr-defined]
    )


def _better(a: Options | None, b: Options | None) -> Options | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if _quality(a) >= _quality(b) else b


def _quality(options: Options) -> tuple[int, int, int]:
    """Longer shortest words filter better (a common word counts as one letter long), then
    longer words, then fewer alternatives."""
    shortest = min(1 if w[:KEY_LENGTH] in _COMMON else min(len(w), KEY_LENGTH) for w in options)
    return shortest, min(min(len(w), KEY_LENGTH) for w in options), -len(options)


def required_literals(pattern: str) -> Options | None:
    """Literal strings (lower case, any characters) of which every match contains one; the
    fallback filter for patterns without a required word, e.g. ``&(?:amp|nbsp);`` -> "&"."""
    try:
        parsed = _parser.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError):
        return None
    return _literals(list(parsed))


def _literals(seq: list) -> Options | None:
    best: Options | None = None
    run = ""
    for op, av in [*seq, (None, None)]:
        if op is C.LITERAL:
            run += chr(av)
            continue
        if op is C.BRANCH and run:
            best = _longer(best, frozenset((run + _leading_literal(b)).lower() for b in av[1]))
        if run:
            best = _longer(best, frozenset({run.lower()}))
            run = ""
        if op is C.BRANCH:
            options = [_literals(list(branch)) for branch in av[1]]
            if all(o is not None for o in options):
                best = _longer(best, frozenset().union(*options))  # type: ignore[arg-type]
        elif op is C.SUBPATTERN:
            best = _longer(best, _literals(list(av[-1])))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            best = _longer(best, _literals(list(av[2])))
        elif op is C.IN and len(av) <= 4 and all(o is C.LITERAL for o, _ in av):
            best = _longer(best, frozenset(chr(a).lower() for _, a in av))
    return best


def _leading_literal(seq: list) -> str:
    lead = ""
    for op, av in seq:
        if op is not C.LITERAL:
            break
        lead += chr(av)
    return lead


def _longer(a: Options | None, b: Options | None) -> Options | None:
    """The more selective literal set: longer shortest literal, where a short all-letter
    literal ("st", "nd") counts as nothing, since it occurs in most lines."""
    if a is None or b is None:
        return a if b is None else b

    def selectivity(literal: str) -> int:
        return len(literal) if len(literal) >= 3 or not literal.isalnum() else 0

    quality = [(min(selectivity(w) for w in o), -len(o)) for o in (a, b)]
    return a if quality[0] >= quality[1] else b


#: Word starts too frequent in prose to filter anything; avoided as triggers when possible.
_COMMON = frozenset(
    {
        "on",
        "in",
        "to",
        "of",
        "at",
        "by",
        "is",
        "it",
        "we",
        "be",
        "as",
        "or",
        "an",
        "us",
        "he",
        "so",
        "do",
        "no",
        "up",
        "if",
        "my",
        "me",
        "your",
        "this",
        "that",
        "with",
        "from",
        "have",
        "more",
        "only",
        "will",
        "they",
        "thei",
        "what",
        "when",
        "were",
        "been",
        "said",
        "abou",
        "over",
        "also",
        "into",
        "just",
        "like",
        "some",
        "than",
        "then",
        "them",
        "woul",
        "coul",
        "othe",
        "afte",
        "firs",
        "read",
        "full",
        "news",
        "time",
        "year",
        "make",
        "made",
        "back",
        "here",
        "ther",
        "wher",
        "thes",
        "thos",
        "most",
        "many",
        "much",
        "such",
        "each",
        "very",
        "well",
        "even",
        "stil",
        "keep",
        "give",
        "help",
        "cont",
        "star",
        "free",
        "view",
        "open",
        "late",
        "post",
        "are",
        "the",
        "and",
        "for",
        "you",
        "our",
        "was",
        "but",
        "not",
        "all",
        "any",
        "can",
        "get",
        "one",
        "out",
        "new",
        "now",
        "see",
        "two",
        "who",
    }
)
