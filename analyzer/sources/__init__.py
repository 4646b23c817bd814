"""Sources: from the paths a user names to a stream of raw messages.

A path may be an mbox (plain or ``.gz``/``.bz2``/``.xz``, recognised by its magic
bytes, not its name), a one-message file (``.eml``; Outlook's ``.msg``, Apple Mail's
``.emlx``), Outlook's ``.pst``/``.ost``, a Maildir, or any folder, walked
recursively. In a folder, a file is mail when it is an ``.eml``, sits in a Maildir's
``cur/`` or ``new/``, or its first bytes say so, whatever its name: an mbox, a PST, an
Outlook message, an emlx, or a header block that names From, Date, Received or
Message-ID. Anything else (READMEs, Thunderbird's ``.msf`` indexes, keys) is listed as
skipped with the reason, never silently dropped, and so is a folder that cannot be read.
A source with no mail in it at all is an error, not an empty run.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from analyzer.errors import SourceError
from analyzer.records import Quarantined, RawMessage
from analyzer.sources.container import ContainerProblem
from analyzer.sources.emlx import looks_like_emlx, read_emlx
from analyzer.sources.mbox import (
    DIGEST,
    HEAD_KEEP,
    JoinedRanges,
    MboxReader,
    TooLarge,
    digest_name,
    digest_text,
    looks_like_mbox,
    new_digest,
    translated,
)
from analyzer.sources.outlook_msg import is_outlook_message, read_msg
from analyzer.sources.outlook_pst import looks_like_pst
from analyzer.sources.sniff import looks_like_message

__all__ = [
    "EXPANSION_FLOOR",
    "MAX_EXPANSION",
    "ONE_MESSAGE_KINDS",
    "READ_ERRORS",
    "MboxResume",
    "Skipped",
    "SourceFile",
    "SourceReader",
    "TooLarge",
    "discover_sources",
    "expansion_limit",
    "is_compressed",
    "mbox_resume",
    "mbox_state",
    "open_archive",
    "open_counted",
    "prefix_digests",
]

_SNIFF_BYTES = 4096
_MAIL_EXTENSIONS = (".eml",)
# the kinds of file that hold one message each
ONE_MESSAGE_KINDS = ("message", "msg", "emlx")
_MAILDIR_LEAVES = ("cur", "new")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file to read: an mbox or a one-message file.

    ``source`` is the archive: the mbox file itself, or for one-message files the
    path the user named (a folder, a Maildir, the file); ``path`` is this file.
    """

    source: str
    path: Path
    # "mbox", "pst", or a one-message file: "message" (.eml, Maildir), "msg" (Outlook),
    # "emlx" (Apple Mail); or "unreadable" (then ``problem`` says why)
    kind: str
    size: int
    problem: str | None = None


_DECOMPRESSORS = (
    (b"\x1f\x8b", gzip.open),
    (b"BZh", bz2.open),
    (b"\xfd7zXZ\x00", lzma.open),
)
# what reading a source can raise: a vanished or damaged file, a broken or exploding stream
READ_ERRORS = (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error, SourceError, TooLarge)
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


@dataclass(frozen=True)
class MboxResume:
    """Where to read an mbox on from: the file an earlier run read up to ``offset`` is the
    same up to there (it grew, or that run stopped)."""

    offset: int
    cr_only: bool
    digest: Any  # of the bytes before ``offset``, to go on with


def mbox_state(reader: SourceReader | MboxReader | JoinedRanges) -> dict[str, Any]:
    """What a later run needs to read an mbox on from where ``reader`` has come to:
    the store keeps it with the file's entry (``mxa-store.json``)."""
    return {
        "end_offset": reader.end_offset,
        "resume_offset": reader.last_message_offset,
        "cr_only": reader.cr_only,
        "digest": digest_text(reader.digest),
    }


def mbox_resume(path: Path, state: dict[str, Any]) -> MboxResume | None:
    """Where to read an mbox on from, given the state :func:`mbox_state` gave an earlier
    run; None when the bytes that run read have changed (the file was rewritten, not
    grown), or cannot be read to check.

    A complete file is read on from its last message, which may have grown too; an
    interrupted one from where the run stopped.
    """
    if not state.get("digest"):
        return None
    end = int(state.get("end_offset", 0))
    resume = end if not state.get("complete") else int(state.get("resume_offset") or 0)
    cr_only = bool(state.get("cr_only"))
    name = digest_name(state["digest"])
    try:
        digests = prefix_digests(path, (end, resume), cr_only, name)
    except READ_ERRORS:
        return None
    if digests is None or digests[0].hexdigest() != state["digest"].rpartition(":")[2]:
        return None
    return MboxResume(resume, cr_only, digests[1])


