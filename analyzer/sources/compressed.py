"""Compressed mail files: gzip, bzip2 and xz, known by their magic bytes, not their
names, and how far one may expand before it is taken for a decompression bomb."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "EXPANSION_FLOOR",
    "MAX_EXPANSION",
    "expansion_limit",
    "is_compressed",
    "open_archive",
    "open_counted",
]

_DECOMPRESSORS = (
    (b"\x1f\x8b", gzip.open),
    (b"BZh", bz2.open),
    (b"\xfd7zXZ\x00", lzma.open),
)
# A compressed file may expand this many times its size (at least EXPANSION_FLOOR bytes)
# before it is taken for a decompression bomb; real mail compresses 3 to 10 times.
MAX_EXPANSION = 100
EXPANSION_FLOOR = 1 << 30


def _decompressor(magic: bytes):
    return next((opener for prefix, opener in _DECOMPRESSORS if magic.startswith(prefix)), None)


def is_compressed(path: Path) -> bool:
    with open(path, "rb") as probe:
        return _decompressor(probe.read(6)) is not None


def expansion_limit(path: Path) -> int:
    """How many bytes a compressed file may expand to before it is stopped."""
    return max(EXPANSION_FLOOR, MAX_EXPANSION * path.stat().st_size)


@contextlib.contextmanager
def open_counted(path: Path) -> Iterator[tuple[BinaryIO, BinaryIO | None]]:
    """The file's (decompressed) stream, and the compressed file under it, if any.

    The raw file's position tells how much of a compressed file has been read.
    """
    with open(path, "rb") as raw:
        opener = _decompressor(raw.read(6))
        raw.seek(0)
        if opener is None:
            yield raw, None
            return
        with opener(raw, "rb") as stream:
            yield stream, raw


def open_archive(path: Path) -> BinaryIO:
    """Open a file for binary reading, decompressing gzip, bzip2 or xz by magic."""
    with open(path, "rb") as probe:
        opener = _decompressor(probe.read(6))
    return opener(path, "rb") if opener else open(path, "rb")  # type: ignore[return-value]
