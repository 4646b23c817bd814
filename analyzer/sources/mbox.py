"""Split an mbox stream into messages, one at a time, in its real-world variants.

A line starting with ``From `` is a separator only when it looks like one, because
mboxo archives leave such lines unquoted in bodies. A full postmark (a sender and an
asctime date, ``From x@y Mon Jan  1 00:00:00 2024``) after an empty line is one,
whatever follows it: a damaged first header line must not merge two messages.
Anything less must be followed by a header field, and either follow an empty line or
carry an envelope sender (``-`` or an address) or a time. Beyond that:

- mboxo and mboxrd quoting only touch bodies, which mxa does not read;
- Content-Length (mboxcl2, Netscape/Thunderbird) is trusted when it lands exactly on
  the next separator or the end of the file, so unquoted ``From`` lines in such
  bodies do not split a message;
- CRLF works as it is, CR-only files are read with CR turned into LF (one byte for
  one, so offsets stay true), a UTF-8 byte order mark is skipped;
- the separator's date is never used (public-inbox writes 1970 in every one).

Memory holds one chunk plus the current message, never the archive; of a message
larger than :data:`MESSAGE_KEEP` only the first :data:`HEAD_KEEP` bytes are kept (its
envelope is there), and its full size is recorded. A running digest of everything
read up to the end of the last message lets a later run tell a grown file from a
rewritten one.

A plain file can also be read in byte ranges by several processes at once
(:class:`MboxRange`, :class:`RangeReader`): each range starts at the first separator
after its start, and the ranges join when each starts where the message before it
ended.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from analyzer.bytesearch import blank_line, find
from analyzer.records import RawMessage

__all__ = [
    "DIGEST",
    "HEAD_KEEP",
    "MESSAGE_KEEP",
    "JoinedRanges",
    "MboxRange",
    "MboxReader",
    "RangeReader",
    "TooLarge",
    "digest_name",
    "digest_text",
    "first_separator",
    "is_cr_only",
    "looks_like_mbox",
    "new_digest",
    "translated",
]

_CHUNK = 4 << 20
# A message longer than this keeps only its first HEAD_KEEP bytes in memory.
MESSAGE_KEEP = 32 << 20
HEAD_KEEP = 4 << 20
_BOM = b"\xef\xbb\xbf"
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_TIME = re.compile(rb"\d{1,2}:\d{2}")
# From SENDER [Www] Mmm DD HH:MM[:SS] [ZONE] YYYY: what mbox writers put on the line
_POSTMARK = re.compile(
    rb"From [^\s]+[ \t]+(?:[A-Za-z]{3},?[ \t]+)?[A-Za-z]{3}[ \t]+\d{1,2}[ \t]+"
    rb"\d{1,2}:\d{2}(?::\d{2})?[ \t]+(?:[A-Za-z]{1,5}[ \t]+|[+-]\d{4}[ \t]+)?\d{4}[ \t]*\r?"
)
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d{1,12})[ \t]*\r?$")
_CR_TO_LF = bytes.maketrans(b"\r", b"\n")
# A Content-Length beyond this is not trusted: the message is split by separators.
_MAX_CONTENT_LENGTH = MESSAGE_KEEP // 2
# Content-Length is looked for in this much of a message's head (extraction's header budget)
_HEADER_SCAN = 1 << 20


class TooLarge(Exception):
    """A stream that expands past its reader's byte limit (a decompression bomb)."""


# The running digest of an mbox's bytes: SHA-256, which the CPU's SHA instructions (through
# OpenSSL) make twice as fast as BLAKE2b here. Stores written before kept BLAKE2b-128 as a
# bare hex string; resuming such a file goes on with it.
DIGEST = "sha256"
_LEGACY_DIGEST = "blake2b-128"


def new_digest(name: str = DIGEST) -> Any:
    """A running digest of an mbox's bytes (see :class:`MboxReader`), by the name that
    :func:`digest_text` gives it."""
    if name == _LEGACY_DIGEST:
        return hashlib.blake2b(digest_size=16)
    return hashlib.new(name)


