"""The header block: finding it, splitting it into fields, decoding their text.

Own code rather than :mod:`email.parser`: the parser builds a full ``Message`` with
policy objects for every field, which is most of the time mail-parser spends per
message. mxa needs a few dozen named fields as text, so it splits the block with
two regular expressions and decodes only the fields it reads
(``benchmarks/components.py`` measures the difference). A block whose every line is a
field does not even need those: the C module ``_fast`` splits it (built with the
package where a compiler is at hand; this module is its reference and its fallback).
"""

from __future__ import annotations

import re
from email.header import decode_header

from analyzer.bytesearch import blank_line
from analyzer.records import Defect
from analyzer.vocabulary import DefectKind

try:
    from analyzer import _fast
except ImportError:  # installed without a C compiler: Python does it all, slower
    _fast = None

__all__ = [
    "MAX_ENCODED_WORDS",
    "MAX_FIELD_CHARS",
    "MAX_HEADER_BYTES",
    "HeaderFields",
    "decode_bytes",
    "decode_words",
    "header_block_end",
    "parse_header_block",
]

# Budgets: what a header block, a field and its encoded words may hold before the rest
# is cut off, with a defect saying so (real headers stay far below them).
MAX_HEADER_BYTES = 1 << 20
MAX_FIELD_CHARS = 64 << 10
MAX_ENCODED_WORDS = 1000
MAX_DEFECTS = 20

