"""Text from mail made safe to show, to save as JSON and to open in a spreadsheet.

Mail is written by strangers. A display name can carry terminal escape sequences (colour,
cursor moves, OSC 8 links, a changed window title), marks that reorder text on screen, or a
leading ``=`` that a spreadsheet runs as a formula. Everything mxa shows or writes passes
through here, so that output says what the mail says and does nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

__all__ = ["json_chunks", "json_text", "printable", "spreadsheet_cell"]

# C0 and C1 controls (ESC starts colour, cursor and OSC 8 link sequences; 0x9b is a
# one-byte CSI), DEL, and the bidirectional marks that reorder text on screen
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# json.dumps already escapes C0 controls; it leaves these, and lone surrogates, raw
_LEFT_RAW_BY_JSON = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# what Excel, LibreOffice and Google Sheets read as the start of a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: object) -> str:
    """One string for a terminal: controls and undecodable bytes become visible escapes."""
    shown = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROLS.sub(lambda match: ascii(match.group())[1:-1], shown)


def json_text(payload: object, *, indent: int | None = 2) -> str:
    """JSON that keeps names readable (UTF-8) yet holds no raw control or bidi mark.

    The result is plain valid UTF-8 even where the mail held undecodable bytes: those
    travel as ``\\udcXX`` escapes, which every JSON parser reads.
    """
    return "".join(json_chunks(payload, indent=indent))


def json_chunks(payload: object, *, indent: int | None = 2) -> Iterator[str]:
    """:func:`json_text` piece by piece, to write a document of a gigabyte (the findings of
    a million messages) without holding its text."""
    for chunk in json.JSONEncoder(ensure_ascii=False, indent=indent).iterencode(payload):
        yield _LEFT_RAW_BY_JSON.sub(_escaped, chunk)  # one character at a time: any cut is safe


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def spreadsheet_cell(value: str) -> str:
    """A cell that a spreadsheet shows as text, never runs as a formula (OWASP's advice)."""
    return "'" + value if value.startswith(_FORMULA_START) else value
