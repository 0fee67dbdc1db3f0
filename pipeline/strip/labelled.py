"""Labelled lines to train and judge the line model on, read from folders of two formats.

* **Line-labelled articles** (the dev-text format): ``docs/<id>.txt`` (one paragraph per
  line), ``labels/<id>.json`` (one object per line: ``line``, ``text``, ``label``
  ``content``/``boilerplate``, ``kind``, optional ``debatable``) and optionally
  ``manifest.json`` (per document ``doc`` and ``outlet_inferred``: the group that
  cross-validation keeps together).
* **Whole pages with their gold body** (the html-dev format): ``dirty/<id>.txt`` (a page's
  visible text, one block per line) and ``ground-truth.json`` (``{id: {"articleBody": ...}}``).
  A page line is content when it belongs to the gold body: four tokens or more with most of
  their 4-token shingles in the body, or a shorter line equal to a line of the body. Its
  boilerplate has no kind (``None``); each page is its own group.

Lines an extractor took from such a page (``body_kind="html"``) are labelled against its
gold body in the same way (:func:`gold_labelled`; ``benchmarks/bench_html.py`` trains and
cross-validates a line model on them).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.record_types import BodyKind, Line

_TOKEN = re.compile(r"\w+")
#: A page line of four tokens or more is content when this share of its shingles is gold.
SHINGLE_SHARE = 0.5


class LabelledError(ValueError):
    """A labelled folder is missing or malformed; the message names the file."""


@dataclass(slots=True)
class LabelledDoc:
    """One labelled document: its lines, one label per line, and its group."""

    name: str
    lines: list[Line]
    boilerplate: list[bool]
    kinds: list[str | None]
    debatable: list[bool]
    group: str
    whole_page: bool
    #: ``"html"``: lines the pipeline's extractor took from a page; ``"text"``: a scrape
    body_kind: BodyKind = "text"
    #: the headline the stripper is given (an extractor's; ``None`` for a scrape)
    title: str | None = None

    @property
    def gold_body(self) -> bool:
        """Whether the labels come from a gold body (which leaves the headline out)."""
        return self.whole_page or self.body_kind == "html"


def read_labelled(folder: str | Path) -> list[LabelledDoc]:
    """Every labelled document in ``folder`` (either format, see the module docstring)."""
    path = Path(folder)
    if (path / "labels").is_dir() and (path / "docs").is_dir():
        return _read_line_labelled(path)
    if (path / "dirty").is_dir() and (path / "ground-truth.json").is_file():
        return _read_pages(path)
    raise LabelledError(
        f"{path}: not a labelled folder (needs docs/ and labels/, or dirty/ and ground-truth.json)"
    )


def _load_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LabelledError(f"{path}: cannot read labels: {exc}") from exc


def _read_line_labelled(folder: Path) -> list[LabelledDoc]:
    outlets: dict[str, str] = {}
    if (folder / "manifest.json").is_file():
        manifest = _load_json(folder / "manifest.json")
        outlets = {str(m["doc"]): str(m.get("outlet_inferred") or "") for m in manifest}
    docs = []
    for doc_path in sorted((folder / "docs").glob("*.txt")):
        name = doc_path.stem
        label_path = folder / "labels" / f"{name}.json"
        if not label_path.is_file():
            raise LabelledError(f"{label_path}: labels missing for {doc_path.name}")
        labels = {int(item["line"]): item for item in _load_json(label_path)}
        texts = doc_path.read_text(encoding="utf-8").split("\n")
        doc = LabelledDoc(name, [], [], [], [], "", whole_page=False)
        for number, text in enumerate(texts):
            if not text.strip():
                continue
            label = labels.get(number)
            if label is None:
                raise LabelledError(f"{label_path}: no label for line {number}")
            doc.lines.append(Line(number, text))
            doc.boilerplate.append(label["label"] == "boilerplate")
            doc.kinds.append(label.get("kind"))
            doc.debatable.append(bool(label.get("debatable")))
        outlet = outlets.get(name, "").strip().lower()
        doc.group = f"{folder.name}:{name}" if not outlet else f"outlet:{outlet}"
        docs.append(doc)
    if not docs:
        raise LabelledError(f"{folder / 'docs'}: no documents")
    return docs


def _read_pages(folder: Path) -> list[LabelledDoc]:
    gold = _load_json(folder / "ground-truth.json")
    docs = []
    for page_path in sorted((folder / "dirty").glob("*.txt")):
        entry = gold.get(page_path.stem)
        if entry is None:
            continue
        texts = page_path.read_text(encoding="utf-8").split("\n")
        lines = [Line(n, t) for n, t in enumerate(texts) if t.strip()]
        body = entry.get("articleBody") or ""
        docs.append(gold_labelled(folder.name, page_path.stem, lines, body))
    if not docs:
        raise LabelledError(f"{folder / 'dirty'}: no page with a gold body")
    return docs


def gold_labelled(
    folder: str,
    name: str,
    lines: list[Line],
    body: str,
    body_kind: BodyKind = "text",
    title: str | None = None,
) -> LabelledDoc:
    """Page ``name`` of set ``folder`` labelled against its gold ``body``: its whole text
    (``body_kind="text"``) or the lines an extractor took from it (``"html"``, with the
    headline the extractor found), each line as :func:`gold_lines` says."""
    content = gold_lines(body, [line.text for line in lines])
    return LabelledDoc(
        name,
        list(lines),
        [not c for c in content],
        [None] * len(lines),
        [False] * len(lines),
        f"page:{folder}:{name}",
        whole_page=body_kind == "text",
        body_kind=body_kind,
        title=title,
    )


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def shingles(words: list[str], size: int = 4) -> list[tuple[str, ...]]:
    """The ``size``-token shingles of ``words`` (the whole text when it is shorter)."""
    if len(words) < size:
        return [tuple(words)] if words else []
    return [tuple(words[i : i + size]) for i in range(len(words) - size + 1)]


def gold_lines(body: str, lines: list[str]) -> list[bool]:
    """Which page ``lines`` belong to the gold ``body`` (see the module docstring)."""
    gold = Counter(shingles(tokens(body)))
    gold_rows = {" ".join(tokens(row)) for row in body.split("\n") if row.strip()}
    content = []
    for text in lines:
        words = tokens(text)
        if len(words) >= 4:
            grams = shingles(words)
            found = sum(1 for g in grams if gold[g] > 0)
            content.append(found >= SHINGLE_SHARE * len(grams))
        else:
            content.append(bool(words) and " ".join(words) in gold_rows)
    return content