def digest_text(digest: Any) -> str:
    """A digest as the store keeps it: ``"sha256:<hex>"``."""
    name = _LEGACY_DIGEST if digest.name == "blake2b" else digest.name
    return f"{name}:{digest.hexdigest()}"


def digest_name(text: str) -> str:
    """The algorithm of a digest the store kept (a bare hex string: the legacy one)."""
    name, separator, _ = text.rpartition(":")
    return name if separator else _LEGACY_DIGEST


def translated(chunk: bytes, cr_only: bool) -> bytes:
    """Bytes as a reader of the file sees them: lone CRs are line ends (``cr_only``)."""
    return chunk.translate(_CR_TO_LF) if cr_only else chunk


def looks_like_mbox(head: bytes) -> bool:
    """True when a file's first bytes open an mbox (after an optional BOM)."""
    head = head.removeprefix(_BOM).lstrip(b"\r\n")
    return head.startswith(b"From ")


def is_cr_only(head: bytes | bytearray) -> bool:
    """True when the first line ends in a lone CR (old Mac line endings)."""
    head = head.removeprefix(_BOM)
    cr, lf = head.find(b"\r"), head.find(b"\n")
    return cr >= 0 and head[cr + 1 : cr + 2] != b"\n" and (lf < 0 or cr < lf)


def _is_separator(line: bytes, next_line: bytes | None, after_blank: bool) -> bool:
    """``From SENDER [DATE]`` followed by a header field, in a believable place.

    A full postmark after an empty line is a separator on its own. Otherwise after the
    sender comes nothing or a date (``From Russia with love`` in a body is prose), a
    header field must follow, and without an empty line before it (Netscape's
    Content-Length mboxes) the sender must be ``-`` or an address, or the line must
    carry a time.
    """
    if after_blank and _POSTMARK.fullmatch(line):
        return True
    if next_line is None or not _HEADER_LINE.match(next_line):
        return False
    words = line.split(None, 2)
    sender = words[1] if len(words) > 1 else b""
    rest = words[2] if len(words) > 2 else b""
    has_time = bool(_TIME.search(rest))
    if rest.strip() and not has_time:
        return False
    return after_blank or sender == b"-" or b"@" in sender or has_time


def _opens_message(buf: bytearray, found: int, line_end: int, next_end: int) -> bool:
    """Whether the ``From`` line after the newline at ``found`` is a separator, judged by
    it, the line after it (ending at ``line_end`` and ``next_end``, -1: the buffer's end)
    and the one before."""
    line = bytes(buf[found + 1 : line_end if line_end >= 0 else len(buf)])
    next_line = None
    if line_end >= 0 and line_end + 1 < len(buf):
        next_line = bytes(buf[line_end + 1 : next_end if next_end >= 0 else len(buf)])
    after_blank = buf[found - 1 : found] == b"\n" or buf[found - 2 : found] == b"\n\r"
    return _is_separator(line, next_line, after_blank)


