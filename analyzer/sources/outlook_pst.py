"""Outlook's data files, ``.pst`` (personal folders) and ``.ost`` (offline stores), read
through libyal's libpff (``pypff``, the ``outlook`` extra).

Outlook keeps, for each received item, the header block it arrived with
(``PR_TRANSPORT_MESSAGE_HEADERS``): Received chain, Message-ID, user agent, as in an
mbox. That header block, and the attachment that holds an S/MIME or PGP body, is all
that is read of an item (:func:`~analyzer.sources.outlook_mime.rfc822_from_outlook`
makes the message of them); text bodies are never read.

A file is read in chunks of a folder's items (:class:`PstChunk`) that a worker process
opens the file for itself, as it reads a byte range of an mbox. Each item's ``source`` is
the file and its folder path (``archive.pst/Top of Personal Folders/Sent Items``, so that
a sent folder gives its role), its ``offset`` the item's node id in the file. Items that
are not mail (appointments, contacts, tasks) are counted, not quarantined; mail that
Outlook keeps without transport headers (what the owner sent, drafts) is quarantined
with the reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.records import Quarantined, RawMessage
from analyzer.sources.container import ContainerProblem
from analyzer.sources.outlook_mime import (
    OutlookAttachment,
    might_hold_crypto,
    needs_attachments,
    rfc822_from_outlook,
)
from analyzer.vocabulary import QuarantineCode

__all__ = [
    "CHUNK_ITEMS",
    "LIBPFF_ERRORS",
    "PST_MAGIC",
    "PstChunk",
    "PstFolder",
    "PstRead",
    "file_digest",
    "looks_like_pst",
    "pst_chunks",
    "pst_folders",
    "read_chunk",
]

PST_MAGIC = b"!BDN"  # MS-PST 2.2.2.6: dwMagic, in .pst and .ost alike
# items a worker reads at a time: enough to outweigh opening the file, few enough to spread
CHUNK_ITEMS = 250
# the MAPI properties read besides the transport headers
_MESSAGE_CLASS = 0x001A
_ATTACH_MIME_TAG = 0x370E
# message classes of mail (what is not one of these is a calendar item, contact, task...)
_MAIL_CLASSES = ("ipm.note", "report.", "ipm.schedule.meeting", "ipm.post")


def looks_like_pst(head: bytes) -> bool:
    """Whether a file's first bytes are those of a PST or OST, whatever its name."""
    return head.startswith(PST_MAGIC)


@dataclass(frozen=True)
class PstFolder:
    """A folder of a PST: its path of names, how to find it again (sub-folder indices
    from the root), and how many items it holds."""

    name_path: str
    route: tuple[int, ...]
    items: int
    problem: str | None = None  # why the folder cannot be read (damage): quarantined


@dataclass(frozen=True)
class PstChunk:
    """Items ``start`` to ``stop`` of a folder: a unit of work a worker reads itself.

    ``source`` is the file as the user's archive; each item's source is that and the
    folder's path."""

    source: str
    path: str
    folder: PstFolder
    start: int
    stop: int

    @property
    def item_source(self) -> str:
        return f"{self.source}/{self.folder.name_path}"


@dataclass
class PstRead:
    """What a chunk held: its messages (and quarantined items), and how many items were
    not mail."""

    items: list[RawMessage | Quarantined] = field(default_factory=list)
    not_mail: int = 0


# what libpff raises on a damaged file (OSError), and what a damaged item sets off in its
# binding: an item of another type than the folder lists (no transport_headers), bad values
LIBPFF_ERRORS = (OSError, AttributeError, TypeError, ValueError, OverflowError, MemoryError)


def _libpff_reason(error: Exception) -> str:
    """libpff's error is a chain of 'function: what' clauses: the binding's, then from
    the innermost cause outwards. The cause says why."""
    clauses = [c.strip() for c in re.split(r"\.\s+(?=\w+: )", str(error)) if c.strip()]
    cause = clauses[1] if len(clauses) > 1 else clauses[0] if clauses else repr(error)
    return re.sub(r"\(\s*(.*?)\s*\)", r"(\1)", cause.split(": ", 1)[-1].rstrip("."))


