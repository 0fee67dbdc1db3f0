"""HTML extraction quality and speed on ../shared/html-dev and ../shared/html-train.

Quality, in one table per set, every extractor run in this process on the same pages: the
project (its block model CROSS-VALIDATED BY PAGE: each page's text comes from the model
trained on the folds it is not in, :mod:`benchmarks.train_blocks`), with and without the
pipeline's stripping (the rules alone, and the line model cross-validated by the same page
folds: :func:`line_models`), against trafilatura (no comments; and with ``favor_precision``),
readability-lxml and jusText. The metric is the sets' own (see their READMEs): word tokens,
4-token shingles, multiset precision and recall per page; ``P``/``R`` are means over pages
(an empty output is left out of the precision mean and counts as recall 0), ``F1`` their
harmonic mean, ``F1 pages`` the mean of per-page F1. On html-train also the per-page share of
``with`` snippets present and of ``without`` snippets absent (lower-cased ``\\w+`` tokens
joined by spaces, as a whole-token run; a snippet cut at 80 characters may end mid-word).

Speed: seconds per page on one core, each page timed for every runner back to back (best of
``--rounds``): trafilatura alone as configured (with metadata, what an Extracted holds),
against our read + extract + language detection with the shipped model (the one recipe of
:mod:`pipeline.documents`).

    python -m benchmarks.bench_html [--rounds N] [--time-pages N] [--pages DIR]

``--pages`` times the ``*.html`` files of a directory without scoring them (no gold).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import justext
import numpy as np
import trafilatura
from lxml.html import fromstring
from readability import Document as ReadabilityDocument

from benchmarks.corpus import SHARED
from benchmarks.train_blocks import (
    FOLDS,
    SETS,
    GoldPage,
    cross_validated_models,
    folds_of,
    gold_pages,
)
from pipeline.documents import ExtractedDocument, source_documents
from pipeline.extract.html import TRAFILATURA_OPTIONS, page_text
from pipeline.extract.lines import text_lines
from pipeline.extract.tree_model import TreeModel
from pipeline.language import detect_language
from pipeline.strip import Stripper
from pipeline.strip.labelled import LabelledDoc, gold_labelled, read_labelled
from pipeline.strip.linemodel import LineModel
from pipeline.strip.training import prepare, train_prepared

_WORD = re.compile(r"\w+")
#: The length at which html-train's snippets are cut (mid-word, as often as not).
SNIPPET_CUT = 80
#: The labelled articles the line model is trained on besides the pages.
TEXT_SETS = ("dev-text", "text-train")


def shingles(text: str, size: int = 4) -> Counter:
    tokens = _WORD.findall(text.lower())
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def score(predicted: str, gold: str) -> tuple[float, float, float]:
    ours, truth = shingles(predicted), shingles(gold)
    common = sum((ours & truth).values())
    precision = common / sum(ours.values()) if ours else 0.0
    recall = common / sum(truth.values()) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def load_pages(dev: Path) -> list[tuple[str, bytes, str]]:
    gold = json.loads((dev / "ground-truth.json").read_text())
    return [
        (
            page_id,
            gzip.decompress((dev / "html" / f"{page_id}.html.gz").read_bytes()),
            entry["articleBody"],
        )
        for page_id, entry in sorted(gold.items())
    ]


def trafilatura_text(html: bytes | str, **options: object) -> str:
    return trafilatura.extract(html, **options) or ""


def readability_text(html: bytes | str) -> str:
    try:
        summary = ReadabilityDocument(html).summary(html_partial=True)
    except Exception:  # readability's own exceptions on odd pages: no output
        return ""
    return fromstring(summary).text_content() if summary.strip() else ""


def justext_text(html: bytes | str) -> str:
    data = html.encode() if isinstance(html, str) else html
    paragraphs = justext.justext(data, justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def our_document(page_id: str, html: bytes) -> ExtractedDocument | None:
    """The page read, extracted and tagged with its language as a run does; None when it
    is rejected."""
    sha = hashlib.sha256(html).hexdigest()
    for item in source_documents(f"{page_id}.html", sha, html):
        return item if isinstance(item, ExtractedDocument) else None
    return None


def stripped(text: str, title: str | None, stripper: Stripper) -> str:
    """What the pipeline's strip stage keeps of extracted HTML text."""
    lines = text_lines(text)
    kept = stripper.strip(
        lines, language=detect_language(lines), title=title, body_kind="html"
    ).kept
    return "\n".join(line.text for line in kept)


