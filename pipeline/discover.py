"""Find the source files under RAW_DIR and decide which of them are new.

Every file found ends up in exactly one place: a batch to ingest, the list of paths whose
content is already ingested under another path (recorded as duplicates), the list of files the
ledger already accounts for (skipped), or the rejects (a symlink leading out of RAW_DIR, a file
over the size limit, an unreadable file).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pipeline.readers import is_sidecar
from pipeline.store import Ledger, Root

DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file under RAW_DIR. ``rel_path`` opens it; ``path`` is its printable, UTF-8-safe name
    (bytes that are not UTF-8 are shown as ``\\xNN``), used in records and the ledger."""

    rel_path: str
    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class DiscoveryReject:
    path: str
    sha256: str | None
    error_kind: str
    message: str


@dataclass
class Discovery:
    new: list[SourceFile] = field(default_factory=list)
    duplicates: list[tuple[SourceFile, str]] = field(default_factory=list)
    rejected: list[DiscoveryReject] = field(default_factory=list)
    already_ingested: int = 0

    @property
    def files_seen(self) -> int:
        return len(self.new) + len(self.duplicates) + len(self.rejected) + self.already_ingested


def printable_path(rel_path: str) -> str:
    return rel_path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def sha256_of(raw: Root, rel_path: str) -> str:
    digest = hashlib.sha256()
    with raw.open_read(rel_path) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def discover(
    raw: Root,
    ledger: Ledger,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    on_file: Callable[[], None] = lambda: None,
) -> Discovery:
    """Walk RAW_DIR in a stable order and sort every file into new, duplicate, known or
    rejected; ``on_file`` is called as each file is reached (progress)."""
    found = Discovery()
    first_path_this_run: dict[str, str] = {}
    for rel_path, problem in _walk(raw):
        on_file()
        path = printable_path(rel_path)
        if problem and (path, None) in ledger.seen:
            found.already_ingested += 1
            continue
        if problem:
            found.rejected.append(DiscoveryReject(path, None, *problem))
            continue
        try:
            size = raw.size(rel_path)
            sha = sha256_of(raw, rel_path)
        except OSError as error:
            found.rejected.append(DiscoveryReject(path, None, "unreadable", str(error)))
            continue
        if (path, sha) in ledger.seen:
            found.already_ingested += 1
            continue
        if size > max_file_bytes:
            message = f"{size} bytes is over the limit of {max_file_bytes} bytes (--max-file-bytes)"
            found.rejected.append(DiscoveryReject(path, sha, "too_large", message))
            continue
        source = SourceFile(rel_path, path, size, sha)
        earlier = ledger.first_path_by_hash.get(sha) or first_path_this_run.get(sha)
        if earlier is not None:
            found.duplicates.append((source, earlier))
        else:
            first_path_this_run[sha] = path
            found.new.append(source)
    return found


def _walk(raw: Root) -> Iterator[tuple[str, tuple[str, str] | None]]:
    """Yield (path relative to RAW_DIR, problem or None) for every candidate file."""
    if not raw.is_local:
        for rel in raw.list_files(""):
            if _is_candidate(rel):
                yield rel, None
        return
    top = os.path.realpath(raw.path)
    for directory, subdirs, files in os.walk(raw.path, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        rel_dir = posixpath.relpath(directory, raw.path)
        for name in sorted(files):
            full = os.path.join(directory, name)
            rel = name if rel_dir == "." else posixpath.join(rel_dir, name)
            if not _is_candidate(rel):
                continue
            yield rel, _local_problem(full, top)


def _local_problem(full: str, top: str) -> tuple[str, str] | None:
    if os.path.islink(full):
        target = os.path.realpath(full)
        if os.path.commonpath([top, target]) != top:
            return "symlink_outside", f"symbolic link to {target}, outside RAW_DIR: not followed"
        if not os.path.isfile(target):
            return "not_a_file", f"symbolic link to {target}, which is not a regular file"
    elif not os.path.isfile(full):
        return "not_a_file", "not a regular file (device, socket or pipe)"
    if not os.access(full, os.R_OK):
        return "unreadable", "permission denied"
    return None


def _is_candidate(rel: str) -> bool:
    return not posixpath.basename(rel).startswith(".") and not is_sidecar(rel)
