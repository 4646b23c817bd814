"""Outlook ``.msg`` files: one message each, read through ``extract-msg``.

An ``.msg`` is an OLE2 compound file (MS-OXMSG) holding one item's properties. A
received message keeps its transport headers there (``PR_TRANSPORT_MESSAGE_HEADERS``),
and where it was signed or encrypted, the crypto in an attachment; the message is
rebuilt from them by :func:`~analyzer.sources.outlook_mime.rfc822_from_outlook`.

Only those few streams are read, through extract-msg's low-level getters (which know
the ANSI code page and the Unicode string types), never its message classes: they parse
recipients, bodies and attachments that the audit does not need, and fail on damage
there. extract-msg is told to tolerate damage it can read past (a fuzzed directory
entry, an attachment type it does not know); what it still cannot read is a
:class:`ContainerProblem`, never a library exception. It writes no file and no temporary
file here; its log is kept out of mxa's output (its errors become the reason).
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
import struct
from pathlib import Path
from types import ModuleType

from analyzer.sources.container import ContainerProblem
from analyzer.sources.outlook_mime import (
    NO_TRANSPORT_HEADERS,
    OutlookAttachment,
    might_hold_crypto,
    needs_attachments,
    rfc822_from_outlook,
)
from analyzer.vocabulary import QuarantineCode

__all__ = ["is_outlook_message", "read_msg"]

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_PROPERTIES = "__properties_version1.0"  # every MSG has this stream at its root
_PROPERTIES_NAME = _PROPERTIES.encode("utf-16-le")
_SCAN_LIMIT = 64 << 20  # how far a damaged OLE file is searched for the MSG stream names
_TRANSPORT_HEADERS = "__substg1.0_007D"
_ATTACHMENT = re.compile(r"__attach_version1\.0_#[0-9A-Fa-f]{8}\Z")
_UNICODE, _ANSI = "001F", "001E"
_MAX_REASON = 200
NO_LIBRARY = "reading Outlook .msg files needs the outlook extra: pip install 'mxa[outlook]'"
NOT_A_MESSAGE = (
    "an OLE2 file without Outlook's message properties: another Office file, or a damaged message"
)

# extract-msg's own diagnostics (it logs what it reads past) are not mxa's to show
logging.getLogger("extract_msg").propagate = False

# What extract-msg and olefile raise on files they cannot read: their own errors
# (ExMsgBaseException, olefile's OleFileError is an OSError), and the plain errors a
# damaged structure sets off in their parsing (bad lengths, indexes, code pages, cycles).
_PLAIN_ERRORS = (
    OSError,
    EOFError,
    ValueError,  # UnicodeDecodeError among them
    LookupError,  # KeyError, IndexError, an unknown code page
    TypeError,
    AttributeError,
    ArithmeticError,
    RuntimeError,  # NotImplementedError, RecursionError
    MemoryError,
    struct.error,
)


def is_outlook_message(path: Path) -> bool:
    """Whether ``path`` holds an Outlook message, by its content: the OLE2 magic and the
    MSG property stream at its root (a Word or Excel file is OLE2 too).

    A damaged file whose directory olefile cannot parse is still recognised by the
    stream names in it, so that it is quarantined as a broken message, not skipped.
    """
    try:
        with open(path, "rb") as probe:
            if probe.read(len(OLE_MAGIC)) != OLE_MAGIC:
                return False
    except OSError:
        return False
    try:
        import olefile
    except ImportError:  # without the outlook extra: read_msg says what to install
        return _names_msg_stream(path)
    try:
        with olefile.OleFileIO(str(path)) as ole:
            return ole.exists(_PROPERTIES)
    except _PLAIN_ERRORS:  # olefile's OleFileError is an OSError
        return _names_msg_stream(path)


def _names_msg_stream(path: Path) -> bool:
    """Whether the MSG property stream's name is in the file's first _SCAN_LIMIT bytes
    (its directory entry may sit anywhere), read a megabyte at a time."""
    overlap = len(_PROPERTIES_NAME) - 1
    tail = b""
    try:
        with open(path, "rb") as damaged:
            for _ in range(_SCAN_LIMIT >> 20):
                chunk = damaged.read(1 << 20)
                if not chunk:
                    return False
                if _PROPERTIES_NAME in tail + chunk:
                    return True
                tail = chunk[-overlap:]
    except OSError:
        return False
    return False


def read_msg(path: Path) -> bytes:
    """The message in an ``.msg`` file, rebuilt as RFC 822 bytes for extraction.

    Raises :class:`ContainerProblem`: ``NO_TRANSPORT_HEADERS`` for an item without transport
    headers (a sent item, a draft, a contact), ``UNREADABLE`` for a file that does not
    open as an Outlook message.
    """
    library = _extract_msg()
    try:
        with library.msg_classes.MSGFile(
            str(path),
            delayAttachments=True,
            errorBehavior=library.enums.ErrorBehavior.SUPPRESS_ALL,
        ) as message:
            if not message.exists(_PROPERTIES):
                raise ContainerProblem(QuarantineCode.UNREADABLE, NOT_A_MESSAGE)
            headers = _string(message, _TRANSPORT_HEADERS)
            message_class = _string(message, "__substg1.0_001A")
            if not headers or not headers.strip("\x00\r\n\t "):
                raise ContainerProblem(
                    QuarantineCode.NO_TRANSPORT_HEADERS, _why_empty(message_class)
                )
            attachments = _attachments(message, message_class) if needs_attachments(headers) else []
    except (library.exceptions.ExMsgBaseException, *_PLAIN_ERRORS) as error:
        raise ContainerProblem(QuarantineCode.UNREADABLE, _unreadable(error)) from None
    return rfc822_from_outlook(headers, message_class, attachments)


def _extract_msg() -> ModuleType:
    """extract-msg, imported on first use (it takes a fifth of a second to import); a
    :class:`ContainerProblem` where it is not installed."""
    try:
        return _imported_extract_msg()
    except ImportError:
        raise ContainerProblem(QuarantineCode.UNREADABLE, NO_LIBRARY) from None


@functools.cache
def _imported_extract_msg() -> ModuleType:
    import extract_msg
    import extract_msg.enums
    import extract_msg.exceptions
    import extract_msg.msg_classes

    return extract_msg


def _string(message, name: str) -> str | None:
    """A string property of either type: Unicode (UTF-16LE), or ANSI in the message's
    code page. A byte that the code page lacks costs that character, not the message."""
    unicode = message.getStream(name + _UNICODE)
    if unicode is not None:
        return unicode.decode("utf-16-le", "replace")
    ansi = message.getStream(name + _ANSI)
    if ansi is None:
        return None
    return ansi.decode(_ansi_encoding(message), "replace")


def _ansi_encoding(message) -> str:
    """The code page of the message's 8-bit strings; Windows-1252 where it names none
    that Python knows (or the file says Unicode but keeps a string 8-bit)."""
    try:
        encoding = message.stringEncoding
        if not encoding.lower().startswith("utf-16"):
            return codecs.lookup(encoding).name
    except (LookupError, _extract_msg().exceptions.ExMsgBaseException):
        pass
    return "cp1252"


def _why_empty(message_class: str | None) -> str:
    """The one-line reason for an item with no transport headers."""
    kind = (message_class or "").rstrip("\x00").strip()
    if not kind or kind.lower().startswith(("ipm.note", "report.")) or kind.lower() == "ipm":
        return NO_TRANSPORT_HEADERS
    return f"an Outlook item of class {kind[:60]} without transport headers: nothing to analyse"


def _attachments(message, message_class: str | None) -> list[OutlookAttachment]:
    """Each attachment's name and MIME tag, in the order Outlook numbered them, and the
    bytes of those the rebuild reads (all of a signed message's: the entity is one)."""
    signed = (message_class or "").lower().startswith("ipm.note.smime")
    storages = sorted({entry[0] for entry in message.listDir(streams=True, storages=True) if entry})
    found = []
    for storage in storages:
        if not _ATTACHMENT.fullmatch(storage):
            continue
        name = _string(message, f"{storage}/__substg1.0_3707")
        mime_tag = _string(message, f"{storage}/__substg1.0_370E")
        wanted = signed or might_hold_crypto(name, mime_tag)
        data = message.getStream(f"{storage}/__substg1.0_37010102") if wanted else None
        found.append(OutlookAttachment(name, mime_tag, data))
    return found


def _unreadable(error: BaseException) -> str:
    """``not a readable Outlook message: <type>: <the library's message>``, on one line."""
    said = " ".join(str(error).split()) or "no detail"
    reason = f"not a readable Outlook message: {type(error).__name__}: {said}"
    return reason if len(reason) <= _MAX_REASON else reason[: _MAX_REASON - 3] + "..."
