"""Benchmark of pipeline.dedup on synthetic news prose with injected near-duplicates.

Generates (fixed seed) stories told by several outlets: a wire article and outlet copies whose
paragraphs are verbatim, accent/quote variants, 1-3 word edits, cut-off teasers (70-90%),
two wire paragraphs merged into one (containment) or sentence-reordered, plus each outlet's
own paragraphs on the same story (hard negatives: same names and topic words, different
sentences). Prints precision, recall per kind, paragraphs/s and peak memory per size, with
datasketch's MinHashLSH on the same data as the reference, and (ours-2runs) the same data
linked in two runs, the second against the first run's index part.

    python benchmarks/bench_dedup.py            # 10k, 50k, 200k (datasketch on 10k, 50k)
    python benchmarks/bench_dedup.py --quick    # 10k only
    python benchmarks/bench_dedup.py --full     # adds 1M

Each (method, size) runs in a fresh subprocess so that peak RSS is its own. Throughput is
paragraphs per CPU-second of the process (the machine is shared; wall time is shown too).
baseMB is the resident memory before linking (libraries and the generated corpus).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.dedup import PARAGRAPH_INPUT, link_paragraphs
from pipeline.normalize import normalize_for_match

SEED = 20240601
_FUNCTION_TEXT = """the of and to a in that said on for was with is by at as he it from his has
have were be after who they an their not but been will had are this which its also when would
more than about over into two new last year people government officials police"""
FUNCTION_WORDS = tuple(_FUNCTION_TEXT.split())
_SYLLABLE_TEXT = "ka lo mer an ti so ver da ne ri pa sul tor ben mi ga hol de re cu fin ost ar le"
SYLLABLES = tuple(_SYLLABLE_TEXT.split())
ACCENTS = str.maketrans("aeiou", "áéíóú")
#: An outlet runs a wire story on the wire's day or up to two days later, never before it (a
#: copy cannot predate its source); on the wire's own day the two tie and ingest order decides.
OUTLET_DELAY_DAYS = 3
KINDS = ("copy", "accent_quote", "edit", "truncate", "contained", "reorder")


@dataclass
class Corpus:
    rows: dict[str, list] = field(default_factory=lambda: {n: [] for n in PARAGRAPH_INPUT.names})
    base: list[frozenset[int]] = field(default_factory=list)
    expected: list[tuple[int, int, str]] = field(default_factory=list)  # (row, row, kind)

    def add(self, article: str, idx: int, text: str, published: str, base: frozenset) -> int:
        for name, value in zip(
            PARAGRAPH_INPUT.names, (article, idx, text, published, 0, None), strict=True
        ):
            self.rows[name].append(value)
        self.base.append(base)
        return len(self.base) - 1

    def table(self, rng: random.Random) -> pa.Table:
        """Articles are ingested in random order; paragraphs in order inside an article."""
        articles = sorted(set(self.rows["article_id"]))
        rng.shuffle(articles)
        rank = {a: i for i, a in enumerate(articles)}
        self.rows["ingest_order"] = [
            rank[a] * 1000 + i
            for a, i in zip(self.rows["article_id"], self.rows["idx"], strict=True)
        ]
        return pa.table(self.rows, schema=PARAGRAPH_INPUT)


class Prose:
    """Zipf-distributed pseudo-words with frequent function words: realistic word and bigram
    statistics without copying any real text."""

    def __init__(self, rng: random.Random, vocab_size: int = 40_000) -> None:
        self.rng = rng
        words = {
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
            for _ in range(vocab_size * 2)
        }
        self.vocab = sorted(words)[:vocab_size]
        rng.shuffle(self.vocab)
        self.cum_weights = list(accumulate(1 / (r + 1) ** 1.05 for r in range(len(self.vocab))))

    def words(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum_weights, k=n)

    def name(self) -> str:
        word = "".join(self.rng.choice(SYLLABLES) for _ in range(3))
        pos = self.rng.randrange(len(word))
        return (word[:pos] + word[pos:].translate(ACCENTS)).capitalize()


@dataclass
class Story:
    names: list[str]
    topic: list[str]


def sentence(prose: Prose, story: Story) -> str:
    rng = prose.rng
    n = rng.randint(9, 26)
    general = iter(prose.words(n))
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.38:
            out.append(rng.choice(FUNCTION_WORDS))
        elif r < 0.52:
            out.append(rng.choice(story.topic))
        elif r < 0.58:
            out.append(rng.choice(story.names))
        else:
            out.append(next(general))
    text = " ".join(out)
    text = text[0].upper() + text[1:]
    if rng.random() < 0.2:
        return f"\u201c{text},\u201d said {rng.choice(story.names)}."
    return text + "."


def paragraph(prose: Prose, story: Story) -> list[str]:
    return [sentence(prose, story) for _ in range(prose.rng.choice((1, 1, 2, 2, 3)))]


def plain(text: str) -> str:
    """The accent- and curly-quote-free spelling some outlets print."""
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    return text.translate(str.maketrans("áéíóú", "aeiou"))


def edit(prose: Prose, text: str) -> str:
    """1-3 words replaced, deleted or inserted; the punctuation around a replaced or deleted
    word stays (an edited copy keeps its sentences' quotes and full stops: only a cut-off
    teaser ends mid-sentence)."""
    rng = prose.rng
    words = text.split()
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(len(words))
        op = rng.random()
        if op < 0.6:
            before, _, after = _around_word(words[pos])
            words[pos] = before + prose.words(1)[0] + after
        elif op < 0.8 and len(words) > 5:
            before, _, after = _around_word(words.pop(pos))
            if pos < len(words):
                words[pos] = before + words[pos]
            words[max(pos - 1, 0)] += after
        else:
            words.insert(pos, prose.words(1)[0])
    return " ".join(words)


def _around_word(token: str) -> tuple[str, str, str]:
    """(leading punctuation, the word, trailing punctuation) of a whitespace token."""
    match = _WORD.fullmatch(token)
    assert match is not None
    return match.group(1), match.group(2), match.group(3)


_WORD = re.compile(r"(\W*)(.*?)(\W*)")


def truncate(rng: random.Random, text: str) -> str:
    cut = text[: int(len(text) * rng.uniform(0.7, 0.9))].rstrip()
    return cut.rstrip(".,;:!?\u201c\u201d\"' ") or cut


def generate(n: int, seed: int = SEED) -> tuple[pa.Table, Corpus]:
    rng = random.Random(seed)
    prose = Prose(rng)
    corpus = Corpus()
    story_id = 0
    while len(corpus.base) < n:
        story = Story([prose.name() for _ in range(4)], prose.words(40))
        base = [paragraph(prose, story) for _ in range(rng.randint(5, 10))]
        day = rng.randrange(1, 28)
        wire_rows = [
            corpus.add(f"s{story_id}-wire", i, " ".join(p), f"2024-03-{day:02d}", frozenset([k]))
            for i, (k, p) in enumerate(enumerate(base))
        ]
        offset = story_id * 100
        corpus.base[-len(base) :] = [frozenset([offset + k]) for k in range(len(base))]
        for outlet in range(rng.randint(1, 5)):
            published = f"2024-03-{day + rng.randrange(OUTLET_DELAY_DAYS):02d}"
            article = f"s{story_id}-o{outlet}"
            add_outlet(prose, corpus, story, base, wire_rows, article, offset, published)
        story_id += 1
    return corpus.table(rng), corpus


def add_outlet(
    prose: Prose,
    corpus: Corpus,
    story: Story,
    base: list[list[str]],
    wire_rows: list[int],
    article: str,
    offset: int,
    published: str,
) -> None:
    rng = prose.rng
    idx = 0
    k = 0
    own = iter(range(50, 99))
    while k < len(base):
        if rng.random() < 0.35:
            k += 1
            continue
        kind = rng.choices(KINDS, (0.3, 0.15, 0.2, 0.1, 0.15, 0.1))[0]
        text = " ".join(base[k])
        if kind == "reorder" and len(base[k]) < 2:
            kind = "edit"
        if kind == "contained" and k + 1 == len(base):
            kind = "copy"
        if kind == "accent_quote":
            text = plain(text)
            if normalize_for_match(text) == normalize_for_match(
                " ".join(base[k])
            ) and text == " ".join(base[k]):
                kind = "copy"
        elif kind == "edit":
            text = edit(prose, text)
        elif kind == "truncate":
            text = truncate(rng, text)
        elif kind == "reorder":
            sentences = base[k][:]
            while sentences == base[k]:
                rng.shuffle(sentences)
            text = " ".join(sentences)
        elif kind == "contained":
            text = f"{text} {' '.join(base[k + 1])}"
        if kind != "copy" and rng.random() < 0.5:
            text = plain(text)
        bases = (
            frozenset([offset + k, offset + k + 1])
            if kind == "contained"
            else frozenset([offset + k])
        )
        row = corpus.add(article, idx, text, published, bases)
        corpus.expected.append((wire_rows[k], row, kind))
        if kind == "contained":
            corpus.expected.append((wire_rows[k + 1], row, kind))
            k += 1
        idx += 1
        k += 1
        if rng.random() < 0.4:
            corpus.add(
                article,
                idx,
                " ".join(paragraph(prose, story)),
                published,
                frozenset([offset + next(own)]),
            )
            idx += 1


# -- evaluation -----------------------------------------------------------------------------
def evaluate(canonical: list[int], corpus: Corpus) -> dict:
    """Precision of links (a link is right when one side's source paragraphs include the
    other's) and recall of injected pairs (same cluster, or one points at the other; a wire
    paragraph merged into several outlets' longer paragraphs can point at only one of them,
    so a contained pair also counts when it points at another paragraph that holds it)."""
    base = corpus.base
    linked = [(r, c) for r, c in enumerate(canonical) if c != r]
    right = sum(1 for r, c in linked if base[r] <= base[c] or base[c] <= base[r])
    recall: dict[str, list[int]] = {k: [0, 0] for k in KINDS}
    for a, b, kind in corpus.expected:
        hit = canonical[a] == canonical[b] or canonical[a] == b or canonical[b] == a
        if kind == "contained":  # merged into several outlets' paragraphs: one link suffices
            hit = hit or (canonical[a] != a and base[a] <= base[canonical[a]])
        recall[kind][0] += hit
        recall[kind][1] += 1
    found = sum(h for h, _ in recall.values())
    total = sum(t for _, t in recall.values())
    return {
        "links": len(linked),
        "precision": right / len(linked) if linked else 1.0,
        "recall": found / total if total else 1.0,
        "recall_by_kind": {k: h / t if t else None for k, (h, t) in recall.items()},
    }


def canonical_rows_ours(table: pa.Table) -> list[int]:
    return _canonical_rows(table, [link_paragraphs(table, []).links])


def canonical_rows_two_runs(table: pa.Table) -> list[int]:
    """The first half of the articles (by ingest order) in one run, the rest in a second run
    against the first run's index part: what an incremental deployment sees."""
    first_run = pc.less(table["ingest_order"], pc.approximate_median(table["ingest_order"]))
    day1, day2 = table.filter(first_run), table.filter(pc.invert(first_run))
    linked1 = link_paragraphs(day1, [])
    with tempfile.TemporaryDirectory() as tmp:
        part = str(Path(tmp) / "part-1.parquet")
        pq.write_table(linked1.index_rows, part)
        linked2 = link_paragraphs(day2, [part])
    return _canonical_rows(table, [linked1.links, linked2.links])