class MboxReader:
    """Iterate over the messages of an mbox stream.

    ``start`` resumes at a byte offset where an earlier run stopped (the stream
    must already be positioned there), and ``digest`` then carries the digest of the
    bytes before it. While iterating, ``end_offset`` is the end of the last message
    yielded (the offset to resume from) and ``digest`` covers the bytes before it.
    ``max_bytes`` stops a stream that expands past it with :class:`TooLarge`.
    """

    def __init__(
        self,
        stream: BinaryIO,
        source: str,
        start: int = 0,
        cr_only: bool = False,
        digest: Any = None,
        max_bytes: int | None = None,
    ) -> None:
        self.stream = stream
        self.source = source
        self.start = start
        self.end_offset = start
        self.last_message_offset: int | None = None
        self.digest = digest if digest is not None else new_digest()
        self.max_bytes = max_bytes
        self._read_bytes = start
        self._translate_cr = cr_only  # known from the first run when resuming
        self._compressed = not isinstance(stream, io.BufferedReader | io.BytesIO)

    # -- buffer handling ---------------------------------------------------------
    def _read(self) -> bytes:
        # read1 on a decompressing stream returns what is ready, so a truncated
        # .gz/.bz2/.xz yields every complete message before its error is raised.
        reader = getattr(self.stream, "read1", None) if self._compressed else None
        chunk = reader(_CHUNK) if reader else self.stream.read(_CHUNK)
        self._read_bytes += len(chunk)
        if self.max_bytes is not None and self._read_bytes > self.max_bytes:
            raise TooLarge(f"expands past {self.max_bytes:,} bytes")
        if self._translate_cr and chunk:
            chunk = chunk.translate(_CR_TO_LF)
        return chunk

    @property
    def cr_only(self) -> bool:
        return self._translate_cr

    def __iter__(self) -> Iterator[RawMessage]:
        buf = bytearray(self._read())
        base = self.start  # absolute offset of buf[0], the gap not counted
        eof = not buf
        if self.start == 0:
            if buf.startswith(_BOM):
                self.digest.update(_BOM)
                del buf[:3]
                base += 3
            if is_cr_only(buf):
                self._translate_cr = True
                buf = bytearray(bytes(buf).translate(_CR_TO_LF))
        leading = len(buf) - len(buf.lstrip(b"\r\n"))
        cur = leading  # start of the current message's separator line
        scan = cur
        hashed = 0  # buf index up to which the digest covers
        gap_at, gap = len(buf), 0  # bytes dropped from the middle of a huge message

        def squeeze() -> None:
            """Keep a huge message's head and the unscanned tail, drop (and hash) the rest."""
            nonlocal buf, scan, hashed, gap_at, gap
            start = min(gap_at, cur + HEAD_KEEP)
            if scan <= start:
                return
            self.digest.update(buf[hashed:scan])
            del buf[start:scan]
            gap += scan - start
            gap_at, scan, hashed = start, start, start

        def fill() -> bool:
            nonlocal buf, base, cur, scan, eof, hashed, gap_at
            if cur > _CHUNK:
                del buf[:cur]
                base += cur
                scan -= cur
                hashed -= cur
                gap_at -= cur
                cur = 0
            if len(buf) - cur > MESSAGE_KEEP:
                squeeze()
            chunk = self._read()
            if not chunk:
                eof = True
                return False
            buf += chunk
            if gap == 0:
                gap_at = len(buf)
            return True

        def emit(end: int) -> RawMessage:
            """The message from ``cur`` to ``end``; a gap before ``end`` joins the offsets."""
            nonlocal base, hashed, gap_at, gap
            self.digest.update(buf[hashed:end])
            hashed = end
            dropped = gap if end >= gap_at else 0
            message = self._message(buf, cur, end, base, dropped)
            if dropped:
                base += gap
                gap_at, gap = len(buf), 0
            return message

        if not buf[cur:].startswith(b"From "):
            self.digest.update(buf)
            self.end_offset = base + len(buf)
            return

        length_checked_at = -1
        while True:
            if length_checked_at != base + cur and gap == 0:
                # Content-Length: trust it when it lands on the next separator or EOF.
                length_checked_at = base + cur
                length = self._content_length(buf, cur)
                while length == -2 and fill():
                    length = self._content_length(buf, cur)
                if length >= 0:
                    while len(buf) < cur + length + 8 and fill():
                        pass
                    after = cur + length
                    while after < len(buf) and buf[after] in (10, 13):
                        after += 1
                    if after >= len(buf) and eof:
                        yield emit(len(buf))
                        break
                    if buf[after : after + 5] == b"From ":
                        yield emit(after)
                        cur = scan = after
                        continue

            found = find(buf, b"\nFrom ", scan, len(buf))
            if found < 0:
                if eof:
                    yield emit(len(buf))
                    break
                scan = max(cur, len(buf) - 5)
                fill()
                continue
            line_start = found + 1
            line_end = buf.find(b"\n", line_start)
            next_end = buf.find(b"\n", line_end + 1) if line_end >= 0 else -1
            if next_end < 0 and not eof:
                scan = found
                fill()
                continue
            # a "From " line right after the separator: the message before it is empty
            right_after_separator = buf.find(b"\n", cur, line_start) == found
            if right_after_separator or _opens_message(buf, found, line_end, next_end):
                yield emit(line_start)
                cur = line_start
            scan = line_start
        self.end_offset = base + gap + len(buf)

    @staticmethod
    def _content_length(buf: bytearray, cur: int) -> int:
        """Bytes from ``cur`` to where Content-Length says the message ends.

        -1 when there is no such header, -2 when the header block is not yet
        complete in the buffer. The header block is looked for only before the next
        ``From `` line and within its budget, so that mail without empty lines costs
        one pass, not one pass per message; the body is not scanned here (the split
        scans it once, for the next separator).
        """
        line_end = buf.find(b"\n", cur)
        if line_end < 0:
            return -2
        limit = min(len(buf), line_end + _HEADER_SCAN)
        header_end = blank_line(buf, line_end, limit, b"From ")
        if header_end == -2:  # a "From " line before any empty line: no body to measure
            return -1
        if header_end < 0:
            return -1 if limit == line_end + _HEADER_SCAN else -2
        if buf[header_end + 1] == 10:
            body_start = header_end + 2
        elif buf[header_end + 3 : header_end + 4] == b"\n" and header_end + 4 <= limit:
            header_end, body_start = header_end + 2, header_end + 4  # "\n\r\n\n": the LF one
        else:
            body_start = header_end + 3
        if (
            find(buf, b"ength", line_end, header_end) < 0
            and find(buf, b"ENGTH", line_end, header_end) < 0
        ):
            return -1  # the search below costs as much as the rest of the split
        match = _CONTENT_LENGTH.search(buf, line_end, header_end + 1)
        if not match or int(match.group(1)) > _MAX_CONTENT_LENGTH:
            return -1
        return body_start + int(match.group(1)) - cur

    def _message(self, buf: bytearray, start: int, end: int, base: int, dropped: int) -> RawMessage:
        """The message between the separator at ``start`` and ``end`` (``dropped`` bytes of
        its middle no longer in ``buf``)."""
        self.end_offset = base + end + dropped  # what is complete so far
        self.last_message_offset = base + start
        body_start = buf.find(b"\n", start, end)
        body_start = end if body_start < 0 else body_start + 1
        if end - body_start >= 2 and buf[end - 2 : end] == b"\r\n":
            end -= 2
        elif end > body_start and buf[end - 1 : end] == b"\n":
            end -= 1
        with memoryview(buf) as view:  # one copy, not two
            data = bytes(view[body_start:end])
        size = len(data) + dropped if dropped else None
        return RawMessage(self.source, str(base + start), data, size)


