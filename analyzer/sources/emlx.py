"""Apple Mail's one-message files: ``.emlx`` and ``.partial.emlx``.

Apple Mail keeps each message under ``~/Library/Mail/V*/<account>/<Name>.mbox/…/Messages/``
as one file of three parts: a first line holding the message's length in bytes (a decimal
number, padded with spaces to 10 characters), the RFC 822 message itself with LF line
ends, and an XML property list (``flags``, ``date-received``, ``remote-id``…). A
``.partial.emlx`` is a message whose large parts Mail did not download: those parts keep
their MIME headers, carry ``X-Apple-Content-Length`` and an empty body, and their files
lie beside the mailbox in ``Attachments/``. mxa reads headers, not bodies, so the message
is taken as stored and the attachment files are never spliced back in: its rows are those
of the full message, apart from its size, which is the size of what is stored.

Files are met damaged, and a real reader must be tolerant where the message is still
there to read:

- a byte count that does not land on the property list (files edited after capture, by
  anonymisation or by hand): the message runs up to the property list, which begins a
  line (``<?xml``, ``<!DOCTYPE plist`` or ``<plist``) and ends the file;
- no byte-count line at all, but a property list ending the file: the message runs up to
  it. Such a file does not sniff as an emlx (:func:`looks_like_emlx` sees line 1 only);
  discovery takes it for a plain message, whose header block is the same;
- a property list that does not parse: the message is kept, its delivery time unknown.

What cannot be read is a :class:`~analyzer.sources.container.ContainerProblem` with a
one-line reason: a truncated file (the byte count runs past the end and no property
list follows), a file that is no emlx, an empty message.
"""

from __future__ import annotations

import datetime as dt
import math
import plistlib
import re
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

from analyzer.sources.container import ContainerProblem
from analyzer.sources.sniff import looks_like_message, opens_with_field
from analyzer.vocabulary import QuarantineCode

__all__ = ["EmlxMessage", "looks_like_emlx", "read_emlx"]

# line 1: the byte count, which Apple pads with spaces to 10 characters
_BYTE_COUNT = re.compile(rb"\A[ \t]*([0-9]{1,15})[ \t]*\r?\n")
# where the property list begins: its XML declaration, its doctype or its root, at a line start
_PLIST_START = re.compile(rb"(?m)^(?:<\?xml[^\n]*\n\s*)?(?:<!DOCTYPE plist[^\n]*\n\s*)?<plist\b")
_PLIST_HEAD = re.compile(rb"\s*(?:<\?xml|<!DOCTYPE plist|<plist\b)")
_PLIST_END = re.compile(rb"</plist>\s*\Z")
# a part Mail left on the server: its MIME headers stay, with the size it would have
_STUBBED_PART = re.compile(rb"(?im)^X-Apple-Content-Length[ \t]*:")


@dataclass(frozen=True)
class EmlxMessage:
    """The message an emlx file holds, and what Mail's property list says of it."""

    message: bytes  # the RFC 822 message, exactly as the .eml form would hold it
    delivered: float | None  # plist 'date-received' (Unix seconds), like IMAP's INTERNALDATE
    partial: bool  # a .partial.emlx: parts left on the server / in Attachments/


def looks_like_emlx(head: bytes) -> bool:
    """Content sniffing, not the file name: line 1 is a decimal byte count (Apple pads it
    with spaces to 10 characters), then an RFC 822 header block."""
    count = _BYTE_COUNT.match(head)
    if count is None or int(count.group(1)) == 0:
        return False
    return looks_like_message(head[count.end() :])


def read_emlx(data: bytes) -> EmlxMessage:
    """The whole file's bytes -> the message. Raises
    :class:`~analyzer.sources.container.ContainerProblem` (a
    :class:`~analyzer.vocabulary.QuarantineCode` and a one-line reason) when the file holds
    no readable message."""
    message, plist = _split(data)
    if not message.strip():
        raise ContainerProblem(QuarantineCode.EMPTY, "the Apple Mail file holds an empty message")
    return EmlxMessage(message, _date_received(plist), bool(_STUBBED_PART.search(message)))


def _split(data: bytes) -> tuple[bytes, bytes]:
    """The message and the property list after it (b"" when there is none)."""
    count = _BYTE_COUNT.match(data)
    if count is None:
        return _without_byte_count(data)
    stated = int(count.group(1))
    rest = data[count.end() :]
    if _PLIST_HEAD.match(rest, stated) and _PLIST_END.search(rest):
        return rest[:stated], rest[stated:]  # as Mail writes it
    plist_start = _trailing_plist(rest)
    if plist_start is not None:
        return rest[:plist_start], rest[plist_start:]
    if stated > len(rest):
        raise ContainerProblem(
            QuarantineCode.UNREADABLE,
            f"truncated Apple Mail message: the byte count says {stated:,} bytes, the file "
            f"holds {len(rest):,} and no property list",
        )
    return rest[:stated], rest[stated:]


def _without_byte_count(data: bytes) -> tuple[bytes, bytes]:
    """A file whose byte-count line was lost: a header block, and the property list
    ending the file, tell it for an emlx still."""
    plist_start = _trailing_plist(data)
    if plist_start is None or not opens_with_field(data):
        first_line = data.split(b"\n", 1)[0][:40].decode("ascii", "replace")
        raise ContainerProblem(
            QuarantineCode.UNREADABLE,
            f"not an Apple Mail message: line 1 ({first_line!r}) is no byte count",
        )
    return data[:plist_start], data[plist_start:]


def _trailing_plist(data: bytes) -> int | None:
    """Where the property list that ends ``data`` begins, at a line start; None if no
    property list ends it."""
    if not _PLIST_END.search(data):
        return None
    starts = list(_PLIST_START.finditer(data))
    return starts[-1].start() if starts else None


def _date_received(plist: bytes) -> float | None:
    """The plist's ``date-received`` in Unix seconds (Mail writes an integer); None when
    the list does not parse or has no such date (Mail 2's lists do not)."""
    if not plist.strip():
        return None
    try:
        properties = plistlib.loads(plist.strip(), fmt=plistlib.FMT_XML)
    except (plistlib.InvalidFileException, ExpatError, ValueError, TypeError, OverflowError):
        return None
    value = properties.get("date-received") if isinstance(properties, dict) else None
    if isinstance(value, dt.datetime):  # a <date>: plistlib gives naive UTC
        value = value.replace(tzinfo=dt.UTC).timestamp()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None