def prefix_digests(
    path: Path, ends: tuple[int, ...], cr_only: bool, name: str = DIGEST
) -> list[Any] | None:
    """Digests (by algorithm ``name``) of an mbox's first ``ends[i]`` (decompressed) bytes,
    as its reader's running digest covers them; None if the file is shorter: how a later
    run tells a grown file from a rewritten one."""
    digest = new_digest(name)
    found: list[Any] = []
    done = 0
    with open_counted(path) as (stream, _):
        for end in sorted(ends):
            while done < end:
                chunk = stream.read(min(1 << 20, end - done))
                if not chunk:
                    return None
                digest.update(translated(chunk, cr_only))
                done += len(chunk)
            found.append(digest.copy())
    order = sorted(range(len(ends)), key=lambda i: ends[i])
    result: list[Any] = [None] * len(ends)
    for position, index in enumerate(order):
        result[index] = found[position]
    return result


def open_archive(path: Path) -> BinaryIO:
    """Open a file for binary reading, decompressing gzip, bzip2 or xz by magic."""
    with open(path, "rb") as probe:
        opener = _decompressor(probe.read(6))
    return opener(path, "rb") if opener else open(path, "rb")  # type: ignore[return-value]


class _Undecodable(Exception):
    """A compressed file whose first bytes do not decompress."""


def _head(path: Path) -> bytes:
    try:
        with open_archive(path) as stream:
            return stream.read(_SNIFF_BYTES)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as error:
        raise _Undecodable(f"{type(error).__name__}: {error}") from None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary: .msg, .doc, .xls
_MORK_MAGIC = b"// <!-- <mdb:mork"  # Thunderbird's folder index (.msf)
NOT_AN_OUTLOOK_MESSAGE = "an Office document (OLE2), not an Outlook message"
THUNDERBIRD_INDEX = "a Thunderbird index (.msf), not mail"


def _container_kind(path: Path, head: bytes) -> tuple[str | None, str | None]:
    """The kind of mail container a file's first bytes say it is, whatever its name,
    or why a file that looks like one is not mail (None, None: neither)."""
    if looks_like_pst(head):
        return "pst", None
    if head.startswith(_OLE2_MAGIC):
        # a .msg that does not open as one is a damaged message, quarantined with the reason
        if is_outlook_message(path) or path.suffix.lower() == ".msg":
            return "msg", None
        return None, NOT_AN_OUTLOOK_MESSAGE
    if head.startswith(_MORK_MAGIC):
        return None, THUNDERBIRD_INDEX
    if looks_like_emlx(head):
        return "emlx", None
    return None, None


def _classify_named_file(path: Path, source: str) -> tuple[SourceFile, str | None]:
    """A file named as a source, and why it holds no mail (None when it may).

    An ``.eml`` is a message whatever it holds (bad mail is quarantined with the reason),
    and so is a compressed file that does not open; any other file must open like an
    mbox, a PST, or a message (an Outlook or Apple Mail one too).
    """
    try:
        head = _head(path)
    except _Undecodable as problem:
        return SourceFile(source, path, "unreadable", _size(path), str(problem)), None
    if looks_like_mbox(head):
        return SourceFile(source, path, "mbox", _size(path)), None
    kind, not_mail = _container_kind(path, head)
    if kind is not None:
        return SourceFile(source, path, kind, _size(path)), None
    found = SourceFile(source, path, "message", _size(path))
    if not_mail:
        return found, not_mail
    if path.suffix.lower() in _MAIL_EXTENSIONS or looks_like_message(head):
        return found, None
    if not head.strip():
        return found, "the file is empty" if not head else "the file holds only blank space"
    return found, "not an mbox, .eml, PST, Outlook or Apple Mail message, or Maildir"


class Skipped(str):
    """A path under a folder that was not read, shown as ``PATH (REASON)``.

    ``may_hold_mail`` marks the ones that were not looked into (a folder that cannot be
    read, a broken link): mail there is missing from the run, so they are always shown.
    """

    path: str
    reason: str
    may_hold_mail: bool

    def __new__(cls, path: Path | str, reason: str, may_hold_mail: bool = False) -> Skipped:
        skipped = super().__new__(cls, f"{path} ({reason})")
        skipped.path, skipped.reason, skipped.may_hold_mail = str(path), reason, may_hold_mail
        return skipped

    def __reduce__(self) -> tuple[type[Skipped], tuple[str, str, bool]]:
        return (Skipped, (self.path, self.reason, self.may_hold_mail))


NOT_MAIL = "not mail"
EMPTY = "empty"  # a mail program's folder that holds nothing yet (Thunderbird's Drafts)
HIDDEN = "a hidden file"
LINK_BACK = "a link back to a folder already read"