def snippet_found(snippet: str, text_tokens: str) -> bool:
    """Whether the snippet's tokens are a whole-token run of ``text_tokens`` (the output's
    lower-cased tokens, space-joined, a space at each end). A snippet of
    :data:`SNIPPET_CUT` or more characters was cut there upstream, often inside a word, so
    its last token need only begin a token."""
    run = " " + " ".join(_WORD.findall(snippet.lower()))
    return (run if len(snippet) >= SNIPPET_CUT else run + " ") in text_tokens


def print_quality(name: str, pages: list[GoldPage], outputs: dict[str, list[str]]) -> None:
    truth = json.loads((SHARED / name / "ground-truth.json").read_text())
    snippets = "with" in next(iter(truth.values()))
    header = f"{'extraction':38s} {'P':>6s} {'R':>6s} {'F1':>6s} {'F1 pages':>8s} {'empty':>5s}"
    print(
        f"\n{name}: {len(pages)} pages\n{header}" + ("  with  without-absent" if snippets else "")
    )
    for system, texts in outputs.items():
        scores = [score(text, p.gold) for text, p in zip(texts, pages, strict=True)]
        filled = [s for s, t in zip(scores, texts, strict=True) if shingles(t)]
        precision = float(np.mean([s[0] for s in filled])) if filled else 0.0
        recall = float(np.mean([s[1] for s in scores]))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        row = (
            f"{system:38s} {precision:6.3f} {recall:6.3f} {f1:6.3f} "
            f"{np.mean([s[2] for s in scores]):8.3f} {len(scores) - len(filled):5d}"
        )
        if snippets:
            row += "  " + _snippet_shares(texts, [truth[p.key.split("/")[1]] for p in pages])
        print(row)


def _snippet_shares(texts: list[str], entries: list[dict]) -> str:
    present, absent = [], []
    for text, entry in zip(texts, entries, strict=True):
        tokens = f" {' '.join(_WORD.findall(text.lower()))} "
        if entry.get("with"):
            present.append(np.mean([snippet_found(s, tokens) for s in entry["with"]]))
        if entry.get("without"):
            absent.append(np.mean([not snippet_found(s, tokens) for s in entry["without"]]))
    return f"{np.mean(present):5.3f}  {np.mean(absent):14.3f}"


def line_models(
    pages: list[GoldPage], models: dict[str, TreeModel], titles: dict[str, str | None]
) -> dict[str, Stripper]:
    """For each page, a stripper whose line model never saw the page's fold (the folds of
    the block model): trained as ``python -m pipeline train`` trains the shipped one, on the
    labelled articles, on the other folds' whole pages (``dirty/``) and on the text the
    fold's block model extracts from the other folds' pages (pages it was trained on, as
    the shipped block model was on every page)."""
    texts = prepare(
        [doc for name in TEXT_SETS for doc in read_labelled(SHARED / name)]
        + [doc for name in SETS for doc in read_labelled(SHARED / name)]
    )
    fold = folds_of(pages)
    strippers = {}
    for held in sorted(set(fold.tolist())):
        kept = {p.key for p, f in zip(pages, fold, strict=True) if f != held}
        model = models[next(p.key for p, f in zip(pages, fold, strict=True) if f == held)]
        extracted = [
            gold_labelled(
                *p.key.split("/"),
                text_lines(page_text(p.page, model)),
                p.gold,
                "html",
                titles[p.key],
            )
            for p in pages
            if p.key in kept
        ]
        train = [t for t in texts if not t.doc.whole_page or _page_key(t.doc) in kept]
        line_model = LineModel.from_bytes(train_prepared(train + prepare(extracted)))
        stripper = Stripper(model=line_model)
        strippers.update({p.key: stripper for p in pages if p.key not in kept})
        print(f"line model {held + 1}/{FOLDS} trained", file=sys.stderr)
    return strippers


