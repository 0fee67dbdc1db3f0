"""A synthetic news corpus in the style of raw/, generated with a fixed seed.

Prose comes from word-bigram chains trained on the shared development articles and the
stripper's test articles (English, German and Spanish), so it reads like news to a language
detector without repeating any source sentence. Boilerplate comes from the labelled
boilerplate lines of the same sources, grouped by kind: each outlet owns a fixed set of them
(so they repeat across its articles, as real templates do) and every kind occurs. Stories are
told by a wire service and copied, trimmed and edited by several outlets, beside outlets'
own reporting on the same story.

    corpus = generate(1000)            # deterministic for a given (size, seed)
    corpus.write_text(Path("raw"))     # NNNNNN_<hash>.txt + NAME.meta.json sidecars
    corpus.write_html(Path("raw"), 200)  # the same text in varied page templates

From the shell: ``python -m benchmarks.corpus OUT_DIR --articles 1000 --html 200``.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

from pipeline.record_types import REMOVAL_KINDS

SEED = 20261122
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # the shared sets, beside the checkout
TEST_ARTICLES = ROOT / "tests/data/strip"
LANGUAGE_SHARE = {"en": 0.90, "de": 0.06, "es": 0.04}
WIRE_SHARE = 0.45
_SPAN = re.compile(r"⟦[a-z_]+:(.*?)⟧")
_SYLLABLES = ("ka", "lo", "mer", "an", "ti", "so", "ver", "da", "ne", "ri", "pa", "sul", "tor")


@dataclass(frozen=True)
class Sources:
    """Labelled lines of the shared and test articles: content prose and boilerplate by kind."""

    content: dict[str, list[str]]
    boilerplate: dict[str, dict[str, list[str]]]


@cache
def load_sources() -> Sources:
    content: dict[str, list[str]] = defaultdict(list)
    boilerplate: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for labels in sorted((SHARED / "dev-text/labels").glob("*.json")):
        for row in json.loads(labels.read_text(encoding="utf-8")):
            if row["label"] == "content":
                content["en"].append(row["text"])
            else:
                boilerplate["en"][row["kind"] or "other"].append(row["text"])
    for path in sorted(TEST_ARTICLES.glob("*.txt")):
        language = "en"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# language:"):
                language = line.split(":", 1)[1].strip()
            elif line.startswith(("+ ", "? ")):
                content[language].append(_SPAN.sub(r"\1", line[2:]))
            elif line.startswith("- "):
                kind, _, text = line[2:].partition(" ")
                boilerplate[language][kind].append(text)
    return Sources(dict(content), {k: dict(v) for k, v in boilerplate.items()})


class Chain:
    """A word-bigram chain: sentences that read like the training prose but are new."""

    def __init__(self, lines: list[str]) -> None:
        self.next: dict[str, list[str]] = defaultdict(list)
        self.starts: list[str] = []
        for line in lines:
            words = line.split()
            if len(words) < 4:
                continue
            self.starts.append(words[0])
            for a, b in pairwise(words):
                self.next[a].append(b)
            self.next[words[-1]].append("")

    def sentence(self, rng: random.Random, max_words: int = 28) -> str:
        word = rng.choice(self.starts)
        out = [word]
        while len(out) < max_words:
            word = rng.choice(self.next.get(word) or [""])
            if not word:
                break
            out.append(word)
        text = " ".join(out)
        return text if text[-1] in '.!?"”“»' else text + "."


@dataclass
class Outlet:
    domain: str
    language: str
    top: list[str]  # before the story: navigation, dateline, cookie notice...
    inline: list[str]  # between paragraphs: ad markers, captions, related links
    bottom: list[str]  # after the story: prompts, social, legal, related headlines
    byline: str


@dataclass
class Story:
    language: str
    headline: str
    wire: list[str]


@dataclass
class Article:
    outlet: Outlet
    story: Story
    headline: str
    paragraphs: list[str]  # the article's own text, in order
    lines: list[str]  # the whole file, boilerplate included
    published: str
    slug: str

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


@dataclass
class Corpus:
    seed: int
    articles: list[Article] = field(default_factory=list)

    def write_text(self, root: Path) -> list[Path]:
        """raw/-style files: ``NNNNNN_<hash>.txt`` and a ``.meta.json`` sidecar each."""
        root.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, article in enumerate(self.articles):
            data = article.text.encode("utf-8")
            stem = f"{i:06d}_{hashlib.sha1(data).hexdigest()[:16]}"
            (root / f"{stem}.txt").write_bytes(data)
            (root / f"{stem}.meta.json").write_text(json.dumps(_meta(article)))
            paths.append(root / f"{stem}.txt")
        return paths

    def write_html(self, root: Path, count: int) -> list[Path]:
        """The first ``count`` articles as HTML pages, each in one of several templates."""
        root.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, article in enumerate(self.articles[:count]):
            path = root / f"{i:06d}.html"
            path.write_text(render_html(article, TEMPLATES[i % len(TEMPLATES)]), "utf-8")
            paths.append(path)
        return paths


def _meta(article: Article) -> dict[str, str]:
    return {
        "url": f"https://www.{article.outlet.domain}/news/{article.slug}",
        "outlet": article.outlet.domain,
        "published": article.published,
    }


# -- generation -----------------------------------------------------------------------------


def generate(n: int, seed: int = SEED) -> Corpus:
    """``n`` articles; the same ``(n, seed)`` always gives the same corpus, and a smaller
    corpus is not a prefix of a larger one (outlet and story counts grow with ``n``)."""
    rng = random.Random(seed * 1_000_003 + n)
    sources = load_sources()
    chains = {lang: Chain(lines) for lang, lines in sources.content.items()}
    languages = ["de", "es"] + [_pick_language(rng) for _ in range(max(10, min(400, n // 40)))]
    outlets = [_outlet(rng, sources, language) for language in languages]
    stories: dict[str, list[Story]] = defaultdict(list)
    corpus = Corpus(seed)
    for i in range(n):
        outlet = rng.choice(outlets)
        pool = stories[outlet.language]
        if not pool or rng.random() < 0.3:
            pool.append(_story(rng, chains[outlet.language], outlet.language))
        story = rng.choice(pool[-50:])
        corpus.articles.append(_article(rng, chains[outlet.language], outlet, story, i))
    return corpus


def _pick_language(rng: random.Random) -> str:
    return rng.choices(list(LANGUAGE_SHARE), weights=list(LANGUAGE_SHARE.values()))[0]


def _outlet(rng: random.Random, sources: Sources, language: str) -> Outlet:
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
    suffix = {"en": rng.choice([".com", ".co.uk", ".org"]), "de": ".de", "es": ".es"}[language]
    kinds = {**sources.boilerplate["en"], **sources.boilerplate.get(language, {})}

    def some(*wanted: str) -> list[str]:
        return [
            rng.choice(kinds[kind])
            for kind in wanted
            if kind in kinds and rng.random() < 0.7
            for _ in range(rng.randint(1, 2))
        ]

    return Outlet(
        domain=name + suffix,
        language=language,
        top=some("navigation", "cookie_notice", "dateline_header", "paywall_appeal"),
        inline=some("ad_marker", "photo_caption", "related_link") or ["Advertisement"],
        bottom=some(
            "subscription_prompt",
            "social_widget",
            "comment_prompt",
            "syndication_credit",
            "legal_notice",
            "related_link",
            "other",
        ),
        byline=rng.choice(kinds["byline_or_publish_meta"]),
    )


def _story(rng: random.Random, chain: Chain, language: str) -> Story:
    return Story(
        language=language,
        headline=chain.sentence(rng, max_words=12).rstrip("."),
        wire=[_paragraph(rng, chain) for _ in range(rng.randint(6, 12))],
    )


def _paragraph(rng: random.Random, chain: Chain) -> str:
    return " ".join(chain.sentence(rng) for _ in range(rng.choice((1, 2, 2, 3))))


def _article(rng: random.Random, chain: Chain, outlet: Outlet, story: Story, i: int) -> Article:
    if rng.random() < WIRE_SHARE:
        body = [_copy_edit(rng, p) for p in story.wire if rng.random() < 0.8]
        body += [_paragraph(rng, chain) for _ in range(rng.randint(0, 3))]
        headline = story.headline
    else:
        body = [_paragraph(rng, chain) for _ in range(rng.randint(4, 12))]
        headline = chain.sentence(rng, max_words=12).rstrip(".")
    body = body or [_paragraph(rng, chain)]
    lines = [headline]
    lines += [line for line in outlet.top if rng.random() < 0.8]
    lines.append(outlet.byline)
    for k, paragraph in enumerate(body):
        lines.append(paragraph)
        if k in (1, 4) and rng.random() < 0.6:
            lines.append(rng.choice(outlet.inline))
    if rng.random() < 0.2:
        lines.append(headline)  # the headline repeated at the foot of the page
    lines += [line for line in outlet.bottom if rng.random() < 0.85]
    if rng.random() < 0.3:
        teaser = _paragraph(rng, chain)
        lines.append(teaser[: int(len(teaser) * 0.6)].rstrip() + "…")
    day = rng.randrange(1, 29)
    return Article(
        outlet=outlet,
        story=story,
        headline=headline,
        paragraphs=body,
        lines=lines,
        published=f"2026-{rng.randrange(1, 11):02d}-{day:02d}",
        slug=f"{i}-{_slug(headline)}",
    )


def _slug(headline: str, words: int = 5) -> str:
    """The first ``words`` words of ``headline`` as a URL path segment: ASCII letters and
    digits only (accents dropped, quotes and punctuation gone)."""
    ascii_text = unicodedata.normalize("NFKD", headline).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower())[:words])


def _copy_edit(rng: random.Random, paragraph: str) -> str:
    """An outlet's copy of a wire paragraph: verbatim, a word changed, or cut short."""
    r = rng.random()
    if r < 0.7:
        return paragraph
    words = paragraph.split()
    if r < 0.9:
        words[rng.randrange(len(words))] = rng.choice(words)
        return " ".join(words)
    return " ".join(words[: max(4, int(len(words) * 0.8))])


