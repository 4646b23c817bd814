"""Discovery: every file to read under the paths a user names, and every one skipped.

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

import lzma
import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import SourceError
from analyzer.sources.compressed import open_archive
from analyzer.sources.emlx import looks_like_emlx
from analyzer.sources.mbox import looks_like_mbox
from analyzer.sources.outlook_msg import is_outlook_message
from analyzer.sources.outlook_pst import looks_like_pst
from analyzer.sources.sniff import looks_like_message

__all__ = [
    "EMPTY",
    "HIDDEN",
    "LINK_BACK",
    "NOT_AN_OUTLOOK_MESSAGE",
    "NOT_MAIL",
    "ONE_MESSAGE_KINDS",
    "THUNDERBIRD_INDEX",
    "Skipped",
    "SourceFile",
    "discover_sources",
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
