"""A directory on any fsspec filesystem (local path, ``file://``, ``s3://`` ...)."""

from __future__ import annotations

import os
import posixpath
import uuid
from dataclasses import dataclass
from typing import BinaryIO

import fsspec
from fsspec.implementations.local import LocalFileSystem


@dataclass(frozen=True)
class Root:
    """The root of RAW_DIR or CLEAN_DIR: a filesystem and a path on it.

    Paths handed around between tasks are strings relative to the root, so that a task on
    another machine can open them through the same URL.
    """

    url: str
    fs: fsspec.AbstractFileSystem
    path: str

    @classmethod
    def open(cls, url: str) -> Root:
        fs, path = fsspec.core.url_to_fs(url)
        return cls(url=url, fs=fs, path=path.rstrip("/") or "/")

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def join(self, *parts: str) -> str:
        return posixpath.join(self.path, *parts)

    def exists(self, rel: str) -> bool:
        if self.is_local:
            return os.path.exists(self.join(rel))
        return self.fs.exists(self.join(rel))

    def write_bytes_atomic(self, rel: str, data: bytes) -> None:
        """Write a file so that a reader sees either nothing or all of it."""
        final = self.join(rel)
        self.fs.makedirs(posixpath.dirname(final), exist_ok=True)
        temporary = f"{final}.{uuid.uuid4().hex}.tmp"
        with self.fs.open(temporary, "wb") as handle:
            handle.write(data)
        self.fs.mv(temporary, final)

    def create_exclusive(self, rel: str, data: bytes) -> bool:
        """Write a whole file at ``rel`` unless one is there; False if one was. Atomic on a
        local root (a hard link fails when the name exists); elsewhere a check, then a write."""
        if not self.is_local:
            if self.exists(rel):
                return False
            self.write_bytes_atomic(rel, data)
            return True
        final = self.join(rel)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        temporary = f"{final}.{uuid.uuid4().hex}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
        try:
            os.link(temporary, final)
        except FileExistsError:
            return False
        finally:
            os.unlink(temporary)
        return True

    def open_read(self, rel: str) -> BinaryIO:
        """The file, open for reading (on a local root without fsspec's file object, which
        costs more than reading a small article)."""
        opener = open if self.is_local else self.fs.open
        return opener(self.join(rel), "rb")

    def read_bytes(self, rel: str) -> bytes:
        with self.open_read(rel) as handle:
            return handle.read()

    def size(self, rel: str) -> int:
        if self.is_local:
            return os.stat(self.join(rel)).st_size
        return self.fs.size(self.join(rel))

    def list_files(self, rel: str, suffix: str = "") -> list[str]:
        """Files below ``rel`` (recursively), relative to the root, sorted."""
        base = self.join(rel)
        if not self.fs.exists(base):
            return []
        prefix = self.path.rstrip("/") + "/"
        found = (p for p in self.fs.find(base) if p.endswith(suffix))
        return sorted(p[len(prefix) :] if p.startswith(prefix) else p for p in found)

    def remove(self, rel: str, recursive: bool = False) -> None:
        target = self.join(rel)
        if self.fs.exists(target):
            self.fs.rm(target, recursive=recursive)
