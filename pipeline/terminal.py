"""Text that came from input, made safe to print on a terminal.

A source file can hold escape sequences that clear the screen, set the window title (OSC 0),
plant hyperlinks (OSC 8) or reorder what is shown (bidirectional overrides); printed raw, an
article's text, URL or WARC record id would send them to the terminal. :func:`printable`
shows every such character as an escape (``\\x1b``, ``\\u202e``) instead.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.record_types import Line, Stripped

#: C0 controls but tab and newline, DEL, C1 controls, and the bidirectional controls.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable_lines(lines: list[Line]) -> list[Line]:
    return [replace(line, text=printable(line.text)) for line in lines]


def printable_stripped(stripped: Stripped) -> Stripped:
    """``stripped`` with the text of what it kept and removed made printable."""
    return replace(
        stripped,
        kept=printable_lines(stripped.kept),
        removed=[replace(r, text=printable(r.text)) for r in stripped.removed],
    )
