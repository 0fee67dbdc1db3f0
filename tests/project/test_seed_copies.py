"""The repository's copies of the seed set (articles in raw/, gold in tests/data/seeds) still
match the shared seed set they came from."""

from __future__ import annotations

from conftest import SEED_GOLD, seed_articles, shared_set


def test_seed_copies_match_the_shared_seed_set() -> None:
    shared = shared_set("seeds")
    assert SEED_GOLD.read_bytes() == (shared / "gold.json").read_bytes()
    assert [p.name for p in seed_articles()] == sorted(p.name for p in shared.glob("*.txt"))
    for article in seed_articles():
        assert article.read_bytes() == (shared / article.name).read_bytes(), article.name
