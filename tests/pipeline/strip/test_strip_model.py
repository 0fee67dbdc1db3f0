"""The line model: deterministic training, the train command, model versions in the output,
model removals with their probability, and a user's model through ``--model``."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.record_types import Line
from pipeline.strip import Stripper
from pipeline.strip.labelled import LabelledDoc, LabelledError, gold_labelled, read_labelled
from pipeline.strip.linemodel import SHIPPED_MODEL, LineModel, ModelError, version_of
from pipeline.strip.training import train

FURNITURE = {
    "social_widget": ["Share on Facebook", "Tweet this story", "Share via email"],
    "subscription_prompt": ["Get our daily newsletter", "Sign up for breaking alerts"],
    "related_link": ["More from our newsroom today", "Most read stories this week"],
}
_PROPERTY_LINES = [
    "Advertisement",
    "Share on Facebook",
    "Photo: Jane Doe/Reuters",
    "The council said on Tuesday that the bridge would reopen next spring.",
    "Home",
    "News",
    "",
]
WORDS = [
    "council",
    "river",
    "school",
    "budget",
    "minister",
    "harbour",
    "festival",
    "museum",
    "bridge",
    "hospital",
    "farmers",
    "storm",
    "election",
    "teachers",
    "library",
    "station",
    "police",
    "orchestra",
    "vaccine",
    "market",
]


def _sentence(rng: random.Random) -> str:
    picked = rng.sample(WORDS, 6)
    return (
        f"The {picked[0]} and the {picked[1]} said on Tuesday that the {picked[2]} would "
        f"reopen after the {picked[3]} near the {picked[4]} and the {picked[5]} was repaired."
    )


def labelled_folder(folder: Path, docs: int = 12, seed: int = 1) -> Path:
    """A tiny folder in the dev-text format: prose lines and furniture lines by kind."""
    rng = random.Random(seed)
    (folder / "docs").mkdir(parents=True)
    (folder / "labels").mkdir()
    manifest = []
    for n in range(docs):
        rows: list[tuple[str, str | None]] = [(_sentence(rng), None) for _ in range(5)]
        for kind, lines in FURNITURE.items():
            rows.insert(rng.randrange(len(rows) + 1), (rng.choice(lines), kind))
        name = f"{n:02d}"
        (folder / "docs" / f"{name}.txt").write_text("\n".join(t for t, _ in rows) + "\n")
        labels = [
            {"line": i, "text": t, "label": "boilerplate" if k else "content", "kind": k}
            for i, (t, k) in enumerate(rows)
        ]
        (folder / "labels" / f"{name}.json").write_text(json.dumps(labels))
        manifest.append({"doc": name, "outlet_inferred": f"outlet {n % 4}"})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def user_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("model")
    folder = labelled_folder(base / "labelled")
    out = base / "user-model.json.gz"
    assert main(["train", str(folder), "--out", str(out)]) == 0
    return out


def test_training_is_deterministic(tmp_path: Path):
    docs = read_labelled(labelled_folder(tmp_path / "labelled"))
    first, second = train(docs), train(list(reversed(docs)))
    assert first == second


def test_train_command_writes_a_model_that_loads(user_model: Path):
    model = LineModel.load(user_model)
    assert model.version == version_of(user_model.read_bytes())
    assert "social_widget" in model.kinds


def test_train_command_rejects_a_folder_without_labels(tmp_path: Path, capsys):
    (tmp_path / "docs").mkdir()
    assert main(["train", str(tmp_path), "--out", str(tmp_path / "m.gz")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "not a labelled folder" in err


def test_read_labelled_names_a_missing_label_file(tmp_path: Path):
    folder = labelled_folder(tmp_path / "labelled", docs=2)
    (folder / "labels" / "01.json").unlink()
    with pytest.raises(LabelledError, match=r"01\.json: labels missing"):
        read_labelled(folder)


def test_extracted_html_is_labelled_as_whole_pages_are(tmp_path: Path):
    rng = random.Random(5)
    story = [_sentence(rng) for _ in range(3)]
    texts = ["Bridge to reopen", story[0], "Share on Facebook", *story[1:], "Home"]
    (tmp_path / "dirty").mkdir()
    (tmp_path / "dirty" / "a1.txt").write_text("\n".join(texts))
    (tmp_path / "ground-truth.json").write_text(
        json.dumps({"a1": {"articleBody": "\n".join(story)}})
    )
    (page,) = read_labelled(tmp_path)
    extracted = gold_labelled(tmp_path.name, "a1", page.lines, "\n".join(story), "html", "Bridge")
    assert (page.whole_page, page.body_kind) == (True, "text")
    assert (extracted.whole_page, extracted.body_kind, extracted.title) == (False, "html", "Bridge")
    assert extracted.boilerplate == page.boilerplate == [True, False, True, False, False, True]
    assert extracted.group == page.group and extracted.gold_body


def _extracted_docs(count: int) -> list[LabelledDoc]:
    rng = random.Random(7)
    docs = []
    for n in range(count):
        story = [_sentence(rng) for _ in range(4)]
        texts = [*story[:2], rng.choice(FURNITURE["social_widget"]), *story[2:]]
        lines = [Line(i, t) for i, t in enumerate(texts)]
        docs.append(gold_labelled("pages", f"{n:02d}", lines, "\n".join(story), "html"))
    return docs


def test_a_model_trained_on_extracted_html_decides_it(tmp_path: Path):
    articles = read_labelled(labelled_folder(tmp_path / "labelled"))
    with_html = LineModel.from_bytes(train(articles + _extracted_docs(12)))
    text_only = LineModel.from_bytes(train(articles))
    assert with_html.body_kinds == {"text", "html"} and text_only.body_kinds == {"text"}
    rng = random.Random(11)
    lines = [Line(0, _sentence(rng)), Line(1, "Share on Facebook"), Line(2, _sentence(rng))]
    html = Stripper(model=with_html).strip(lines, body_kind="html")
    assert html.model == with_html.version
    assert [r.source_line for r in html.removed] == [1]
    assert Stripper(model=text_only).strip(lines, body_kind="html").model is None
    with pytest.raises(ModelError, match="not trained on extracted HTML"):
        text_only.expert_for([], "html")


def test_the_shipped_model_loads_and_decides():
    assert SHIPPED_MODEL.is_file()
    lines = [
        Line(0, "The council said on Tuesday that the bridge would reopen next spring."),
        Line(1, "Advertisement"),
        Line(2, "Engineers found that the old supports had corroded and had to be replaced."),
    ]
    stripped = Stripper().strip(lines)
    assert stripped.model == version_of(SHIPPED_MODEL.read_bytes())
    assert [r.source_line for r in stripped.removed] == [1]
    assert 0.5 <= stripped.removed[0].probability <= 1.0


def test_model_removals_name_the_model_and_carry_a_probability(user_model: Path):
    model = LineModel.load(user_model)
    rng = random.Random(99)
    lines = [Line(i, _sentence(rng)) for i in range(4)]
    lines.insert(2, Line(9, "Share on Facebook"))
    stripped = Stripper(model=model).strip(lines)
    removal = next(r for r in stripped.removed if r.source_line == 9)
    assert removal.rule == f"model.{removal.kind}"
    assert removal.probability >= model.threshold
    assert stripped.model == model.version


def test_rules_alone_record_no_model():
    stripped = Stripper(model=None).strip([Line(0, "Story text."), Line(1, "Advertisement")])
    assert stripped.model is None
    assert stripped.removed[0].probability is None


def test_a_bad_model_file_is_one_clear_error(tmp_path: Path):
    bad = tmp_path / "model.json.gz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"model\.json\.gz: not a line model file"):
        LineModel.load(bad)


def test_ingest_with_a_user_model_records_its_version(user_model: Path, tmp_path: Path):
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    rng = random.Random(7)
    body = [_sentence(rng) for _ in range(4)]
    (raw / "story.txt").write_text("\n".join([*body[:2], "Tweet this story", *body[2:]]) + "\n")
    assert main(["ingest", str(raw), str(clean), "--workers", "1", "--model", str(user_model)]) == 0
    version = version_of(user_model.read_bytes())
    dataset = ds.dataset(clean / "articles", format="parquet", partitioning="hive")
    rows = dataset.to_table().to_pylist()
    assert [row["strip_model"] for row in rows] == [version]
    removal = next(r for r in rows[0]["removed"] if r["text"] == "Tweet this story")
    assert removal["rule"].startswith("model.") and removal["probability"] >= 0.5
    for part in dataset.files:
        assert pq.read_metadata(part).metadata[b"strip_model"] == version.encode()


def test_ingest_rejects_a_missing_model_in_one_line(tmp_path: Path, capsys):
    (tmp_path / "raw").mkdir()
    missing = tmp_path / "none.json.gz"
    assert (
        main(["ingest", str(tmp_path / "raw"), str(tmp_path / "c"), "--model", str(missing)]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert "--model" in err and "none.json.gz" in err and "cannot read line model" in err


def test_explain_shows_probability_and_weights(user_model: Path, tmp_path: Path, capsys):
    rng = random.Random(3)
    path = tmp_path / "story.txt"
    body = [_sentence(rng) for _ in range(4)]
    path.write_text("\n".join([*body[:2], "Share via email", *body[2:]]) + "\n")
    assert main(["explain", str(path), "--model", str(user_model), "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "p=" in out and "weighed most:" in out
    assert f"strip_model={version_of(user_model.read_bytes())}" in out


@given(st.lists(st.sampled_from(_PROPERTY_LINES) | st.text(max_size=80), max_size=25))
@settings(max_examples=60, deadline=None)
def test_with_the_model_every_non_blank_line_is_kept_or_removed_once_in_order(texts):
    lines = [Line(i, t) for i, t in enumerate(texts)]
    stripped = Stripper().strip(lines)
    decided = sorted(
        [line.source_line for line in stripped.kept]
        + [r.source_line for r in stripped.removed if r.source_line not in _kept(stripped)]
    )
    assert decided == [line.source_line for line in lines if line.text.strip()]
    assert [line.source_line for line in stripped.kept] == sorted(_kept(stripped))


def _kept(stripped) -> set[int | None]:
    return {line.source_line for line in stripped.kept}


def test_the_shipped_model_is_what_the_train_command_makes_from_shared(tmp_path: Path):
    from conftest import SHARED

    sets = ["dev-text", "text-train", "html-dev", "html-train"]
    if not all((SHARED / name).is_dir() for name in sets):
        pytest.skip("the shared labelled sets are not available")
    out = tmp_path / "model.json.gz"
    assert main(["train", *(str(SHARED / name) for name in sets), "--out", str(out)]) == 0
    assert out.read_bytes() == SHIPPED_MODEL.read_bytes()


def test_a_stripper_with_a_model_from_bytes_pickles(user_model: Path):
    import pickle

    stripper = Stripper(model=LineModel.from_bytes(user_model.read_bytes()))
    lines = [
        Line(0, "The council met on Tuesday to agree the budget."),
        Line(1, "Tweet this story"),
    ]
    clone = pickle.loads(pickle.dumps(stripper))
    assert clone.strip(lines) == stripper.strip(lines)