@dataclass(frozen=True, slots=True)
class MboxRange:
    """A byte range of an uncompressed mbox file, for a worker to read by itself.

    The range holds the messages whose separator line starts in ``[start, stop)``
    (``stop`` None: to the end of the file); the last one is read past ``stop`` to its
    end. ``exact`` says that ``start`` is a message's separator (the file's start, or
    where an earlier run stopped); otherwise the range starts at the first line after
    ``start`` that :class:`MboxReader` would take for a separator, and whoever joins
    the ranges checks that it is where the range before ended (:class:`RangeReader`).
    """

    source: str
    path: str
    start: int
    stop: int | None
    exact: bool


class RangeReader:
    """Iterate over the messages of an :class:`MboxRange`, opening its file.

    After iterating, ``first`` is the offset of the first message (None: no message
    starts in the range), ``last`` that of the last, and ``end`` where the last one
    ends: the offset the next range must start at for the two to join. Reading from a
    message's separator on does not depend on what came before it, so a range whose
    ``first`` is that offset holds exactly the messages a reader of the whole file
    would have found there.
    """

    def __init__(self, part: MboxRange) -> None:
        self.part = part
        self.first: int | None = None
        self.last: int | None = None
        self.end = part.start

    def __iter__(self) -> Iterator[RawMessage]:
        part = self.part
        with open(part.path, "rb") as stream:
            begin = part.start if part.exact else first_separator(stream, part.start, part.stop)
            if begin is None:
                return
            stream.seek(begin)
            self.end = begin
            # the digest is taken by whoever joins the ranges, in order
            reader = MboxReader(stream, part.source, start=begin, digest=_NO_DIGEST)
            for message in reader:
                offset = int(message.offset)
                if part.stop is not None and offset >= part.stop:
                    return
                if self.first is None:
                    self.first = offset
                self.last = offset
                yield message
                self.end = reader.end_offset
            self.end = reader.end_offset


