"""A bounded per-process memo for cheap functions of one word, looked up in C.

``list(map(memo.__getitem__, words))`` runs at dict speed for words seen before; only new
words call the function (``__missing__``). Word vocabularies follow Zipf's law, so a hundred
thousand entries answer nearly every lookup; past ``max_size`` the memo starts over, which
bounds its memory (about 15 MB at the default size).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(dict[str, V], Generic[V]):
    """``memo[word]`` is ``function(word)``, remembered."""

    def __init__(self, function: Callable[[str], V], max_size: int = 100_000) -> None:
        super().__init__()
        self.function = function
        self.max_size = max_size

    def __missing__(self, word: str) -> V:
        if len(self) >= self.max_size:
            self.clear()
        value = self[word] = self.function(word)
        return value