def _canonical_rows(table: pa.Table, links: list[pa.Table]) -> list[int]:
    """Each row's canonical as a row number (itself when unlinked)."""
    ids = list(zip(table["article_id"].to_pylist(), table["idx"].to_pylist(), strict=True))
    row_of = {key: r for r, key in enumerate(ids)}
    target = {
        (x["article_id"], x["idx"]): (x["duplicate_of_article"], x["duplicate_of_idx"])
        for x in pa.concat_tables(links).to_pylist()
    }
    return [row_of.get(target[key], r) for r, key in enumerate(ids)]


def canonical_rows_datasketch(table: pa.Table) -> list[int]:
    """MinHashLSH (threshold 0.5, 96 permutations) on normalised word trigrams, each
    paragraph linked to the cluster of the first earlier paragraph the index returns;
    paragraphs under 8 words link on exact normalised text only."""
    from datasketch import MinHash, MinHashLSH

    texts = table["text"].to_pylist()
    order = sorted(range(len(texts)), key=table["ingest_order"].to_pylist().__getitem__)
    position = {r: i for i, r in enumerate(order)}
    lsh = MinHashLSH(threshold=0.5, num_perm=96)
    parent = list(range(len(texts)))
    exact: dict[str, int] = {}
    for r in order:
        norm = normalize_for_match(texts[r])
        if norm in exact:
            parent[r] = parent[exact[norm]]
            continue
        exact[norm] = r
        words = norm.split()
        if len(words) < 8:
            continue
        m = MinHash(num_perm=96)
        m.update_batch([" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)])
        hits = lsh.query(m)
        if hits:
            parent[r] = parent[min(hits, key=position.__getitem__)]
        lsh.insert(r, m)
    return parent


METHODS = {
    "ours": canonical_rows_ours,
    "ours-2runs": canonical_rows_two_runs,
    "datasketch": canonical_rows_datasketch,
}


# -- driver ---------------------------------------------------------------------------------
def run_one(method: str, n: int) -> dict:
    table, corpus = generate(n)
    base_rss = _current_rss_mb()
    start, cpu_start = time.perf_counter(), time.process_time()
    canonical = METHODS[method](table)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    out = evaluate(canonical, corpus)
    out.update(
        method=method,
        paragraphs=table.num_rows,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        per_cpu_second=table.num_rows / cpu_seconds,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        base_rss_mb=base_rss,
    )
    return out


def _current_rss_mb() -> float:
    """Resident memory now (Linux): the corpus and the imported libraries, before linking."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def subprocess_run(method: str, n: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--one", method, str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def print_table(results: list[dict]) -> None:
    head = (
        f"{'method':<11}{'paras':>9}{'wall s':>8}{'cpu s':>8}{'paras/cpu-s':>12}{'baseMB':>8}"
        f"{'peakMB':>8}{'prec':>8}"
        f"{'recall':>8}  " + " ".join(f"{k[:8]:>8}" for k in KINDS)
    )
    print(head)
    print("-" * len(head))
    for r in results:
        kinds = " ".join(
            f"{v:>8.3f}" if v is not None else f"{'-':>8}" for v in r["recall_by_kind"].values()
        )
        print(
            f"{r['method']:<11}{r['paragraphs']:>9}{r['seconds']:>8.1f}{r['cpu_seconds']:>8.1f}"
            f"{r['per_cpu_second']:>12.0f}"
            f"{r['base_rss_mb']:>8.0f}{r['peak_rss_mb']:>8.0f}"
            f"{r['precision']:>8.4f}{r['recall']:>8.4f}  {kinds}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k paragraphs only")
    parser.add_argument("--full", action="store_true", help="also 1M paragraphs")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    sizes = [10_000] if args.quick else [10_000, 50_000, 200_000]
    if args.full:
        sizes.append(1_000_000)
    results = []
    for n in sizes:
        methods = ["ours", "ours-2runs", "datasketch"] if n <= 50_000 else ["ours"]
        results.extend(subprocess_run(method, n) for method in methods)
        print_table(results[-len(methods) :])
        print()
    print("summary")
    print_table(results)


if __name__ == "__main__":
    main()
