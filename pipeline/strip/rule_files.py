"""Rule files: pattern knowledge by kind, kept as data that users extend without code.

A rule file is TOML (``pipeline/rules/<language>.toml``, ``any.toml`` for rules that hold in
every language). Each file names its language and lists rules; every rule has an ``id`` (what
a removal records), a ``kind`` (one of :data:`pipeline.record_types.REMOVAL_KINDS`) and a regex
``pattern`` or a ``phrases`` list. See ``docs/stripping.md`` for the format. Here they are
read and validated; :mod:`pipeline.strip.matching` compiles and matches them.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.record_types import REMOVAL_KINDS
from pipeline.strip.matching import BODY_KINDS, SHORT_LINE, CompiledRules, Rule

PACKAGE_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
ANY_LANGUAGE = "any"
ANCHORS = ("full", "start", "end", "any")
#: ``any`` rules apply to lines of at most this many words, or their own ``max_words``.
ANY_MAX_WORDS = 90
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
_FLAGS = ("fragment", "case_sensitive", "opens_list")
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?P<")

#: Makes the error for one rule from a message (the error names the file and the rule).
Fail = Callable[[str], "RuleError"]


class RuleError(ValueError):
    """A rule file or a rule in it is invalid; the message names both."""


@dataclass(slots=True)
class RuleSet:
    """All loaded rules, and per language their compiled form and stop words. ``version``
    is a SHA-256 over the files they were loaded from (:func:`rule_files_version`)."""

    rules: tuple[Rule, ...]
    stopwords: dict[str, frozenset[str]]
    version: str = ""
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

    def __getstate__(self) -> tuple[tuple[Rule, ...], dict[str, frozenset[str]], str]:
        return self.rules, self.stopwords, self.version

    def __setstate__(self, state: tuple[tuple[Rule, ...], dict[str, frozenset[str]], str]) -> None:
        self.rules, self.stopwords, self.version = state
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
    rules: list[Rule] = []
    stopwords: dict[str, set[str]] = {}
    seen_ids: dict[str, str] = {}
    files = _rule_files(rules_dirs)
    for path in files:
        language, file_rules, words = parse_rule_file(path)
        for rule in file_rules:
            if rule.id in seen_ids:
                raise RuleError(f"{path}: rule {rule.id!r} already defined in {seen_ids[rule.id]}")
            seen_ids[rule.id] = str(path)
            rules.append(rule)
        stopwords.setdefault(language, set()).update(words)
    stopword_sets = {k: frozenset(v) for k, v in stopwords.items()}
    return RuleSet(tuple(rules), stopword_sets, rule_files_version(files))


def rule_files_version(files: Sequence[Path]) -> str:
    """SHA-256 (hex) of the rule files' names and contents, in loading order: the same
    files give the same version on every machine, wherever the directories are."""
    digest = hashlib.sha256()
    for path in files:
        for part in (path.name.encode(), path.read_bytes()):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


def _rule_files(rules_dirs: tuple[str, ...]) -> list[Path]:
    """The package's rule files, then those of each of ``rules_dirs``, each sorted."""
    files = [*sorted(PACKAGE_RULES_DIR.glob("*.toml"))]
    for directory in rules_dirs:
        path = Path(directory)
        if not path.is_dir():
            raise RuleError(f"{path}: rules directory does not exist")
        files.extend(sorted(path.glob("*.toml")))
    return files


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
    """One ``[[rule]]`` table as a :class:`Rule`, its keys checked in a fixed order (the
    first problem found is the one reported)."""
    if not isinstance(raw, dict):
        raise RuleError(f"{path}: rule #{index + 1} is not a table")
    fail = _failure(path, index, raw.get("id"))
    rule_id = _rule_id(raw, fail)
    if unknown := set(raw) - _RULE_KEYS:
        raise fail(f"unknown keys {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}")
    kind = _one_of(raw, "kind", None, REMOVAL_KINDS, fail)
    anchor = _one_of(raw, "anchor", "any", ANCHORS, fail)
    pattern = _pattern_of(raw, fail)
    weight = _weight(raw, fail)
    max_words = _max_words(raw, fail)
    if raw.get("fragment", False) and anchor not in ("start", "end"):
        raise fail("'fragment = true' needs anchor 'start' or 'end'")
    guard = _guard(raw, fail)
    body_kinds = _body_kinds(raw, fail)
    _check_flags(raw, fail)
    return Rule(
        id=rule_id,
        kind=kind,
        language=language,
        pattern=pattern,
        anchor=anchor,
        weight=weight,
        max_words=_default_max_words(anchor) if max_words is None else max_words,
        fragment=raw.get("fragment", False),
        case_sensitive=raw.get("case_sensitive", False),
        opens_list=raw.get("opens_list", False),
        guard=guard,
        body_kinds=body_kinds,
        source=str(path),
    )