def _open(path: str) -> Any:
    try:
        import pypff
    except ImportError:
        raise ContainerProblem(
            QuarantineCode.UNREADABLE,
            "an Outlook data file: reading it needs libpff-python (pip install 'mxa[outlook]')",
        ) from None
    opened = pypff.file()
    try:
        opened.open(path)
    except LIBPFF_ERRORS as error:
        reason = f"not a readable Outlook data file: {_libpff_reason(error)}"
        raise ContainerProblem(QuarantineCode.UNREADABLE, reason[:300]) from None
    return opened


# the file this process has open, read chunk by chunk, and which it is: this process (a
# forked worker must not read through its parent's handle) and this file's very bytes
_opened: tuple[tuple[int, str, int, int, int], Any] | None = None


def _opened_file(path: str) -> Any:
    global _opened
    try:
        status = os.stat(path)
    except OSError as error:
        raise _unreadable(error) from None
    key = (os.getpid(), path, status.st_ino, status.st_size, status.st_mtime_ns)
    if _opened is None or _opened[0] != key:
        if _opened is not None and _opened[0][0] == key[0]:
            _opened[1].close()
        _opened = None
        _opened = (key, _open(path))
    return _opened[1]


def pst_folders(path: str | Path) -> list[PstFolder]:
    """Every folder of the file that holds items, depth first in the file's order (the
    same file gives the same list: a run read part of it goes on from a chunk).

    Raises :class:`ContainerProblem` when the file does not open: corrupt, cut short,
    or not one.
    """
    opened = _open(str(path))
    try:
        return _folders(opened.root_folder)
    finally:
        opened.close()


def _folders(root: Any) -> list[PstFolder]:
    found: list[PstFolder] = []
    stack: list[tuple[Any, str, tuple[int, ...]]] = [(root, "", ())]
    while stack:
        folder, name_path, route = stack.pop()
        try:
            items = folder.number_of_sub_messages
            count = folder.number_of_sub_folders
        except LIBPFF_ERRORS as error:
            found.append(PstFolder(name_path, route, 0, _libpff_reason(error)))
            continue
        if items:
            found.append(PstFolder(name_path, route, items))
        children = []
        for index in range(count):
            child_route = (*route, index)
            try:
                child = folder.get_sub_folder(index)
                name = (child.name or "").replace("/", "∕") or f"folder {index + 1}"
            except LIBPFF_ERRORS as error:
                lost = f"{name_path}/folder {index + 1}".lstrip("/")
                found.append(PstFolder(lost, child_route, 0, _libpff_reason(error)))
                continue
            children.append((child, f"{name_path}/{name}".lstrip("/"), child_route))
        stack.extend(reversed(children))
    return found


def pst_chunks(source: str, path: str | Path, size: int | None = None) -> list[PstChunk]:
    """The file's folders cut into chunks of at most ``size`` (:data:`CHUNK_ITEMS`) items,
    in order."""
    size = size or CHUNK_ITEMS
    return [
        PstChunk(source, str(path), folder, start, min(start + size, folder.items))
        for folder in pst_folders(path)
        # a folder that cannot be read is a chunk of its own, to be quarantined
        for start in (range(0, folder.items, size) if folder.problem is None else (0,))
    ]


def _folder(root: Any, route: tuple[int, ...]) -> Any:
    folder = root
    for index in route:
        folder = folder.get_sub_folder(index)
    return folder


def _property(item: Any, entry_type: int) -> Any:
    for record_set in item.record_sets:
        for entry in record_set.entries:
            if entry.entry_type == entry_type:
                return entry
    return None


