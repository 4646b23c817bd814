"""The header block: finding it, splitting it into fields, decoding their text.

Own code rather than :mod:`email.parser`: the parser builds a full ``Message`` with
policy objects for every field, which is most of the time mail-parser spends per
message. mxa needs a few dozen named fields as text, so it splits the block with
two regular expressions and decodes only the fields it reads
(``benchmarks/ingest_speed.py`` measures the difference).
"""

from __future__ import annotations

import re
from email.header import decode_header

__all__ = [
    "HeaderFields",
    "decode_bytes",
    "decode_words",
    "header_block_end",
    "parse_header_block",
]

_FIELD_START = re.compile(rb"\r?\n(?![ \t])")
_FOLD = re.compile(r"\r?\n|\r")
_FIELD_NAME = re.compile(rb"[!-9;-~]+")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_SPACES = re.compile(r"\s+")


def header_block_end(data: bytes) -> tuple[int, int]:
    """Return ``(end_of_headers, start_of_body)`` offsets in ``data``.

    The block ends at the first empty line (LF, CRLF or a mix of both). A message
    with no empty line is all headers.
    """
    if data.startswith((b"\n", b"\r\n")):
        return 0, 1 if data[0:1] == b"\n" else 2
    lf = data.find(b"\n\n")
    crlf = data.find(b"\n\r\n")
    if lf < 0 and crlf < 0:
        return len(data), len(data)
    if crlf < 0 or (0 <= lf < crlf):
        return lf + 1, lf + 2
    return crlf + 1, crlf + 3


def decode_bytes(raw: bytes) -> str:
    """Header bytes as text: UTF-8 when valid, else Windows-1252 (raw 8-bit mail)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _decode_chunk(chunk: bytes | str, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    if charset in (None, "unknown-8bit"):
        return decode_bytes(chunk)
    try:
        return chunk.decode(charset, errors="replace")
    except (LookupError, UnicodeError):
        # An unknown or broken charset label: keep what is readable.
        return decode_bytes(chunk)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; never raises on bad input.

    Values without ``=?`` (almost all) return unchanged without a call into
    :mod:`email.header`.
    """
    if "=?" not in value or not _ENCODED_WORD.search(value):
        return value
    try:
        parts = decode_header(value)
    except Exception:  # email.header raises several types on hostile input
        return value
    decoded = "".join(_decode_chunk(chunk, charset) for chunk, charset in parts)
    return decoded


class HeaderFields:
    """The fields of one header block, in order, with lower-cased names.

    ``get`` returns the first value, ``get_all`` every value; values are unfolded
    text with surrounding white space removed. Lines that are not fields are kept
    in ``defects``.
    """

    __slots__ = ("_by_name", "defects", "fields")

    def __init__(self, fields: list[tuple[str, str]], defects: list[str]) -> None:
        self.fields = fields
        self.defects = defects
        by_name: dict[str, list[str]] = {}
        for name, value in fields:
            by_name.setdefault(name, []).append(value)
        self._by_name = by_name

    def get(self, name: str) -> str | None:
        values = self._by_name.get(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        return self._by_name.get(name, [])

    def names(self) -> list[str]:
        return [name for name, _ in self.fields]


def parse_header_block(block: bytes) -> HeaderFields:
    """Split a header block into ``(name, value)`` pairs.

    A line that is neither a field nor a continuation (for example a stray
    ``>From`` line) becomes a defect and is skipped; parsing goes on.
    """
    fields: list[tuple[str, str]] = []
    defects: list[str] = []
    for line in _FIELD_START.split(block):
        if not line.strip():
            continue
        colon = line.find(b":")
        name_match = _FIELD_NAME.match(line)
        if colon <= 0 or name_match is None or line[name_match.end() : colon].strip(b" \t"):
            if line.startswith((b"From ", b">From ")) and not fields:
                continue  # an mbox separator left on a one-message file
            defects.append(f"not a header field: {decode_bytes(line[:120])!r}")
            continue
        name = line[:colon].rstrip(b" \t").decode("ascii", "replace").lower()
        value = decode_bytes(line[colon + 1 :])
        if "\n" in value or "\r" in value:
            value = _FOLD.sub("", value)
        fields.append((name, value.strip()))
    return HeaderFields(fields, defects)


def collapse_spaces(value: str) -> str:
    """One space for every run of white space (folded Subject lines, names)."""
    return _SPACES.sub(" ", value).strip()