def _failure(path: Path, index: int, rule_id: object) -> Fail:
    """The error maker of the rule at ``index``, named by its id when it has one."""
    where = f"{path}: rule {rule_id!r}" if rule_id else f"{path}: rule #{index + 1}"
    return lambda message: RuleError(f"{where}: {message}")


def _rule_id(raw: dict, fail: Fail) -> str:
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not re.fullmatch(r"[\w.\-:]+", rule_id):
        raise fail("'id' must be a non-empty string of letters, digits, '.', '-', '_', ':'")
    return rule_id


def _one_of(raw: dict, key: str, default: str | None, allowed: Sequence[str], fail: Fail) -> str:
    """The value of ``key``, which must be one of ``allowed``."""
    value = raw.get(key, default)
    if value not in allowed:
        raise fail(f"{key} {value!r} is not one of {', '.join(allowed)}")
    return value


def _weight(raw: dict, fail: Fail) -> float:
    weight = raw.get("weight", 1.0)
    if not isinstance(weight, int | float) or not 0 < weight <= 3:
        raise fail("'weight' must be a number in (0, 3]")
    return float(weight)


def _max_words(raw: dict, fail: Fail) -> int | None:
    max_words = raw.get("max_words")
    if max_words is not None and (not isinstance(max_words, int) or max_words < 1):
        raise fail("'max_words' must be a positive integer")
    return max_words


def _default_max_words(anchor: str) -> int | None:
    """The word limit of a rule that sets none: ``full`` and ``any`` rules have one."""
    return {"full": SHORT_LINE, "any": ANY_MAX_WORDS}.get(anchor)


def _guard(raw: dict, fail: Fail) -> tuple[str, ...]:
    guard = raw.get("guard", [])
    if not isinstance(guard, list) or not all(isinstance(g, str) for g in guard):
        raise fail("'guard' must be a list of words")
    return tuple(g.casefold() for g in guard)


def _body_kinds(raw: dict, fail: Fail) -> tuple[str, ...]:
    body_kinds = raw.get("body_kinds", list(BODY_KINDS))
    if not isinstance(body_kinds, list) or not body_kinds or set(body_kinds) - set(BODY_KINDS):
        raise fail(f"'body_kinds' must be a non-empty list of {', '.join(BODY_KINDS)}")
    return tuple(body_kinds)


def _check_flags(raw: dict, fail: Fail) -> None:
    for flag in _FLAGS:
        if not isinstance(raw.get(flag, False), bool):
            raise fail(f"'{flag}' must be true or false")


def _pattern_of(raw: dict, fail: Fail) -> str:
    """The rule's regex: its ``pattern``, or its ``phrases`` made one."""
    pattern, phrases = raw.get("pattern"), raw.get("phrases")
    if (pattern is None) == (phrases is None):
        raise fail("give exactly one of 'pattern' (a regex) or 'phrases' (a list of strings)")
    if phrases is not None:
        return _phrases_pattern(phrases, fail)
    return _regex_pattern(pattern, fail)


def _phrases_pattern(phrases: object, fail: Fail) -> str:
    if (
        not isinstance(phrases, list)
        or not phrases
        or not all(isinstance(p, str) and p.strip() for p in phrases)
    ):
        raise fail("'phrases' must be a non-empty list of non-empty strings")
    return _phrases_to_regex(phrases)


def _regex_pattern(pattern: object, fail: Fail) -> str:
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
