"""Handing freed memory back to the system between the stages of a big analysis.

glibc keeps memory a process freed in its arenas, for reuse; after a stage that built
and dropped hundreds of megabytes of small objects (a linkability context, Arrow's
reader threads), much of it stays resident although nothing uses it, and the next
stage's peak comes on top. ``malloc_trim`` returns the free pages (0.7 GB after the
analysis of a million messages).
"""

from __future__ import annotations

import contextlib
import ctypes

__all__ = ["release_freed_memory"]


def release_freed_memory() -> None:
    """Return the free pages of glibc's arenas to the system (nothing elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