# -- HTML -----------------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _ps(lines: list[str], tag: str = "p") -> str:
    return "\n".join(f"<{tag}>{_e(line)}</{tag}>" for line in lines)


def _semantic(a: Article) -> str:
    o = a.outlet
    return f"""<header><nav><ul>{_ps(o.top, "li")}</ul></nav></header>
<main><article><h1>{_e(a.headline)}</h1><p class="byline">{_e(o.byline)}</p>
<time datetime="{a.published}">{a.published}</time>
{_ps(a.paragraphs[:2])}
<figure><img src="/img/{a.slug}.jpg"><figcaption>{_e(o.inline[0])}</figcaption></figure>
{_ps(a.paragraphs[2:])}
</article><aside><h2>Related</h2><ul>{_ps(o.bottom[:3], "li")}</ul></aside></main>
<footer>{_ps(o.bottom[3:])}</footer>"""


def _div_soup(a: Article) -> str:
    o = a.outlet
    menu = "".join(f'<a href="/s/{i}">{_e(t)}</a>' for i, t in enumerate(o.top))
    body = "".join(f'<div class="para">{_e(p)}</div>' for p in a.paragraphs)
    return f"""<div id="top" class="menu">{menu}</div>
<div class="content-wrapper"><div class="headline"><h1>{_e(a.headline)}</h1></div>
<div class="author">{_e(o.byline)}</div><div class="story-body">{body}</div>
<div class="share">{_ps(o.bottom, "span")}</div></div>
<div class="sidebar">{_ps(o.inline, "div")}</div>"""


