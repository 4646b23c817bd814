"""Split an mbox stream into messages, one at a time, in its real-world variants.

A line starting with ``From `` is a separator only when it looks like one, because
mboxo archives leave such lines unquoted in bodies. It must be followed by a header
field, and either follow an empty line or carry an envelope sender (``-`` or an
address) or an asctime date. Beyond that:

- mboxo and mboxrd quoting only touch bodies, which mxa does not read;
- Content-Length (mboxcl2, Netscape/Thunderbird) is trusted when it lands exactly on
  the next separator or the end of the file, so unquoted ``From`` lines in such
  bodies do not split a message;
- CRLF works as it is, CR-only files are read with CR turned into LF (one byte for
  one, so offsets stay true), a UTF-8 byte order mark is skipped;
- the separator's date is never used (public-inbox writes 1970 in every one).

Memory holds one chunk plus the current message, never the archive.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import BinaryIO

from analyzer.records import RawMessage

__all__ = ["MboxReader", "looks_like_mbox"]

_CHUNK = 4 << 20
_BOM = b"\xef\xbb\xbf"
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_TIME = re.compile(rb"\d{1,2}:\d{2}")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d{1,12})[ \t]*\r?$")
_CR_TO_LF = bytes.maketrans(b"\r", b"\n")
# A Content-Length beyond this is taken as corrupt rather than read into memory.
_MAX_CONTENT_LENGTH = 512 << 20


def looks_like_mbox(head: bytes) -> bool:
    """True when a file's first bytes open an mbox (after an optional BOM)."""
    head = head.removeprefix(_BOM).lstrip(b"\r\n")
    return head.startswith(b"From ")


def _is_cr_only(head: bytearray) -> bool:
    """True when the first line ends in a lone CR (old Mac line endings)."""
    cr, lf = head.find(b"\r"), head.find(b"\n")
    return cr >= 0 and head[cr + 1 : cr + 2] != b"\n" and (lf < 0 or cr < lf)


def _is_separator(line: bytes, next_line: bytes | None, after_blank: bool) -> bool:
    """``From SENDER [DATE]`` followed by a header field, in a believable place.

    After the sender comes nothing or a date: ``From Russia with love`` in a body
    is prose. Without an empty line before it (Netscape's Content-Length mboxes),
    the sender must be ``-`` or an address, or the line must carry a time.
    """
    if next_line is None or not _HEADER_LINE.match(next_line):
        return False
    words = line.split(None, 2)
    sender = words[1] if len(words) > 1 else b""
    rest = words[2] if len(words) > 2 else b""
    has_time = bool(_TIME.search(rest))
    if rest.strip() and not has_time:
        return False
    return after_blank or sender == b"-" or b"@" in sender or has_time


class MboxReader:
    """Iterate over the messages of an mbox stream.

    ``start`` resumes at a byte offset where an earlier run stopped (the stream
    must already be positioned there). After iteration, ``end_offset`` is the
    number of bytes consumed, the offset to resume from next time.
    """

    def __init__(
        self, stream: BinaryIO, source: str, start: int = 0, cr_only: bool = False
    ) -> None:
        self.stream = stream
        self.source = source
        self.start = start
        self.end_offset = start
        self.last_message_offset: int | None = None
        self._translate_cr = cr_only  # known from the first run when resuming
        self._compressed = not isinstance(stream, io.BufferedReader | io.BytesIO)

    # -- buffer handling ---------------------------------------------------------
    def _read(self) -> bytes:
        # read1 on a decompressing stream returns what is ready, so a truncated
        # .gz/.bz2/.xz yields every complete message before its error is raised.
        reader = getattr(self.stream, "read1", None) if self._compressed else None
        chunk = reader(_CHUNK) if reader else self.stream.read(_CHUNK)
        if self._translate_cr and chunk:
            chunk = chunk.translate(_CR_TO_LF)
        return chunk

    @property
    def cr_only(self) -> bool:
        return self._translate_cr

    def __iter__(self) -> Iterator[RawMessage]:
        buf = bytearray(self._read())
        base = self.start
        eof = not buf
        if self.start == 0:
            if buf.startswith(_BOM):
                del buf[:3]
                base += 3
            if _is_cr_only(buf):
                self._translate_cr = True
                buf = bytearray(bytes(buf).translate(_CR_TO_LF))
        leading = len(buf) - len(buf.lstrip(b"\r\n"))
        cur = leading  # start of the current message's separator line
        scan = cur

        def fill() -> bool:
            nonlocal buf, base, cur, scan, eof
            if cur > _CHUNK:
                del buf[:cur]
                base += cur
                scan -= cur
                cur = 0
            chunk = self._read()
            if not chunk:
                eof = True
                return False
            buf += chunk
            return True

        if not buf[cur:].startswith(b"From "):
            self.end_offset = base + len(buf)
            return

        length_checked_at = -1
        while True:
            if length_checked_at != base + cur:
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
                        yield self._message(buf, cur, len(buf), base)
                        break
                    if buf[after : after + 5] == b"From ":
                        yield self._message(buf, cur, after, base)
                        cur = scan = after
                        continue

            found = buf.find(b"\nFrom ", scan)
            if found < 0:
                if eof:
                    yield self._message(buf, cur, len(buf), base)
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
            line = bytes(buf[line_start : line_end if line_end >= 0 else len(buf)])
            next_line = None
            if line_end >= 0 and line_end + 1 < len(buf):
                next_line = bytes(buf[line_end + 1 : next_end if next_end >= 0 else len(buf)])
            after_blank = buf[found - 1 : found] == b"\n" or buf[found - 2 : found] == b"\n\r"
            if _is_separator(line, next_line, after_blank):
                yield self._message(buf, cur, line_start, base)
                cur = line_start
            scan = line_start
        self.end_offset = base + len(buf)

    @staticmethod
    def _content_length(buf: bytearray, cur: int) -> int:
        """Bytes from ``cur`` to where Content-Length says the message ends.

        -1 when there is no such header, -2 when the header block is not yet
        complete in the buffer.
        """
        line_end = buf.find(b"\n", cur)
        if line_end < 0:
            return -2
        lf = buf.find(b"\n\n", line_end)
        crlf = buf.find(b"\n\r\n", line_end, lf if lf >= 0 else len(buf))
        if lf < 0 and crlf < 0:
            return -2
        header_end, body_start = (crlf, crlf + 3) if crlf >= 0 else (lf, lf + 2)
        match = _CONTENT_LENGTH.search(buf, line_end, header_end + 1)
        if not match or int(match.group(1)) > _MAX_CONTENT_LENGTH:
            return -1
        return body_start + int(match.group(1)) - cur

    def _message(self, buf: bytearray, start: int, end: int, base: int) -> RawMessage:
        self.end_offset = base + end  # what is complete so far
        self.last_message_offset = base + start
        body_start = buf.find(b"\n", start, end)
        body_start = end if body_start < 0 else body_start + 1
        if end - body_start >= 2 and buf[end - 2 : end] == b"\r\n":
            end -= 2
        elif end > body_start and buf[end - 1 : end] == b"\n":
            end -= 1
        return RawMessage(self.source, str(base + start), bytes(buf[body_start:end]))
