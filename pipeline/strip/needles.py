"""Literal strings a regex cannot match without, for a cheap pre-filter.

Searching a line with every ``anchor = "any"`` or ``"end"`` rule would cost a regex scan per
rule per line. Instead, each top-level alternative of a rule's pattern is analysed once for
literal strings of which every match must contain one (every match of
``\\byour (?:support|gift) helps`` contains "your support" or "your gift"; of the sets a
pattern offers, the most selective is kept), and a line is searched with the alternative
only if its lower-cased text contains one of them (see
:class:`pipeline.strip.matching.CompiledRules`). Alternatives without such a literal (e.g.
``\\w+/\\w+``) are searched on every line.

The analysis reads the parse tree of Python's own regex compiler (``re._parser``), a private
but long-stable module; anything unexpected yields no literal ("always searched"), never a
wrong one.
"""

from __future__ import annotations

import re
from re import _constants as C
from re import _parser

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


def required_literal_sets(pattern: str) -> list[Options]:
    """Every set of literal strings of which every match of ``pattern`` contains one:
    ``\\bfollow \\w+ on (?:twitter|x)`` -> ``[{"follow "}, {" on twitter", " on x"}, ...]``.
    A line lacking a member of any one of them cannot match."""
    try:
        parsed = _parser.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError):
        return []
    return _literal_sets(list(parsed))


def _literal_sets(seq: list) -> list[Options]:
    found: list[Options] = []
    run = ""
    for op, av in [*seq, (None, None)]:
        if op is C.LITERAL:
            run += chr(av)
            continue
        if op is C.BRANCH and run:
            found.append(frozenset((run + _leading_literal(b)).lower() for b in av[1]))
        if run:
            found.append(frozenset({run.lower()}))
            run = ""
        if op is C.BRANCH:
            options = [best_set(_literal_sets(list(branch))) for branch in av[1]]
            if all(o is not None for o in options):
                found.append(frozenset().union(*options))  # type: ignore[arg-type]
        elif op is C.SUBPATTERN:
            found.extend(_literal_sets(list(av[-1])))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            found.extend(_literal_sets(list(av[2])))
        elif op is C.IN and len(av) <= 4 and all(o is C.LITERAL for o, _ in av):
            found.append(frozenset(chr(a).lower() for _, a in av))
    return found


def best_set(sets: list[Options]) -> Options | None:
    """The most selective of ``sets`` (see :func:`_longer`), ``None`` for none."""
    best: Options | None = None
    for options in sets:
        best = _longer(best, options)
    return best


def _leading_literal(seq: list) -> str:
    lead = ""
    for op, av in seq:
        if op is not C.LITERAL:
            break
        lead += chr(av)
    return lead


def _longer(a: Options | None, b: Options | None) -> Options | None:
    """The more selective literal set: longer shortest literal, where spaces and a literal
    of three letters or fewer, spaces aside ("st", " the", "our "), count as nothing, since
    they occur in most lines (then: the longer shortest word, then fewer literals)."""
    if a is None or b is None:
        return a if b is None else b

    quality = [(selectivity(o), min(len(w.strip()) for w in o), -len(o)) for o in (a, b)]
    return a if quality[0] >= quality[1] else b


def selectivity(options: Options) -> int:
    """How rare a line holding one of ``options`` is, as the length of its least selective
    literal; spaces and a literal of three letters or fewer, spaces aside, count as 0."""

    def one(literal: str) -> int:
        core = literal.strip()
        return 0 if not core or (core.isalpha() and len(core) <= 3) else len(literal)

    return min(map(one, options))
