"""Budgets per source file: whatever the input, reading one file costs bounded memory and time.

Every budget is a field of :class:`Limits` and is set in one of two ways, which are the same
family of names: the environment variable ``PIPELINE_<NAME>`` (``PIPELINE_MAX_RECORDS=5000``)
or, for ``ingest``, the flag ``--<name>`` (``--max-records 5000``), which sets the variable for
the run and its worker processes. A budget a file exceeds rejects it (or the rest of it) with
the reason listed in docs/inputs.md; nothing stops the run.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

MIB = 1 << 20
ENV_PREFIX = "PIPELINE_"


@dataclass(frozen=True, slots=True)
class Limits:
    #: Largest decompressed size of one document: a .txt/.html file, a WARC record's
    #: payload, a JSONL line. Larger ones are rejected as ``too_large`` without being read
    #: further (a gzip bomb stops here too).
    max_document_bytes: int = 32 * MIB
    #: Longest physical line of a plain-text article, in characters. No real paragraph is
    #: this long; such files are logs or blobs and are rejected as ``line_too_long``.
    max_text_line_chars: int = 100_000
    #: Decompressed bytes read from one WARC or JSONL file in all; the rest of a file past it
    #: is rejected as ``too_large`` (what was read before is kept).
    max_container_bytes: int = 1024 * MIB
    #: Records (WARC records, JSONL lines, blank ones included) read from one file; the rest
    #: is rejected as ``too_many_records``.
    max_records: int = 1_000_000
    #: Longest WARC or HTTP header block of one record; a longer one is ``header_too_long``
    #: and reading resumes at the next record.
    max_header_bytes: int = 64 * 1024
    #: Deepest nesting of arrays and objects in a JSONL line or a ``.meta.json`` sidecar;
    #: deeper ones are ``too_deep``.
    max_json_depth: int = 100
    #: Wall-clock seconds to read and extract one file; a file that takes longer is stopped
    #: (its worker process killed and replaced) and rejected as ``timeout``. 0: no limit,
    #: and files are read in the calling process.
    max_file_seconds: float = 120.0
    #: Wall-clock seconds to strip one article; one that takes longer is left out of the
    #: articles and rejected as ``timeout`` (stage ``strip``). Enforced where stripping runs
    #: in a pool worker process (two or more workers); 0: no limit.
    max_strip_seconds: float = 30.0
    #: Most lines (paragraphs) one extracted article may have; more is ``too_many_lines``.
    #: No news article comes near it, and the stripper's work grows faster than its lines.
    max_article_lines: int = 2_000
    #: Bad records of one file described by name in its one reject row (the others counted).
    max_reasons_listed: int = 5

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, overridden by every ``PIPELINE_<NAME>`` set in ``environ``.

        Raises ValueError naming the variable when a value is not a number >= 0."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = env_name(f.name)
            if name in env:
                values[f.name] = _parse(name, env[name], f.type)
        return cls(**values)

    def as_env(self) -> dict[str, str]:
        """The ``PIPELINE_<NAME>`` variables that reproduce these limits."""
        return {env_name(f.name): str(getattr(self, f.name)) for f in fields(self)}


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def _parse(label: str, raw: str, type_name: object) -> int | float:
    number = float if type_name in (float, "float") else int
    try:
        value = number(raw)
    except ValueError:
        value = -1
    if value < 0:
        kind = "a number" if number is float else "a whole number"
        raise ValueError(f"{label}: {raw!r} is not {kind} >= 0")
    return value


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """One ``--<name>`` flag per budget (default: the environment, else the built-in value)."""
    for f in fields(Limits):
        parser.add_argument(
            _flag(f.name),
            metavar="N",
            dest=f"limit_{f.name}",
            help=f"per-file budget (env {env_name(f.name)}; default {f.default})",
        )


def export_limit_arguments(
    args: argparse.Namespace, environ: dict[str, str] | None = None
) -> Limits:
    """Put the budgets given as flags into the environment, where the readers and the worker
    processes find them. Raises ValueError naming the flag or variable of a bad value."""
    env = os.environ if environ is None else environ
    for f in fields(Limits):
        raw = getattr(args, f"limit_{f.name}", None)
        if raw is not None:
            _parse(_flag(f.name), raw, f.type)
            env[env_name(f.name)] = raw
    return Limits.from_env(env)


def _flag(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


DEFAULT_LIMITS = Limits()