def _page_key(doc: LabelledDoc) -> str:
    """A whole page's :attr:`GoldPage.key` (``set/id``) from its group ``page:set:id``."""
    return "/".join(doc.group.split(":")[1:])


def page_titles(pages: list[GoldPage]) -> dict[str, str | None]:
    """The headline the pipeline's extraction gives each page (the strip stage gets it)."""
    titles = {}
    for name in SETS:
        for page_id, html, _ in load_pages(SHARED / name):
            document = our_document(page_id, html)
            titles[f"{name}/{page_id}"] = document.extracted.title if document else None
    return {p.key: titles.get(p.key) for p in pages}


def system_outputs(pages: list[GoldPage]) -> dict[str, list[str]]:
    """Every system's text of every page; ours cross-validated by page."""
    models = cross_validated_models(pages)
    ours = [page_text(p.page, models[p.key]) for p in pages]
    titles = page_titles(pages)
    rules = Stripper(model=None)
    strippers = line_models(pages, models, titles)
    return {
        "ours, CV by page: extract": ours,
        "ours, CV by page: + stripping, rules": [
            stripped(text, titles[p.key], rules) for text, p in zip(ours, pages, strict=True)
        ],
        "ours, CV by page: + stripping": [
            stripped(text, titles[p.key], strippers[p.key])
            for text, p in zip(ours, pages, strict=True)
        ],
        "trafilatura (no comments)": [
            trafilatura_text(p.page.html, include_comments=False) for p in pages
        ],
        "trafilatura favor_precision": [
            trafilatura_text(p.page.html, include_comments=False, favor_precision=True)
            for p in pages
        ],
        "readability-lxml": [readability_text(p.page.html) for p in pages],
        "jusText (English stoplist)": [justext_text(p.page.html) for p in pages],
    }


def interleaved_seconds(
    runners: dict[str, Callable[[str, bytes], object]],
    pages: list[tuple[str, bytes]],
    rounds: int,
) -> dict[str, float]:
    """Total seconds per runner, each page timed for every runner back to back and the best
    of ``rounds`` kept per page, so that load from other processes hits all runners alike.
    The runners take turns going first on a page."""
    names = list(runners)
    best = {name: [float("inf")] * len(pages) for name in names}
    for round_ in range(rounds):
        for index, (page_id, html) in enumerate(pages):
            first = (index + round_) % len(names)
            for name in names[first:] + names[:first]:
                start = time.perf_counter()
                runners[name](page_id, html)
                best[name][index] = min(best[name][index], time.perf_counter() - start)
    return {name: sum(times) for name, times in best.items()}


def print_speed(pages: list[tuple[str, bytes]], rounds: int) -> None:
    seconds = interleaved_seconds(
        {
            "trafilatura as configured": lambda _, h: trafilatura.bare_extraction(
                h, **TRAFILATURA_OPTIONS
            ),
            "ours: read + extract + language": our_document,
        },
        pages,
        rounds,
    )
    print(f"\nspeed, {len(pages)} pages (one core)  ms/page")
    for name, total in seconds.items():
        print(f"{name:34s} {1000 * total / len(pages):8.1f}")
    ratio = seconds["ours: read + extract + language"] / seconds["trafilatura as configured"]
    print(f"{'ours / trafilatura':34s} {ratio:8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, help="time only, the *.html files of DIR")
    parser.add_argument("--rounds", type=int, default=1, help="timing rounds (best kept)")
    parser.add_argument("--time-pages", type=int, default=200, help="pages timed per set")
    args = parser.parse_args()
    if args.pages:
        print_speed([(p.name, p.read_bytes()) for p in sorted(args.pages.glob("*.html"))], 1)
        return
    pages = gold_pages()
    outputs = system_outputs(pages)
    for name in SETS:
        chosen = [i for i, p in enumerate(pages) if p.key.startswith(name + "/")]
        print_quality(
            name,
            [pages[i] for i in chosen],
            {s: [t[i] for i in chosen] for s, t in outputs.items()},
        )
    timed = [
        (page_id, html)
        for name in SETS
        for page_id, html, _ in load_pages(SHARED / name)[: args.time_pages]
    ]
    print_speed(timed, args.rounds)


if __name__ == "__main__":
    main()
