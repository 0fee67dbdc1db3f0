"""Local paths for files under a root, for readers that only open local files (DuckDB)."""

from __future__ import annotations

import os
import tempfile
from types import TracebackType

from pipeline.store.fs import Root


class LocalFiles:
    """Files under ``root`` as local paths: on a local root the files themselves; on a remote
    one, copies in a temporary directory that lives as long as the ``with`` block."""

    def __init__(self, root: Root, rels: list[str] | None = None) -> None:
        self.root = root
        self.paths: list[str] = []
        self._initial = list(rels or [])
        self._scratch: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> LocalFiles:
        if not self.root.is_local:
            self._scratch = tempfile.TemporaryDirectory(prefix="local-copies-")
        for rel in self._initial:
            self.add(rel)
        return self

    def add(self, rel: str) -> str:
        """The local path of ``rel`` (copied first on a remote root)."""
        if self._scratch is None:
            local = self.root.join(rel)
        else:
            suffix = os.path.splitext(rel)[1]
            local = os.path.join(self._scratch.name, f"{len(self.paths):06d}{suffix}")
            self.root.fs.get(self.root.join(rel), local)
        self.paths.append(local)
        return local

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()
