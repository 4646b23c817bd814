"""Which folder a message was filed in says who wrote it: the owner's sent folder.

Mail clients and exports name the folder of sent mail in a few ways: Thunderbird's
"Sent", Apple Mail's "Sent Messages", Outlook's "Sent Items", Gmail's "[Gmail]/Sent
Mail", Maildir++'s ".Sent", the Enron corpus's ``sent``, ``sent_items``,
``_sent_mail`` and its ``X-Folder`` header (``\\Dasovich, Jeff\\Sent Items``), and
localised names, which IMAP servers, and Dovecot's and Courier's Maildir folders on disk,
write in modified UTF-7 (``&AMk-l&AOk-ments envoy&AOk-s``: :func:`readable_folder_name`).
The store keeps only the folder's role (``"sent"``), never its name:
folder names can name people and matters, and the role is all owner detection needs.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from urllib.parse import unquote

from analyzer.vocabulary import SENT

# SENT is re-exported: it lives in analyzer.vocabulary with the other roles
__all__ = [
    "SENT",
    "SENT_FOLDER_NAMES",
    "folder_role",
    "is_sent_folder",
    "readable_folder_name",
]

# folder names (lower case, "_" and "-" read as spaces) that hold the mail one sends
SENT_FOLDER_NAMES = frozenset(
    {
        "sent", "sent mail", "sent items", "sent messages", "sent email", "sent e mail",
        "sentmail", "sentitems", "sent objects",
        # localised: German, French, Spanish, Portuguese, Italian, Dutch, Nordic, Polish
        "gesendet", "gesendete objekte", "gesendete elemente", "gesendete nachrichten",
        "envoyés", "éléments envoyés", "messages envoyés", "enviados", "elementos enviados",
        "itens enviados", "mensagens enviadas", "inviata", "posta inviata", "elementi inviati",
        "verzonden", "verzonden items", "verzonden berichten", "skickat", "skickade objekt",
        "sendt", "sendte elementer", "sendt post", "lähetetyt", "wysłane", "elementy wysłane",
    }
)  # fmt: skip
_SEPARATORS = re.compile(r"[/\\]")
_SPACES = re.compile(r"[\s_\-]+")
# a file or folder name's suffix that is no part of the mail folder's name
_SUFFIXES = (".mbox", ".mbx", ".sbd", ".mbs")
_MAILDIR_PARTS = frozenset({"cur", "new", "tmp"})
# modified UTF-7's shifted run: "&", modified base64 ("," for "/") of UTF-16, "-"
_SHIFTED = re.compile(r"&([A-Za-z0-9+,]*)-")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]")


def readable_folder_name(name: str) -> str:
    """A folder name as people read it. IMAP (RFC 3501 §5.1.3) writes a name's non-ASCII
    letters in modified UTF-7: UTF-7 with "&" for "+" and "," for "/" in its base64
    (``&AMk-l&AOk-ments envoy&AOk-s`` is "Éléments envoyés", ``&-`` is "&"), decoded
    here with Python's own UTF-7 codec. A name that is no such encoding ("R&D", or a run
    standing for plain ASCII, which modified UTF-7 never encodes) is kept as it is."""
    if "&" not in name:
        return name

    def shifted(match: re.Match[str]) -> str:
        if not match.group(1):
            return "&"
        utf7 = "+" + match.group(1).replace(",", "/") + "-"
        letters = utf7.encode("ascii").decode("utf-7")
        if not letters or _PRINTABLE_ASCII.search(letters):
            raise ValueError("not modified UTF-7")
        return letters

    try:
        return _SHIFTED.sub(shifted, name)
    except ValueError:  # UnicodeDecodeError too
        return name


def _normal(component: str) -> str:
    name = component.strip().strip("'\"`[]").strip()
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return _SPACES.sub(" ", name).strip().lower()


def is_sent_folder(name: str | None) -> bool:
    """Whether a folder name (a path of folders: ``[Gmail]/Sent Mail``, ``INBOX.Sent``,
    ``\\Horton, Stanley\\Deleted Items\\'Sent Mail``, Dovecot's Maildir folder
    ``.&AMk-l&AOk-ments envoy&AOk-s``) has a sent folder in it."""
    if not name:
        return False
    parts = [p for p in _SEPARATORS.split(name) if p.strip()]
    # Maildir++ and some IMAP servers separate folders by dots: .Sent, INBOX.Sent
    dotted = [q for p in parts for q in p.split(".") if q.strip()]
    return any(_normal(readable_folder_name(p)) in SENT_FOLDER_NAMES for p in (*parts, *dotted))


def _source_folder(source: str, offset: str) -> str:
    """The mail folder the source names: an IMAP folder, a Maildir folder, the folder of a
    one-message file, an mbox file's name (Apple Mail's ``Sent Messages.mbox/mbox``), the
    nearest ``.mbox`` folder above an Apple Mail ``.emlx`` (its mailbox)."""
    if "://" in source:  # imaps://user@host:993/Sent%20Items
        return unquote(source.split("://", 1)[1].partition("/")[2])
    if offset.isdigit():  # an mbox: the file and, for Apple Mail and Thunderbird, its folder
        path = PurePath(source)
        if path.parent.name.lower().endswith((".mbox", ".sbd")):
            return f"{path.parent.name}/{path.name}"
        return path.name
    file = PurePath(offset)
    if file.name.lower().endswith(".emlx"):  # Apple Mail: its mailbox, however deep
        mailbox = next((p for p in file.parents if p.name.lower().endswith(".mbox")), None)
        if mailbox is not None:  # Sent Messages.mbox/<UUID>/Data/3/1/Messages/1.emlx
            return mailbox.name
    folder = file.parent
    if folder.name in _MAILDIR_PARTS:  # a Maildir's cur/new/tmp: its folder is above
        folder = folder.parent
    elif folder.name == "Messages" and folder.parent.name.lower().endswith(".mbox"):
        folder = folder.parent  # Apple Mail: Sent Messages.mbox/Messages/1.emlx
    return folder.name


def folder_role(source: str, offset: str, x_folder: str | None) -> str | None:
    """``"sent"`` when the message was filed in a sent folder (its ``X-Folder`` header or
    the folder its source names), else None."""
    if is_sent_folder(x_folder) or is_sent_folder(_source_folder(source, offset)):
        return SENT
    return None
