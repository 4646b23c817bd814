"""What to fetch of a message over IMAP, and the skeleton message made of what came.

mxa needs each message's header block and MIME structure, not its body. From the
``BODYSTRUCTURE`` the server sends, :func:`read_plan` picks the parts the extraction
(``analyzer.extract.encryption.inspect_body``) would read, and how much of each: the one
part that holds a signature or encrypted data (cut at the 256 KB the extraction reads of
any body), the start of a text part to see whether PGP armour opens it, and the MIME
header blocks of the parts it looks at. :func:`fetch_items` names them as ``BODY.PEEK``
items; once fetched (:func:`fill`), :func:`message_bytes` builds the *skeleton*: the real
header block, and a body with every other part left empty, which the extraction reads as
it reads a message of an mbox. Pure functions on the server's parsed answers: no socket
here (:mod:`analyzer.sources.imap_folder` asks the server).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PART_PEEK",
    "PlannedPart",
    "fetch_items",
    "fill",
    "message_bytes",
    "read_plan",
    "skeleton",
    "timestamp",
    "wants_more",
]

PART_PEEK = 256 * 1024  # of a signature or encrypted part: what extraction reads of a body
_TEXT_PEEK = 128  # of a text part: enough to see whether PGP armour opens it
_SMIME_TYPES = {
    "application/pkcs7-mime",
    "application/x-pkcs7-mime",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
}
_CHILDREN_READ = 3  # extraction looks at the first three parts of a multipart
_DEPTH_READ = 3  # and at multiparts nested this deep along the first parts
_ARMOUR = b"-----BEGIN PGP"
_HEADER = b"BODY[HEADER]"


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _content_type(node: Any) -> str:
    if node.is_multipart:
        return f"multipart/{_text(node[1]).lower()}"
    return f"{_text(node[0]).lower()}/{_text(node[1]).lower()}"


def _params(node: Any) -> dict[str, str]:
    # (type, subtype, params, …), or ([parts], subtype, params, …) for a multipart
    raw = node[2] if len(node) > 2 else None
    if not isinstance(raw, tuple):
        return {}
    return {_text(raw[i]).lower(): _text(raw[i + 1]) for i in range(0, len(raw) - 1, 2)}


@dataclass
class PlannedPart:
    """One part of a message's structure, as far as extraction reads it."""

    path: str  # IMAP section: "" the message itself, "1.2" a part
    kind: str  # "type/subtype", lower-cased
    boundary: str | None = None
    children: list[PlannedPart] = field(default_factory=list)  # the ones extraction reads
    peek: int = 0  # bytes of its content extraction reads (0: none)
    headers: bytes = b""  # its MIME header block, fetched
    content: bytes = b""  # the first ``peek`` bytes of its content, fetched


def _node(structure: Any, path: str) -> PlannedPart:
    return PlannedPart(path, _content_type(structure), _params(structure).get("boundary"))


def read_plan(structure: Any) -> PlannedPart:
    """The parts extraction would read, and how much of each (``analyzer.extract.
    encryption.inspect_body``): the headers of the parts it looks at; all of a signature,
    an S/MIME or PGP blob, and what a PGP/MIME message encrypts (up to :data:`PART_PEEK`);
    the start of the first text part, to see whether PGP armour opens it. The rest of
    the message, attachments and text alike, stays on the server."""
    if not hasattr(structure, "is_multipart") or len(structure) < 3:
        return PlannedPart("", "")  # no structure from the server: the header block alone
    root = _node(structure, "")
    _plan_node(root, structure, level=0)
    return root


def _children(structure: Any, node: PlannedPart) -> list[tuple[PlannedPart, Any]]:
    parts = structure[0] if structure.is_multipart else []
    prefix = f"{node.path}." if node.path else ""
    return [(_node(child, f"{prefix}{i}"), child) for i, child in enumerate(parts, 1)]