def _message_class(message: Any) -> str | None:
    entry = _property(message, _MESSAGE_CLASS)
    if entry is None:
        return None
    try:
        return entry.get_data_as_string().rstrip("\x00")
    except (OSError, UnicodeError):
        return None


def _attachments(message: Any) -> list[OutlookAttachment]:
    """The item's attachments, with the bytes of only those that may hold its crypto."""
    found = []
    for index in range(message.number_of_attachments):
        attachment = message.get_attachment(index)
        tag = _property(attachment, _ATTACH_MIME_TAG)
        try:
            name = attachment.long_filename
        except OSError:
            name = None
        mime_tag = tag.get_data_as_string().rstrip("\x00") if tag is not None else None
        data = None
        if might_hold_crypto(name, mime_tag):
            # an embedded message or OLE object has no data of its own to read
            with contextlib.suppress(OSError):
                data = attachment.read_buffer(attachment.size) or None
        found.append(OutlookAttachment(name, mime_tag, data))
    return found


def _is_mail(message_class: str | None) -> bool:
    return message_class is None or message_class.lower().startswith(_MAIL_CLASSES)


def _item(message: Any, source: str, offset: str) -> RawMessage | Quarantined | None:
    """An item as a message, quarantined with the reason, or None when it is not mail."""
    try:
        message_class = _message_class(message)
        headers = (message.transport_headers or "").rstrip("\x00")
    except LIBPFF_ERRORS as error:  # damage: an item that is no message any more
        reason = f"unreadable Outlook item: {_libpff_reason(error)}"
        return Quarantined(source, offset, reason[:300], QuarantineCode.UNREADABLE)
    if not headers.strip() and not _is_mail(message_class):
        return None
    try:
        attachments = _attachments(message) if needs_attachments(headers) else ()
        data = rfc822_from_outlook(headers, message_class, attachments)
    except ContainerProblem as problem:
        return Quarantined(source, offset, problem.reason[:300], problem.code)
    except LIBPFF_ERRORS as error:
        reason = f"unreadable Outlook item: {_libpff_reason(error)}"
        return Quarantined(source, offset, reason[:300], QuarantineCode.UNREADABLE)
    return RawMessage(source, offset, data)


def read_chunk(chunk: PstChunk) -> PstRead:
    """The chunk's items; an item that cannot be read is quarantined, the rest are read.

    Raises :class:`ContainerProblem` when the file no longer opens."""
    read = PstRead()
    source = chunk.item_source
    root = _opened_file(chunk.path).root_folder
    problem = chunk.folder.problem
    if problem is None:
        try:
            folder = _folder(root, chunk.folder.route)
        except LIBPFF_ERRORS as error:
            problem = _libpff_reason(error)
    if problem is not None:  # its items, however many, are lost: said once
        reason = f"unreadable Outlook folder: {problem}"[:300]
        read.items.append(Quarantined(source, "folder", reason, QuarantineCode.UNREADABLE))
        return read
    for index in range(chunk.start, chunk.stop):
        try:
            message = folder.get_sub_message(index)
            offset = str(message.identifier)
        except LIBPFF_ERRORS as error:
            reason = f"unreadable Outlook item: {_libpff_reason(error)}"
            read.items.append(
                Quarantined(source, f"item {index + 1}", reason[:300], QuarantineCode.UNREADABLE)
            )
            continue
        item = _item(message, source, offset)
        if item is None:
            read.not_mail += 1
        else:
            read.items.append(item)
    return read


def file_digest(path: str | Path) -> str:
    """The file's digest, as the store keeps it: a file copied over itself or touched,
    whose bytes are the same, is not read again. Raises :class:`ContainerProblem`."""
    try:
        with open(path, "rb") as stream:
            return "sha256:" + hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError as error:
        raise _unreadable(error) from None


def _unreadable(error: OSError) -> ContainerProblem:
    """The file vanished or cannot be read (permissions, a disk error)."""
    return ContainerProblem(QuarantineCode.UNREADABLE, f"unreadable: {error.strerror or error}")
