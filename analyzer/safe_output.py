"""Text from mail made safe to show, to save as JSON and to open in a spreadsheet.

Mail is written by strangers. A display name can carry terminal escape sequences (colour,
cursor moves, OSC 8 links, a changed window title), marks that reorder text on screen,
characters that show as nothing (so that two different addresses look the same), or a
leading ``=`` that a spreadsheet runs as a formula. Everything mxa shows or writes passes
through here, so that output says what the mail says and does nothing else.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator

__all__ = [
    "HIDDEN",
    "escaped_hidden",
    "json_chunks",
    "json_text",
    "printable",
    "spreadsheet_cell",
    "visible_parts",
]

# Characters a reader cannot see, or that change how the text around them is shown:
# C0 and C1 controls and DEL (ESC starts colour, cursor and OSC 8 link sequences; 0x9b is
# a one-byte CSI); every format character (Unicode category Cf: the bidirectional marks,
# zero-width spaces and joiners, the soft hyphen, the byte order mark, tags); the line and
# paragraph separators; and the other Default_Ignorable_Code_Point characters of Unicode's
# DerivedCoreProperties.txt (Hangul fillers, variation selectors, the combining grapheme
# joiner), which show as nothing. Two addresses that differ by one of them look the same.
# Lone surrogates are the bytes mail held that were no UTF-8.
_INVISIBLE = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff\ud800-\udfff"
)
HIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
# json.dumps escapes C0 controls itself (and its own newlines between items must stay)
_LEFT_RAW_BY_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")
# inside an emoji a variation selector or a joiner is visible (it changes the picture):
# kept after a symbol, so that "\u2764\ufe0f" in a subject still reads as a heart
_EMOJI_PARTS = "\ufe0e\ufe0f\u200d"
# what Excel, LibreOffice and Google Sheets read as the start of a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _in_emoji(text: str, at: int) -> bool:
    if text[at] not in _EMOJI_PARTS or at == 0:
        return False
    before = text[at - 1]
    return before == "\ufe0f" or unicodedata.category(before) in ("So", "Sk")


def escape_of(character: str) -> str:
    """A character as the escape Python writes for it: ``\\x1b``, ``\\u200b``, ``\\U000e0041``."""
    return ascii(character)[1:-1]


def visible_parts(text: object) -> list[tuple[str, bool]]:
    """The text in runs, each ``(run, is_escape)``: the text as it is, and in place of each
    character a reader could not see, its escape (``\\u200b``), which a renderer may mark."""
    shown = str(text)
    parts: list[tuple[str, bool]] = []
    start = 0
    for match in HIDDEN.finditer(shown):
        if _in_emoji(shown, match.start()):
            continue
        if match.start() > start:
            parts.append((shown[start : match.start()], False))
        parts.append((escape_of(match.group()), True))
        start = match.end()
    if start < len(shown):
        parts.append((shown[start:], False))
    return parts


def printable(text: object) -> str:
    """One string for a terminal: controls, invisible characters and undecodable bytes
    become visible escapes."""
    return "".join(part for part, _ in visible_parts(text))


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


def escaped_hidden(text: str) -> str:
    """``text`` with every hidden character but the C0 controls (tab, newline: a script's
    own syntax) written as a ``\\uXXXX`` escape, which JSON and JavaScript string literals
    read back as the character: a library inlined into a page keeps no raw bidi mark."""
    return _LEFT_RAW_BY_JSON.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON writes a character past the first plane as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def spreadsheet_cell(value: str) -> str:
    """A cell that a spreadsheet shows as text, never runs as a formula (OWASP's advice),
    with invisible characters and controls other than tab and line breaks as escapes."""
    shown = _LEFT_RAW_BY_JSON.sub(lambda match: escape_of(match.group()), value)
    return "'" + shown if shown.startswith(_FORMULA_START) else shown
