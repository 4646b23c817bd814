"""The byte searches that the mbox split and header extraction make on every message.

``bytes.find`` is slow for the needles they look for (a two-byte ``\\n\\n`` over a header
block, ``\\nFrom `` over every body): the C module ``analyzer._fast`` does the same with
the C library's ``memchr`` and ``memmem``, a few times faster. Where mxa was installed
without a compiler the Python versions below do it; they are also the reference the C
ones are tested against (``tests/test_fast.py``).
"""

from __future__ import annotations

__all__ = ["blank_line", "blank_line_in_python", "find", "find_in_python"]


def find_in_python(data: bytes | bytearray, needle: bytes, start: int, stop: int) -> int:
    """``data.find(needle, start, stop)``."""
    return data.find(needle, start, stop)


def blank_line_in_python(
    data: bytes | bytearray, start: int, stop: int, before: bytes = b""
) -> int:
    """Where the first empty line (``\\n\\n`` or ``\\n\\r\\n``) in ``data[start:stop]``
    begins, -1 when there is none: the offset of the LF before it. With ``before`` (no
    line end in it), -2 when a line starting with it comes first; the search stops there,
    so that a message without a body does not send it through the next ones."""
    first = data.find(b"\n" + before, start, stop) if before else -1
    if first >= 0:
        stop = first + 1
    lf = data.find(b"\n\n", start, stop)
    # only a CRLF blank line before the LF one matters: don't scan beyond it
    crlf = data.find(b"\n\r\n", start, lf + 2 if lf >= 0 else stop)
    found = crlf if crlf >= 0 else lf
    return -2 if found < 0 and first >= 0 else found


try:
    from analyzer._fast import blank_line, find
except ImportError:  # installed without a C compiler
    blank_line, find = blank_line_in_python, find_in_python