class JoinedRanges:
    """Where the ranges of one file, joined in order, have come to: what resuming needs.

    ``end_offset``, ``last_message_offset``, ``cr_only`` and ``digest`` mean what they
    mean on :class:`MboxReader`; the digest is taken here of the file's bytes (the
    workers that read the ranges take none), read on from where it stood.
    """

    cr_only = False  # files with lone CRs are read in one stream

    def __init__(self, path: str, start: int = 0, digest: Any = None) -> None:
        self.path = path
        self.end_offset = start
        self.last_message_offset: int | None = None
        self.failed = False  # a range could not be read: the ranges after it are not taken
        self._digest = digest.copy() if digest is not None else new_digest()
        self._hashed = start

    def accept(self, end: int, last: int | None) -> None:
        """The next range, which ends at ``end`` and whose last message is at ``last``."""
        self.end_offset = end
        if last is not None:
            self.last_message_offset = last

    @property
    def digest(self) -> Any:
        with open(self.path, "rb") as stream:
            stream.seek(self._hashed)
            while self._hashed < self.end_offset:
                chunk = stream.read(min(_CHUNK, self.end_offset - self._hashed))
                if not chunk:
                    break
                self._digest.update(chunk)
                self._hashed += len(chunk)
        return self._digest


class _NoDigest:
    def update(self, data: bytes | bytearray) -> None:
        pass


_NO_DIGEST = _NoDigest()


def first_separator(stream: BinaryIO, start: int, stop: int | None) -> int | None:
    """The offset of the first line in ``[start, stop)`` that :class:`MboxReader` would
    take for a separator, judged by the line, the next one and the one before; None when
    there is none.

    Content-Length and a ``From`` line right after a separator depend on where the
    message began, which is not known here: :class:`RangeReader`'s ``first`` is checked
    against the end of the range before.
    """
    position = max(start - 3, 0)  # room to see whether the line follows an empty one
    stream.seek(position)
    buf = bytearray()
    scan = 0
    eof = False
    while True:
        found = buf.find(b"\nFrom ", scan)
        line_start = found + 1
        line_end = buf.find(b"\n", line_start) if found >= 0 else -1
        next_end = buf.find(b"\n", line_end + 1) if line_end >= 0 else -1
        if found < 0 or (next_end < 0 and not eof):
            if eof:
                return None
            if found < 0:  # drop what is scanned, keep enough to see an empty line
                keep = max(len(buf) - 3, 0)
                position += keep
                del buf[:keep]
                scan = 0
                if stop is not None and position >= stop:
                    return None
            else:
                scan = found
            chunk = stream.read(_CHUNK)
            eof = not chunk
            buf += chunk
            continue
        if position + line_start >= start:
            if stop is not None and position + line_start >= stop:
                return None
            if _opens_message(buf, found, line_end, next_end):
                return position + line_start
        scan = line_start
