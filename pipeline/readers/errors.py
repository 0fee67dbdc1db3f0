"""How a reader says "this input (or this record of it) is not an article we can read"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rejection:
    """One bad record inside an otherwise readable container, yielded by ``read_source``.

    ``record_locator`` names the record the way its format does: a WARC-Record-ID (or
    ``byte N`` when the record is too damaged to have one), a JSONL line number.
    """

    record_locator: str | None
    stage: str
    error_kind: str
    message: str


class RejectedInput(Exception):
    """A whole file (from ``read_source``) or document (from ``extract``) that is no article.

    ``error_kind`` is one of the kinds listed in docs/inputs.md; ``message`` says why in
    words a person can act on.
    """

    def __init__(self, stage: str, error_kind: str, message: str) -> None:
        super().__init__(f"{error_kind}: {message}")
        self.stage = stage
        self.error_kind = error_kind
        self.message = message

    def at(self, record_locator: str | None) -> Rejection:
        """The same problem as a Rejection of one record."""
        return Rejection(record_locator, self.stage, self.error_kind, self.message)