def _entries(
    folder: Path, skipped: list[Skipped], seen: set[tuple[int, int]]
) -> list[os.DirEntry[str]]:
    """A folder's entries in name order; none, and a reason in ``skipped``, for a folder
    that cannot be read or that was read already (a link back up)."""
    try:
        status = folder.stat()
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        reason = f"cannot read the folder: {error.strerror or error}"
        skipped.append(Skipped(folder, reason, may_hold_mail=True))
        return []
    if (status.st_dev, status.st_ino) in seen:
        skipped.append(Skipped(folder, LINK_BACK))
        return []
    seen.add((status.st_dev, status.st_ino))
    return entries


@dataclass
class _Folder:
    """A folder being walked: its entries still to see, and whether it is a Maildir leaf."""

    path: Path
    entries: Iterator[os.DirEntry[str]]
    maildir_leaf: bool


def _walk(folder: Path, skipped: list[Skipped]) -> Iterator[tuple[Path, bool]]:
    """Files under ``folder`` in a stable order (depth first, by name); the flag marks
    Maildir leaves.

    A stack, not recursion: folders may be nested thousands deep. Symbolic links to
    folders are followed, each real folder once (a link loop is listed as skipped); a
    folder that cannot be read, or a broken link, is listed as skipped with the reason.
    """
    seen: set[tuple[int, int]] = set()

    def opened(path: Path) -> _Folder:
        leaf = path.name in _MAILDIR_LEAVES and (path.parent / "cur").is_dir()
        return _Folder(path, iter(_entries(path, skipped, seen)), leaf)

    stack = [opened(folder)]
    while stack:
        current = stack[-1]
        entry = next(current.entries, None)
        if entry is None:
            stack.pop()
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError as error:
            skipped.append(Skipped(path, str(error.strerror or error), may_hold_mail=True))
            continue
        if is_dir:
            if entry.name == ".git" or (entry.name == "tmp" and (current.path / "cur").is_dir()):
                continue
            stack.append(opened(path))
        elif is_file:
            yield path, current.maildir_leaf
        elif entry.is_symlink():
            skipped.append(Skipped(path, "a broken link", may_hold_mail=True))
        else:
            skipped.append(Skipped(path, "not a file or folder (a pipe, socket or device)"))


def _saved_as_eml(path: Path) -> str:
    """The kind of a file named ``.eml``: a message, unless its bytes say it is an Outlook
    message, a PST or an Apple Mail emlx."""
    try:
        head = _head(path)
    except _Undecodable:
        return "message"  # quarantined with the reason when read
    kind, _ = _container_kind(path, head)
    return kind or "message"


def _discover_folder(folder: Path, source: str, skipped: list[Skipped]) -> list[SourceFile]:
    found = []
    for path, in_maildir in _walk(folder, skipped):
        if path.name.startswith(".") and not in_maildir:
            skipped.append(Skipped(path, HIDDEN))
            continue
        size = _size(path)
        if in_maildir:
            found.append(SourceFile(source, path, "message", size))
            continue
        if path.suffix.lower() in _MAIL_EXTENSIONS:
            # a message whatever it holds, but an Outlook or Apple Mail one saved as .eml
            # is read as what its bytes say
            kind = _saved_as_eml(path)
            found.append(SourceFile(str(path) if kind == "pst" else source, path, kind, size))
            continue
        try:
            head = _head(path)
        except _Undecodable as problem:
            found.append(SourceFile(str(path), path, "unreadable", size, str(problem)))
            continue
        kind, not_mail = _container_kind(path, head)
        if looks_like_mbox(head) or kind == "pst":
            # an mbox (or PST) in a folder is an archive of its own: offsets are within it
            found.append(SourceFile(str(path), path, kind or "mbox", size))
        elif kind is not None:
            found.append(SourceFile(source, path, kind, size))
        elif not not_mail and looks_like_message(head):
            found.append(SourceFile(source, path, "message", size))
        else:
            skipped.append(Skipped(path, not_mail or (EMPTY if not head else NOT_MAIL)))
    return found


def _no_mail_in_folder(found: list[SourceFile], skipped: list[Skipped]) -> str | None:
    """Why a folder named as a source holds no mail; None when it does."""
    if found:
        return None
    if not skipped:
        return "no mail in it (no mbox, PST, Maildir, .eml, .msg or .emlx)"
    shown = "; ".join(skipped[:3]) + (f"; and {len(skipped) - 3} more" if len(skipped) > 3 else "")
    return f"no mail in it (skipped: {shown})"