def _table_layout(a: Article) -> str:
    o = a.outlet
    return f"""<table><tr><td class="nav">{"<br>".join(_e(t) for t in o.top)}</td>
<td><h1>{_e(a.headline)}</h1><b>{_e(o.byline)}</b>{_ps(a.paragraphs)}</td>
<td class="right">{_ps(o.inline)}</td></tr>
<tr><td colspan="3">{_ps(o.bottom)}</td></tr></table>"""


TEMPLATES = (_semantic, _div_soup, _table_layout)


def render_html(article: Article, template=_semantic) -> str:
    meta = _meta(article)
    return f"""<!DOCTYPE html>
<html lang="{article.outlet.language}"><head><meta charset="utf-8">
<title>{_e(article.headline)} | {article.outlet.domain}</title>
<meta property="og:site_name" content="{article.outlet.domain}">
<meta property="og:url" content="{meta["url"]}">
<meta property="article:published_time" content="{article.published}">
<script>var dataLayer = [{{"page": "article"}}];</script>
</head><body>
{template(article)}
</body></html>
"""


def kinds_covered(corpus: Corpus) -> set[str]:
    """Which removal kinds the corpus's boilerplate lines come from (for the docs and tests)."""
    sources = load_sources()
    by_text = {
        text: kind
        for kinds in sources.boilerplate.values()
        for kind, texts in kinds.items()
        for text in texts
    }
    found = {by_text[line] for a in corpus.articles for line in a.lines if line in by_text}
    return found & set(REMOVAL_KINDS)


# -- on disk --------------------------------------------------------------------------------


def text_dir(workdir: Path, size: int) -> Path:
    return workdir / f"corpus-{size}" / "text"


def html_dir(workdir: Path, size: int) -> Path:
    return workdir / f"corpus-{size}" / "html"


def ensure_on_disk(workdir: Path, size: int, html_pages: int = 0) -> None:
    """Write the corpus of ``size`` articles (and ``html_pages`` of them as HTML) once."""
    generator = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    done = workdir / f"corpus-{size}" / f"done-{SEED}-{html_pages}-{generator}"
    if done.exists():
        return
    corpus = generate(size)
    corpus.write_text(text_dir(workdir, size))
    if html_pages:
        corpus.write_html(html_dir(workdir, size), html_pages)
    done.touch()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.corpus",
        description="Write the synthetic benchmark corpus: OUT_DIR/text (raw/-style text "
        "files with .meta.json sidecars) and, with --html, OUT_DIR/html.",
    )
    parser.add_argument("out", metavar="OUT_DIR", type=Path)
    parser.add_argument("--articles", type=int, default=1000, help="articles (default 1000)")
    parser.add_argument("--html", type=int, default=0, metavar="N", help="also N as HTML pages")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    corpus = generate(args.articles, args.seed)
    texts = corpus.write_text(args.out / "text")
    pages = corpus.write_html(args.out / "html", args.html) if args.html else []
    print(f"{len(texts)} text files in {args.out / 'text'}, {len(pages)} HTML pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