# A field: its name, a colon, and its value with any continuation lines.
_FIELD = re.compile(r"^([!-9;-~]+)[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)", re.MULTILINE)
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def header_block_end(data: bytes) -> tuple[int, int]:
    """Return ``(end_of_headers, start_of_body)`` offsets in ``data``.

    The block ends at the first empty line (LF, CRLF or a mix of both). A message
    with no empty line is all headers.
    """
    if data.startswith((b"\n", b"\r\n")):
        return 0, 1 if data[0:1] == b"\n" else 2
    blank = blank_line(data, 0, len(data))
    if blank < 0:
        return len(data), len(data)
    return (blank + 1, blank + 2) if data[blank + 1] == 10 else (blank + 1, blank + 3)


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
    except (LookupError, ValueError):  # ValueError: a label with a NUL in it
        # An unknown or broken charset label: keep what is readable.
        return decode_bytes(chunk)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; never raises on bad input.

    Values without ``=?`` (almost all) return unchanged without a call into
    :mod:`email.header`, whose work grows with the square of the words: past
    :data:`MAX_ENCODED_WORDS` the value is cut.
    """
    if "=?" not in value or not _ENCODED_WORD.search(value):
        return value
    if value.count("=?") > MAX_ENCODED_WORDS:
        for count, match in enumerate(_ENCODED_WORD.finditer(value), 1):
            if count == MAX_ENCODED_WORDS:
                value = value[: match.end()]
                break
    try:
        parts = decode_header(value)
    except Exception:  # email.header raises several types on hostile input
        return value
    decoded = "".join(_decode_chunk(chunk, charset) for chunk, charset in parts)
    # UTF-16 words each open with a byte order mark; joined, the later ones are noise
    return decoded.replace("\ufeff", "")


class HeaderFields:
    """The fields of one header block, in order, with lower-cased names.

    ``get`` returns the first value, ``get_all`` every value; values are unfolded
    text with surrounding white space removed. Lines that are not fields are kept
    in ``defects``.
    """

    __slots__ = ("_by_name", "defects", "fields")

    def __init__(
        self,
        fields: list[tuple[str, str]],
        defects: list[Defect],
        by_name: dict[str, list[str]] | None = None,
    ) -> None:
        self.fields = fields
        self.defects = defects
        if by_name is None:
            by_name = {}
            for name, value in fields:
                by_name.setdefault(name, []).append(value)
        self._by_name = by_name

    def get(self, name: str) -> str | None:
        values = self._by_name.get(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        return self._by_name.get(name, [])


def _from_surrogates(value: str) -> str:
    """Re-decode one value that held bytes invalid in UTF-8 (raw 8-bit mail)."""
    return decode_bytes(value.encode("utf-8", "surrogateescape"))


_BLANK_THEN_FOLD = re.compile(rb"\n\r?\n[ \t]")


def _blank_then_folded(block: bytes) -> bool:
    """A blank line, then a folded one: a continuation of no field, which the regex
    pass's line count would take for one (C leaves any blank line to Python). No
    splitter makes such a block; a hand-made one may, and the careful pass says what is
    wrong."""
    return (b"\n\n" in block or b"\n\r\n" in block) and bool(_BLANK_THEN_FOLD.search(block))


def parse_header_block(block: bytes) -> HeaderFields:
    """Split a header block into ``(name, value)`` pairs.

    A line that is neither a field nor a continuation (for example a stray
    ``>From`` line) becomes a defect and is skipped; parsing goes on.
    """
    if _fast is not None:
        split = _fast.split_fields(block, MAX_FIELD_CHARS)
        if split is not None:  # every line a field, no value over budget
            fields, by_name = split
            return HeaderFields(fields, [], by_name)
    return parse_header_block_in_python(block)


def parse_header_block_in_python(block: bytes) -> HeaderFields:
    """:func:`parse_header_block` in one regex pass: the reference for the C split."""
    text = block.decode("utf-8", "surrogateescape")
    if _blank_then_folded(block):
        return _within_limits(_parse_header_block_carefully(text))
    pairs = _FIELD.findall(text)
    # Every line that starts a field must have been matched; if the counts differ,
    # some line is garbage and the careful pass says which.
    lines = text.count("\n") + (0 if not text or text.endswith("\n") else 1)
    continuations = text.count("\n ") + text.count("\n\t")
    blanks = text.count("\n\n") + text.count("\n\r\n")
    if lines - continuations - blanks != len(pairs) or text[:1] in (" ", "\t"):
        parsed = _parse_header_block_carefully(text)
    else:
        parsed = HeaderFields([_field(name, value) for name, value in pairs], [])
    return _within_limits(parsed)


def _within_limits(parsed: HeaderFields) -> HeaderFields:
    """Fields cut at MAX_FIELD_CHARS, defects listed up to MAX_DEFECTS, however split."""
    if parsed.fields and max(len(value) for _, value in parsed.fields) > MAX_FIELD_CHARS:
        parsed = _capped(parsed)
    if len(parsed.defects) > MAX_DEFECTS:
        more = len(parsed.defects) - MAX_DEFECTS
        parsed.defects[MAX_DEFECTS:] = [
            Defect(DefectKind.NOT_A_FIELD, "", f"and {more} more lines that are no fields")
        ]
    return parsed


def _capped(parsed: HeaderFields) -> HeaderFields:
    fields = []
    for name, value in parsed.fields:
        if len(value) > MAX_FIELD_CHARS:
            parsed.defects.append(
                Defect(
                    DefectKind.FIELD_CUT,
                    name,
                    f"cut at {MAX_FIELD_CHARS:,} of its {len(value):,} characters",
                )
            )
            value = value[:MAX_FIELD_CHARS]
        fields.append((name, value))
    return HeaderFields(fields, parsed.defects)


def _field(name: str, value: str) -> tuple[str, str]:
    if "\n" in value:
        value = value.replace("\r\n", "").replace("\n", "")
    value = value.strip()
    if not value.isascii() and _has_surrogates(value):
        value = _from_surrogates(value)
    return name.lower(), value


def _parse_header_block_carefully(text: str) -> HeaderFields:
    fields: list[tuple[str, str]] = []
    defects: list[Defect] = []
    position = 0
    for match in _FIELD.finditer(text):
        if match.start() > position:
            _gap_defects(text[position : match.start()], bool(fields), defects)
        fields.append(_field(match.group(1), match.group(2)))
        position = match.end() + 1
    if position < len(text):
        _gap_defects(text[position:], bool(fields), defects)
    return HeaderFields(fields, defects)


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _gap_defects(gap: str, after_fields: bool, defects: list[Defect]) -> None:
    for line in gap.splitlines():
        if not line.strip():
            continue
        if not after_fields and line.startswith(("From ", ">From ")):
            continue  # an mbox separator left on a one-message file
        defects.append(Defect(DefectKind.NOT_A_FIELD, "", _from_surrogates(line[:120])))


def collapse_spaces(value: str) -> str:
    """One space for every run of white space (folded Subject lines, names)."""
    return " ".join(value.split())