def _plan_node(node: PlannedPart, structure: Any, level: int) -> None:
    """``node`` as ``inspect_body`` reads it when it is handed the node's content."""
    kind = node.kind
    params = _params(structure)
    protocol = params.get("protocol", "").lower()
    children = _children(structure, node)
    if kind == "multipart/encrypted":
        if "pgp" in protocol or not protocol:  # its whole body is read
            node.children = [child for child, _ in children]
            for child in node.children:
                child.peek = PART_PEEK
    elif kind == "multipart/signed":
        node.children = [child for child, _ in children[:2]]
        if len(node.children) == 2:
            node.children[1].peek = PART_PEEK  # the signature
    elif kind in _SMIME_TYPES or kind in ("application/pgp-encrypted", "application/pgp"):
        node.peek = PART_PEEK
    elif kind.startswith("multipart/") and level < _DEPTH_READ:
        shown = children[:_CHILDREN_READ]
        node.children = [child for child, _ in shown]
        if any(child.kind == "application/pgp-encrypted" for child, _ in shown):
            # PGP/MIME flattened (Exchange): the whole body is searched for PGP data
            node.children = [child for child, _ in children]
            for child in node.children:
                child.peek = PART_PEEK
        elif shown:
            first, first_structure = shown[0]
            _plan_node(first, first_structure, level + 1)
    elif kind.startswith("text/"):
        node.peek = _TEXT_PEEK


def _sections(node: PlannedPart) -> Iterator[PlannedPart]:
    yield node
    for child in node.children:
        yield from _sections(child)


def fetch_items(node: PlannedPart) -> list[str]:
    """The FETCH items for a planned message's parts (not its header block)."""
    items = []
    for part in _sections(node):
        if part.path:
            items.append(f"BODY.PEEK[{part.path}.MIME]")
        if part.peek:
            items.append(f"BODY.PEEK[{part.path or '1'}]<0.{part.peek}>")
    return items


def fill(node: PlannedPart, answer: dict[bytes, Any]) -> None:
    """Put the fetched sections into the plan (servers answer ``BODY[1]<0>``)."""
    for part in _sections(node):
        headers = answer.get(f"BODY[{part.path}.MIME]".encode())
        if headers is not None:
            part.headers = headers
        content = answer.get(f"BODY[{part.path or '1'}]<0>".encode())
        if content is not None:
            part.content = content


def wants_more(node: PlannedPart) -> list[PlannedPart]:
    """Text parts whose start is PGP armour (or only white space): read up to PART_PEEK."""
    return [
        part
        for part in _sections(node)
        if part.peek == _TEXT_PEEK
        and len(part.content) == _TEXT_PEEK
        and (part.content.lstrip().startswith(_ARMOUR) or not part.content.strip())
    ]


def skeleton(node: PlannedPart) -> bytes:
    """The content of a planned part: what was fetched, and for a multipart its children
    between their boundaries, each after its own MIME header block."""
    if not node.children:
        return node.content
    boundary = (node.boundary or "").encode("utf-8", "replace")
    chunks = []
    for child in node.children:
        chunks += [b"--", boundary, b"\r\n", child.headers, skeleton(child), b"\r\n"]
    chunks += [b"--", boundary, b"--\r\n"]
    return b"".join(chunks)


def timestamp(moment: Any) -> float | None:
    """INTERNALDATE as a UTC timestamp (imapclient gives a naive local datetime)."""
    if not isinstance(moment, datetime.datetime):
        return None
    try:
        if moment.tzinfo is None:
            moment = moment.astimezone()  # imapclient's default: converted to local time
        return float(int(moment.timestamp()))
    except (OverflowError, ValueError, OSError):  # year 1 or 9999 at the edge of a zone
        return None


def message_bytes(answer: dict[bytes, Any], plan: PlannedPart) -> bytes:
    """The skeleton message: the header block fetched, with Gmail's labels and thread as
    headers, then the planned parts."""
    header = answer.get(_HEADER) or b""
    extra = b""
    if b"X-GM-THRID" in answer and b"x-gm-thrid:" not in header.lower():
        extra += b"X-GM-THRID: %d\r\n" % int(answer[b"X-GM-THRID"])
    if b"X-GM-LABELS" in answer and b"x-gmail-labels:" not in header.lower():
        labels = ",".join(_text(label) for label in answer[b"X-GM-LABELS"])
        extra += b"X-Gmail-Labels: " + labels.encode("utf-8") + b"\r\n"
    if extra:  # as Google Takeout writes them into an mbox
        end = header.rfind(b"\r\n\r\n")
        header = header[: end + 2] + extra + header[end + 2 :] if end >= 0 else header + extra
    return header + skeleton(plan)
