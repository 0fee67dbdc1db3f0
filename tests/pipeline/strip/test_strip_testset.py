"""The stripper on the hand-labelled articles in tests/data/strip (see the README there).

Run as a script to print the scores: ``python tests/pipeline/strip/test_strip_testset.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import DATA

from pipeline.record_types import Line
from pipeline.strip import Stripper

DATA = DATA / "strip"
_FRAGMENT = re.compile(r"⟦(\w+):(.*?)⟧")
_LABELLED = re.compile(r"^(?:(\+)|(\?)|- (\w+)) (.*)$")


@dataclass
class Article:
    name: str
    header: dict[str, str]
    lines: list[Line]
    labels: dict[int, str | None]  # source line -> kind (boilerplate), None (content)
    fragments: dict[int, str] = field(default_factory=dict)  # source line -> cut text


def load_article(path: Path) -> Article:
    header: dict[str, str] = {}
    lines: list[Line] = []
    labels: dict[int, str | None] = {}
    fragments: dict[int, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("# "):
            key, _, value = raw[2:].partition(":")
            header[key.strip()] = value.strip()
            continue
        n = len(lines)
        if not raw.strip():
            lines.append(Line(n, ""))
            continue
        m = _LABELLED.match(raw)
        assert m, f"{path.name}: unlabelled line {raw!r}"
        keep, either, kind, text = m.groups()
        if frag := _FRAGMENT.search(text):
            fragments[n] = frag.group(2)
            text = _FRAGMENT.sub(lambda f: f.group(2), text)
        lines.append(Line(n, text))
        if not either:
            labels[n] = None if keep else kind
    return Article(path.stem, header, lines, labels, fragments)


def articles() -> list[Article]:
    return [load_article(p) for p in sorted(DATA.glob("*.txt"))]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    fragments_missed: int = 0
    by_kind: Counter = field(default_factory=Counter)
    kind_totals: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(stripper: Stripper, items: list[Article]) -> Score:
    s = Score()
    for art in items:
        out = stripper.strip(
            art.lines, outlet=art.header.get("outlet"), language=art.header.get("language", "en")
        )
        kept = {line.source_line: line.text for line in out.kept}
        for n, kind in art.labels.items():
            text = art.lines[n].text[:70]
            if kind is None:
                if n in kept:
                    s.tn += 1
                else:
                    s.fp += 1
                    s.errors.append(f"{art.name}:{n + 1} LOST  {text}")
                continue
            s.kind_totals[kind] += 1
            if n in kept:
                s.fn += 1
                s.errors.append(f"{art.name}:{n + 1} KEPT [{kind}] {text}")
            else:
                s.tp += 1
                s.by_kind[kind] += 1
        for n, fragment in art.fragments.items():
            if fragment in kept.get(n, fragment):
                s.fragments_missed += 1
                s.errors.append(f"{art.name}:{n + 1} FRAGMENT KEPT {fragment}")
    return s


#: Story lines each stripper may lose. The rules were written while reading these articles;
#: the line model never saw them. It loses 5 of 196: a list of vegetables in a blog post, a
#: transcript's sign-off and a match's attendance, short lines shaped like furniture (its
#: cross-validated figures are benchmarks/bench_strip_cv.py's).
MAX_LOST = {"rules": 1, "model": 5}


@pytest.fixture(scope="module", params=["rules", "model"])
def result(request: pytest.FixtureRequest) -> tuple[str, Score]:
    stripper = Stripper(model=None) if request.param == "rules" else Stripper()
    return request.param, score(stripper, articles())


def test_enough_articles_with_every_required_feature():
    items = articles()
    assert len(items) >= 24
    kinds = {k for a in items for k in a.labels.values() if k}
    assert {"cookie_notice", "navigation", "paywall_appeal", "photo_caption"} <= kinds
    assert {"de", "es"} <= {a.header.get("language") for a in items}


def test_precision_first_no_story_line_lost(result: tuple[str, Score]):
    name, s = result
    assert s.fp <= MAX_LOST[name], "\n".join(e for e in s.errors if "LOST" in e)


def test_line_f1_floor(result: tuple[str, Score]):
    _, s = result
    assert s.f1 >= 0.95, "\n".join(s.errors)


def test_trailing_credit_fragments_cut(result: tuple[str, Score]):
    _, s = result
    assert s.fragments_missed == 0, "\n".join(s.errors)


if __name__ == "__main__":
    s = score(Stripper(), articles())
    print(
        f"P={s.precision:.3f} R={s.recall:.3f} F1={s.f1:.3f} "
        f"TP={s.tp} FP={s.fp} FN={s.fn} TN={s.tn} fragments missed={s.fragments_missed}"
    )
    for kind, total in sorted(s.kind_totals.items()):
        print(f"  {kind:24s} {s.by_kind[kind]:3d}/{total}")
    print("\n".join(s.errors))