def discover_sources(
    paths: Sequence[str | os.PathLike[str]],
) -> tuple[list[SourceFile], list[Skipped]]:
    """Every file to read under ``paths``, and the paths skipped, each with its reason.

    Raises :class:`SourceError` before anything is ingested for a path that does not
    exist or cannot be read, and for a source with no mail in it (a file that is neither
    an mbox nor a message, a folder with neither in it), naming each such source: a run
    never ends in an empty audit because a source was not what it seemed.
    """
    if not paths:
        raise SourceError("no source given")
    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    no_mail: list[str] = []
    for given in paths:
        path = Path(given)
        source = str(given)
        if not path.exists():
            raise SourceError(f"no such file or folder: {source}")
        if path.is_dir():
            under: list[Skipped] = []
            found = _discover_folder(path, source, under)
            problem = _no_mail_in_folder(found, under)
            files.extend(found)
            skipped.extend(under)
        elif path.is_file():
            if not os.access(path, os.R_OK):
                raise SourceError(f"cannot read {source}: permission denied")
            found_file, problem = _classify_named_file(path, source)
            files.append(found_file)
        else:
            raise SourceError(f"not a file or folder: {source}")
        if problem:
            no_mail.append(f"{source}: {problem}")
    if no_mail:
        raise SourceError(f"no mail found in {'; in '.join(no_mail)}")
    return files, skipped


class SourceReader:
    """The raw messages of one file; for an mbox, resumable at a byte offset.

    One-message files are located by their path (``offset``), mbox messages by the
    byte offset of their separator line in the (decompressed) stream. While reading,
    ``end_offset`` is the end of the last message read (where a later run resumes),
    ``digest`` covers the bytes before it, and :meth:`position` tells how far into
    the file on disk reading has come. A message larger than
    :data:`~analyzer.sources.mbox.MESSAGE_KEEP` keeps only its head; a compressed file
    that expands past :func:`expansion_limit` stops with
    :class:`~analyzer.sources.mbox.TooLarge`.
    """

    def __init__(
        self,
        source_file: SourceFile,
        start: int = 0,
        cr_only: bool = False,
        digest: Any = None,
    ) -> None:
        self.source_file = source_file
        self.start = start
        self._cr_only = cr_only
        self._digest = digest
        self._end_offset = start
        self._mbox: MboxReader | None = None
        self._raw: BinaryIO | None = None
        self._stream: BinaryIO | None = None

    @property
    def end_offset(self) -> int:
        return self._mbox.end_offset if self._mbox else self._end_offset

    @property
    def last_message_offset(self) -> int | None:
        return self._mbox.last_message_offset if self._mbox else None

    @property
    def cr_only(self) -> bool:
        return self._mbox.cr_only if self._mbox else self._cr_only

    @property
    def digest(self) -> Any:
        return self._mbox.digest if self._mbox else self._digest

    def position(self) -> int:
        """Bytes of the file on disk read so far (of a compressed file: compressed bytes)."""
        try:
            if self._raw is not None:
                return self._raw.tell()
            if self._stream is not None and self._mbox is not None:
                return self._mbox.end_offset
        except (OSError, ValueError):
            pass
        return self._end_offset

    def __iter__(self) -> Iterator[RawMessage]:
        path = self.source_file.path
        try:
            opened = open_counted(path)
            stream, raw = opened.__enter__()
        except OSError as error:
            raise SourceError(f"cannot read {path}: {error.strerror or error}") from None
        self._stream, self._raw = stream, raw
        limit = expansion_limit(path) if raw is not None else None
        try:
            if self.source_file.kind in ONE_MESSAGE_KINDS:
                yield self._one_message(stream, limit)
                return
            if self.start:
                stream.seek(self.start)
            self._mbox = MboxReader(
                stream, self.source_file.source, start=self.start, cr_only=self._cr_only,
                digest=self._digest, max_bytes=limit,
            )  # fmt: skip
            yield from self._mbox
        finally:
            opened.__exit__(None, None, None)

    def _one_message(self, stream: BinaryIO, limit: int | None) -> RawMessage | Quarantined:
        """A one-message file: its first HEAD_KEEP bytes, and its full size; an Outlook
        or Apple Mail one as the message it holds, or quarantined with the reason."""
        path = self.source_file.path
        if self.source_file.kind in ("msg", "emlx"):
            return self._container_message(stream)
        data = stream.read(HEAD_KEEP)
        size = len(data)
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if limit is not None and size > limit:
                raise TooLarge(f"expands past {limit:,} bytes")
        self._end_offset = size
        return RawMessage(
            self.source_file.source, str(path), data, size if size > len(data) else None
        )

    def _container_message(self, stream: BinaryIO) -> RawMessage | Quarantined:
        source, path = self.source_file.source, self.source_file.path
        try:
            if self.source_file.kind == "msg":
                data, delivered = read_msg(path), None
            else:
                emlx = read_emlx(stream.read())
                data, delivered = emlx.message, emlx.delivered
        except ContainerProblem as problem:
            return Quarantined(source, str(path), problem.reason[:300], problem.code)
        self._end_offset = self.source_file.size
        return RawMessage(source, str(path), data, None, delivered)
