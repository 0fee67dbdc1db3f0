"""The page's text blocks, their tables, and the JSON tree model the block model is."""

from __future__ import annotations

import numpy as np
import pytest
from lxml.html import document_fromstring

from pipeline.extract.article import default_model
from pipeline.extract.block_features import block_matrix, feature_names
from pipeline.extract.blocks import page_blocks
from pipeline.extract.page_context import page_context
from pipeline.extract.tree_model import LEAF, Tree, TreeModel, load_model

PROSE = "The council approved the budget for the new library after a long debate on Tuesday."


def blocks_of(body: str) -> list[tuple[str, str]]:
    return [
        (b.tag, b.text)
        for b in page_blocks(document_fromstring(f"<html><body>{body}</body></html>"))
    ]


def test_blocks_split_at_block_elements_and_breaks_not_at_inline_ones() -> None:
    body = f"<div><p>{PROSE} <a href='/x'>More</a> <b>here</b></p>Tail text<br>After break</div>"
    assert blocks_of(body) == [
        ("p", f"{PROSE} More here"),
        ("div", "Tail text"),
        ("div", "After break"),
    ]


def test_link_words_and_landmarks_are_recorded() -> None:
    tree = document_fromstring(
        "<html><body><nav class='site-menu'><ul><li><a href='/'>Home page</a></li></ul></nav>"
        f"<article id='main-content'><p>{PROSE}</p></article></body></html>"
    )
    menu, prose = page_blocks(tree)
    assert (menu.link_words, menu.words) == (2, 2)
    assert {"nav", "li", "a"} <= menu.landmarks | {"a"} and "menu" in menu.names
    assert "article" in prose.landmarks and {"main", "content"} <= prose.names


def test_a_data_table_reads_as_tab_separated_rows() -> None:
    table = (
        "<table><tr><th>Team</th><th>Points</th></tr><tr><td>Rovers</td><td>42</td></tr>"
        "<tr><td>United</td><td>39</td></tr></table>"
    )
    assert blocks_of(f"<p>{PROSE}</p>{table}") == [
        ("p", PROSE),
        ("tr", "Team\tPoints"),
        ("tr", "Rovers\t42"),
        ("tr", "United\t39"),
    ]


def test_layout_table_cells_are_blocks_of_their_own_never_joined() -> None:
    layout = (
        "<table><tr><td><a href='/'>Home</a> <a href='/news'>News</a></td>"
        f"<td><p>{PROSE}</p><p>Second paragraph of the story.</p></td></tr></table>"
    )
    found = blocks_of(layout)
    assert ("td", "Home News") in found and ("p", PROSE) in found
    assert not any("\t" in text or "|" in text for _, text in found)


def test_blocks_record_their_layout_cell() -> None:
    tree = document_fromstring(
        "<html><body><p>Site name here</p><table><tr><td>Home<br>News</td>"
        f"<td><p>{PROSE}</p><table><tr><td>Rovers</td><td>42</td></tr></table></td></tr>"
        "</table></body></html>"
    )
    blocks = page_blocks(tree)
    assert [(b.text, b.cell) for b in blocks] == [
        ("Site name here", 0),
        ("Home", 1),
        ("News", 1),
        (PROSE, 2),
        ("Rovers\t42", 2),
    ]


def test_hidden_elements_have_no_blocks_but_their_tails_do() -> None:
    assert blocks_of("<p>Kept<script>var x = 1;</script> too</p><style>p{}</style>") == [
        ("p", "Kept too")
    ]


def test_preformatted_text_keeps_its_lines() -> None:
    assert blocks_of("<pre>line one\n  line   two\n</pre>") == [("pre", "line one\nline two")]


def test_tree_model_sums_its_trees() -> None:
    # one split on feature 1 at 0.5: left leaf +1, right leaf -1
    tree = Tree(
        feature=np.array([1, 0, 0]),
        threshold=np.array([0.5, 0.0, 0.0]),
        left=np.array([1, LEAF, LEAF]),
        right=np.array([2, 0, 0]),
        value=np.array([0.0, 1.0, -1.0]),
        depth=1,
    )
    model = TreeModel(("a", "b"), (), 0.5, 1.0, (tree, tree), 0.5)
    scores = model.probabilities(np.array([[9.0, 0.0], [9.0, 1.0]]))
    assert scores == pytest.approx(1 / (1 + np.exp(-np.array([2.5, -1.5]))))


def test_the_shipped_model_round_trips_through_json(tmp_path) -> None:
    import json

    model = default_model()
    path = tmp_path / "m.json"
    path.write_text(json.dumps(model.to_json()))
    again = load_model(path)
    rows = np.random.default_rng(0).random((20, len(model.features)))
    assert np.allclose(again.probabilities(rows), model.probabilities(rows))


def test_exported_trees_score_as_scikit_learn_does() -> None:
    ensemble = pytest.importorskip("sklearn.ensemble")
    from benchmarks.train_blocks import CANDIDATES, exported

    rng = np.random.default_rng(0)
    columns = len(feature_names(CANDIDATES))
    rows = rng.random((400, columns))
    labels = (rows[:, 0] + rows[:, 3] > 1).astype(int)
    trained = ensemble.HistGradientBoostingClassifier(
        max_iter=20, early_stopping=False, random_state=0
    ).fit(rows, labels)
    model = exported(trained)
    assert np.allclose(model.probabilities(rows), trained.predict_proba(rows)[:, 1])


def test_feature_names_name_every_column() -> None:
    tree = document_fromstring(f"<html><body><p>{PROSE}</p><p>Short one.</p></body></html>")
    rows = block_matrix(page_blocks(tree), page_context(tree), {"a": PROSE, "b": ""})
    assert {len(row) for row in rows} == {len(feature_names(("a", "b")))}
    assert default_model().features == feature_names(default_model().inputs)
