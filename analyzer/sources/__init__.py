"""Sources: from the paths a user names to a stream of raw messages.

A path may be an mbox (plain or ``.gz``/``.bz2``/``.xz``, recognised by its magic
bytes, not its name), a one-message file (``.eml``), a Maildir, or any folder,
walked recursively. In a folder, a file is mail when it is an ``.eml``, sits in a
Maildir's ``cur/`` or ``new/``, opens like an mbox, or opens with a header block
that names From, Date, Received or Message-ID; anything else (READMEs, indexes,
keys) is listed as skipped, never silently dropped.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from analyzer.errors import SourceError
from analyzer.records import RawMessage
from analyzer.sources.mbox import MboxReader, looks_like_mbox

__all__ = [
    "SourceFile",
    "SourceReader",
    "discover_sources",
    "is_compressed",
    "open_archive",
]

_SNIFF_BYTES = 4096
_MAIL_EXTENSIONS = (".eml",)
_MAILDIR_LEAVES = ("cur", "new")
_FIELD_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_TELLTALE_FIELD = re.compile(
    rb"(?im)^(from|date|received|message-id|return-path|delivered-to)[ \t]*:"
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file to read: an mbox or a one-message file.

    ``source`` is the archive: the mbox file itself, or for one-message files the
    path the user named (a folder, a Maildir, the file); ``path`` is this file.
    """

    source: str
    path: Path
    kind: str  # "mbox", "message", or "unreadable" (then ``problem`` says why)
    size: int
    problem: str | None = None


_DECOMPRESSORS = (
    (b"\x1f\x8b", gzip.open),
    (b"BZh", bz2.open),
    (b"\xfd7zXZ\x00", lzma.open),
)


def _decompressor(path: Path):
    with open(path, "rb") as probe:
        magic = probe.read(6)
    return next((opener for prefix, opener in _DECOMPRESSORS if magic.startswith(prefix)), None)


def is_compressed(path: Path) -> bool:
    return _decompressor(path) is not None


def open_archive(path: Path) -> BinaryIO:
    """Open a file for binary reading, decompressing gzip, bzip2 or xz by magic."""
    opener = _decompressor(path)
    return opener(path, "rb") if opener else open(path, "rb")  # type: ignore[return-value]


class _Undecodable(Exception):
    """A compressed file whose first bytes do not decompress."""


def _head(path: Path) -> bytes:
    try:
        with open_archive(path) as stream:
            return stream.read(_SNIFF_BYTES)
    except PermissionError as error:
        raise SourceError(f"cannot read {path}: {error}") from None
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as error:
        raise _Undecodable(f"{type(error).__name__}: {error}") from None


def _looks_like_message(head: bytes) -> bool:
    head = head.removeprefix(b"\xef\xbb\xbf")
    if not _FIELD_LINE.match(head):
        return False
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    return bool(_TELLTALE_FIELD.search(block))


def _classify_named_file(path: Path, source: str) -> SourceFile:
    try:
        head = _head(path)
    except _Undecodable as problem:
        return SourceFile(source, path, "unreadable", path.stat().st_size, str(problem))
    kind = "mbox" if looks_like_mbox(head) else "message"
    return SourceFile(source, path, kind, path.stat().st_size)


def _walk(folder: Path) -> Iterator[tuple[Path, bool]]:
    """Files under ``folder`` in a stable order; the flag marks Maildir leaves."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        raise SourceError(f"cannot read folder {folder}: {error}") from None
    in_maildir_leaf = folder.name in _MAILDIR_LEAVES and (folder.parent / "cur").is_dir()
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if entry.name == ".git" or (entry.name == "tmp" and (folder / "cur").is_dir()):
                continue
            yield from _walk(path)
        elif entry.is_file():
            yield path, in_maildir_leaf


def _discover_folder(folder: Path, source: str, skipped: list[str]) -> list[SourceFile]:
    found = []
    for path, in_maildir in _walk(folder):
        if path.name.startswith(".") and not in_maildir:
            skipped.append(str(path))
            continue
        size = path.stat().st_size
        if in_maildir or path.suffix.lower() in _MAIL_EXTENSIONS:
            found.append(SourceFile(source, path, "message", size))
            continue
        try:
            head = _head(path)
        except _Undecodable as problem:
            found.append(SourceFile(str(path), path, "unreadable", size, str(problem)))
            continue
        if looks_like_mbox(head):
            # an mbox in a folder is an archive of its own: offsets are within it
            found.append(SourceFile(str(path), path, "mbox", size))
        elif _looks_like_message(head):
            found.append(SourceFile(source, path, "message", size))
        else:
            skipped.append(str(path))
    return found


def discover_sources(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[SourceFile], list[str]]:
    """Every file to read under ``paths``, and the files skipped as not mail.

    Raises :class:`SourceError` for a path that does not exist or cannot be read,
    before anything is ingested.
    """
    if not paths:
        raise SourceError("no source given")
    files: list[SourceFile] = []
    skipped: list[str] = []
    for given in paths:
        path = Path(given)
        source = str(given)
        if not path.exists():
            raise SourceError(f"no such file or folder: {source}")
        if path.is_dir():
            files.extend(_discover_folder(path, source, skipped))
        elif path.is_file():
            if not os.access(path, os.R_OK):
                raise SourceError(f"cannot read {source}: permission denied")
            files.append(_classify_named_file(path, source))
        else:
            raise SourceError(f"not a file or folder: {source}")
    return files, skipped


class SourceReader:
    """The raw messages of one file; for an mbox, resumable at a byte offset.

    One-message files are located by their path (``offset``), mbox messages by
    the byte offset of their separator line in the (decompressed) stream. After
    iteration ``end_offset`` is where a later run on a grown mbox resumes.
    """

    def __init__(self, source_file: SourceFile, start: int = 0, cr_only: bool = False) -> None:
        self.source_file = source_file
        self.start = start
        self.end_offset = start
        self.cr_only = cr_only
        self.last_message_offset: int | None = None

    def __iter__(self) -> Iterator[RawMessage]:
        path = self.source_file.path
        try:
            stream = open_archive(path)
        except OSError as error:
            raise SourceError(f"cannot read {path}: {error}") from None
        with stream:
            if self.source_file.kind == "message":
                data = stream.read()
                self.end_offset = len(data)
                yield RawMessage(self.source_file.source, str(path), data)
                return
            if self.start:
                stream.seek(self.start)
            reader = MboxReader(
                stream, self.source_file.source, start=self.start, cr_only=self.cr_only
            )
            try:
                yield from reader
            finally:
                self.end_offset = reader.end_offset
                self.last_message_offset = reader.last_message_offset
                self.cr_only = reader.cr_only
