"""``explain --html``: one self-contained page with every removal in place, for a source file
and for a sample of a CLEAN_DIR; the run report links the page of its run; a real browser
renders it."""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.ingest import ingest
from flows.report import REPORT_KEY
from pipeline.cli import main
from pipeline.explain_html import ArticleView, Kept, Mark, render_page, shown_lines

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = '<script>alert("x")</script><img src="https://example.com/t.png">'


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of a page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_loads_nothing(page: str) -> Elements:
    """No element that fetches anything, and a policy that forbids requests besides."""
    elements = Elements(page)
    names = {tag for tag, _ in elements.tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed", "video", "audio"}
    for _, attrs in elements.tags:
        assert "src" not in attrs and "srcset" not in attrs
        assert (attrs.get("href") or "#").startswith("#")
    assert "url(" not in page and "@import" not in page
    policies = [a["content"] for t, a in elements.tags if a.get("http-equiv")]
    assert policies and "default-src 'none'" in policies[0]
    return elements


def test_every_input_string_is_escaped_and_the_page_loads_nothing() -> None:
    lines = shown_lines(
        [Kept(0, f"kept {HOSTILE}"), Kept(2, "second paragraph")],
        [
            (1, Mark("related_link", f'rule"{HOSTILE}', f"removed {HOSTILE}")),
            (2, Mark(f"odd kind {HOSTILE}", "model.other", "fragment", probability=0.875)),
        ],
    )
    view = ArticleView(
        article_id=f'id"{HOSTILE}',
        heading=f"title {HOSTILE}",
        fields=[("author", f"Jo {HOSTILE}"), ("url", "https://example.com/a")],
        credits=[f"credit {HOSTILE}"],
        lines=lines,
    )
    page = render_page([view], title=f"page {HOSTILE}")
    elements = assert_loads_nothing(page)
    text = "".join(elements.text)
    for shown in ("kept ", "removed ", "title ", "Jo ", "credit "):
        assert shown + HOSTILE in text  # shown as text, not markup
    hovers = [a.get("title") for _, a in elements.tags if a.get("title")]
    assert f'related_link: rule"{HOSTILE}' in hovers
    assert f"odd kind {HOSTILE}: model.other, p=0.88" in hovers
    assert [ln.source_line for ln in lines] == [0, 1, 2]
    assert lines[2].fragments and lines[1].removed is not None


def test_a_source_file_becomes_a_page_of_its_removals(tmp_path: Path) -> None:
    out = tmp_path / "explained.html"
    source = ROOT / "raw" / "000_1da99dccc0043c74.txt"
    assert main(["explain", str(source), "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    elements = assert_loads_nothing(page)
    removed = [a for t, a in elements.tags if t == "p" and "removed" in (a.get("class") or "")]
    kinds = [a["class"].split()[1] for a in removed]
    assert kinds.count("k-paywall_appeal") == 4 and "k-comment_prompt" in kinds
    assert all((a.get("title") or "").count(":") == 1 for a in removed)  # "kind: rule"
    assert "The Independent" in page  # the sidecar's outlet, at the top


def test_a_clean_dir_is_explained_only_as_a_page(tmp_path: Path, capsys) -> None:
    assert main(["explain", str(tmp_path), "--html", str(tmp_path / "x.html")]) == 2
    assert "holds no articles" in " ".join(capsys.readouterr().err.split())
    assert main(["explain", str(tmp_path)]) == 2
    assert main(["explain", str(tmp_path), "--sample", "0", "--html", "x.html"]) == 2


@pytest.fixture(scope="module")
def run_with_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """raw/ ingested by the flow with its explained page asked for."""
    base = tmp_path_factory.mktemp("explained-run")
    clean, page = base / "clean", base / "run.html"
    state = ingest(
        raw_dir=str(ROOT / "raw"),
        clean_dir=str(clean),
        workers=1,
        explain_html=str(page),
        explain_sample=50,
        return_state=True,
    )
    return clean, page, str(state.state_details.flow_run_id)


def test_the_run_report_links_the_page_of_its_articles(run_with_page) -> None:
    _, page, run_id = run_with_page
    elements = assert_loads_nothing(page.read_text(encoding="utf-8"))
    articles = [a for t, a in elements.tags if t == "article"]
    assert len(articles) >= 10  # every article of the run: 50 asked, fewer stored
    links = [a["href"] for t, a in elements.tags if t == "a" and "duplink" in a.get("class", "")]
    anchors = {a.get("id") for _, a in elements.tags}
    assert links and all(link[1:] in anchors for link in links)  # canonicals on the page
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    [report] = [a for a in found if a.key == REPORT_KEY]
    assert page.resolve().as_uri() in report.data


def test_a_sample_of_a_clean_dir_renders_in_a_browser(run_with_page, tmp_path: Path) -> None:
    clean, _, _ = run_with_page
    out = tmp_path / "sample.html"
    assert main(["explain", str(clean), "--sample", "3", "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert len([t for t, _ in Elements(page).tags if t == "article"]) == 3
    again = tmp_path / "again.html"
    assert main(["explain", str(clean), "--sample", "3", "--html", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == page  # the same sample every time
    if not CHROMIUM.is_file():
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium) to screenshot the page")
    assert_renders(out, tmp_path)


def assert_renders(page: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "page.png"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        f"--screenshot={shot}",
        "--window-size=1200,900",
        page.resolve().as_uri(),
    ]
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    with Image.open(shot) as image:
        assert image.size == (1200, 900)
        pixels = image.convert("RGB").resize((300, 225))
        colours = pixels.getcolors(maxcolors=300 * 225)
    assert colours is not None and len(colours) > 50  # text, tints of several kinds
    white = sum(count for count, rgb in colours if rgb == (255, 255, 255))
    assert white < 0.95 * 300 * 225, "the page rendered (almost) blank"
