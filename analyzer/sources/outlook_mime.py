"""An Outlook item (a ``.msg`` file, a PST message) back to the RFC 822 message that
crossed the wire, as far as extraction reads one.

Outlook keeps the header block it received (``PR_TRANSPORT_MESSAGE_HEADERS``) but not the
MIME body: it splits the body into properties and attachments. Extraction reads the
header block, and from the body only what says how the message was protected (see
:mod:`analyzer.extract.encryption`): the parts of a ``multipart/signed`` (the signature
names the signer's certificates), an opaque S/MIME blob (signers or recipients), PGP/MIME
armour (key ids) and the types of a multipart's first parts. Outlook keeps each of these
in an attachment:

- a clear-signed message (``IPM.Note.SMIME.MultipartSigned``) has one attachment holding
  the whole signed MIME entity: its own header block (``Content-Type: multipart/signed``
  with the boundary) and the body the transport headers' Content-Type names;
- an opaque S/MIME message (``IPM.Note.SMIME``) has one attachment, ``smime.p7m``: the
  binary DER the wire carried as base64;
- PGP/MIME arrives flattened into ordinary attachments (the ``application/pgp-encrypted``
  version part, the armoured ``encrypted.asc``; a ``signature.asc``).

So the rebuilt message is the transport headers and a body made from those attachments,
under the boundary the headers name. Text bodies and other attachments are left out
(header-only in spirit): their parts keep only their Content-Type, which is all
extraction reads of them. Pure: this module reads no file and imports no Outlook library.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.extract.encryption import parse_content_type
from analyzer.extract.headers import header_block_end, parse_header_block
from analyzer.sources.container import ContainerProblem
from analyzer.vocabulary import QuarantineCode

__all__ = [
    "NO_TRANSPORT_HEADERS",
    "OutlookAttachment",
    "header_block",
    "might_hold_crypto",
    "needs_attachments",
    "rfc822_from_outlook",
]

NO_TRANSPORT_HEADERS = (
    "an Outlook message without transport headers (a sent item, draft or generated "
    "message): nothing to analyse"
)
# Exchange 5.5 and Outlook 2000 put this line before the header fields; it never crossed
# the wire, and as a header line it is no field.
_EXCHANGE_PREAMBLE = re.compile(r"\AMicrosoft Mail Internet Headers Version 2\.0[ \t]*\r?\n")
_LINE_END = re.compile(r"\r\n|\r|\n")
_FIELD_START = re.compile(rb"[!-9;-~]+[ \t]*:")
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_SMIME_BLOBS = ("application/pkcs7-mime", "application/x-pkcs7-mime")
# the attachments whose bytes extraction reads (keys, classes); the others keep only their type
_CRYPTO_TYPES = (
    "application/pgp-encrypted",
    "application/pgp-signature",
    "application/pgp-keys",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    *_SMIME_BLOBS,
)
_ARMOUR = b"-----BEGIN PGP "
_CRYPTO_NAMES = (".asc", ".gpg", ".pgp", ".p7m", ".p7s", ".p7c", ".sig")
_BASE64_LINE = 57  # bytes per 76-character line, as MIME writes them


@dataclass(frozen=True)
class OutlookAttachment:
    """What the rebuild needs of one attachment."""

    name: str | None  # long file name (PR_ATTACH_LONG_FILENAME)
    mime_tag: str | None  # PR_ATTACH_MIME_TAG
    data: bytes | None  # PR_ATTACH_DATA_BIN (None for embedded messages / OLE objects)


def rfc822_from_outlook(
    transport_headers: str, message_class: str | None, attachments: Sequence[OutlookAttachment]
) -> bytes:
    """The message as it crossed the wire, as far as mxa's extraction needs it.

    The transport headers (PR_TRANSPORT_MESSAGE_HEADERS) are the header block (CRLF),
    followed by a body rebuilt from the attachments where the crypto lives, so that
    :func:`analyzer.extract.extract_message` classifies the encryption and finds the
    certificates and key ids as it would in the ``.eml``. Raises
    :class:`ContainerProblem` (``NO_TRANSPORT_HEADERS``) when the transport headers are empty.
    ``message_class`` (PR_MESSAGE_CLASS) is a hint only: the headers' Content-Type decides.
    """
    block = header_block(transport_headers)
    if not block:
        raise ContainerProblem(QuarantineCode.NO_TRANSPORT_HEADERS, NO_TRANSPORT_HEADERS)
    content_type = _content_type(block)
    return block + b"\r\n" + _body(content_type, message_class, attachments)


def needs_attachments(transport_headers: str) -> bool:
    """Whether the rebuild reads attachments for these headers: a reader skips them
    (large, and often damaged) for a text message."""
    mime_type, _ = parse_content_type(_content_type(header_block(transport_headers)))
    return mime_type.startswith("multipart/") or mime_type in _SMIME_BLOBS


def header_block(transport_headers: str) -> bytes:
    """The transport headers as a header block: CRLF line ends, each line ended, no blank
    line; empty when there are none.

    Outlook may store them with trailing NULs, with or without the blank line that ends
    them, and behind Exchange's ``Microsoft Mail Internet Headers`` line. A blank line
    inside ends the block, as it would on the wire.
    """
    text = transport_headers.replace("\x00", "").lstrip("\r\n")
    text = _EXCHANGE_PREAMBLE.sub("", text, count=1).lstrip("\r\n")
    lines = _LINE_END.split(text)
    if "" in lines:
        lines = lines[: lines.index("")]
    if not any(line.strip() for line in lines):
        return b""
    text = "".join(line + "\r\n" for line in lines)
    try:
        return text.encode("utf-8", "surrogateescape")  # bytes a reader kept undecoded
    except UnicodeEncodeError:  # a lone UTF-16 surrogate from a damaged string
        return text.encode("utf-8", "replace")


def _content_type(block: bytes) -> str | None:
    """A header block's Content-Type, read as extraction reads it."""
    return parse_header_block(block).get("content-type")


def _body(
    content_type: str | None, message_class: str | None, attachments: Sequence[OutlookAttachment]
) -> bytes:
    mime_type, params = parse_content_type(content_type)
    boundary = params.get("boundary")
    if mime_type in _SMIME_BLOBS:
        return _smime_blob_body(attachments)
    if not mime_type.startswith("multipart/") or not boundary:
        return b""  # a text body: nothing of it is rebuilt
    if mime_type == "multipart/signed":
        signed = _signed_entity(attachments, _is_signed_class(message_class))
        if signed is not None:
            return _with_boundary(signed, boundary)
    entities = [a for a in attachments if _is_entity(a)]
    parts = [_part(a) for a in entities + [a for a in attachments if not _is_entity(a)]]
    if mime_type != "multipart/encrypted" and not entities:
        # the text (or alternative) body that came first on the wire, kept by type only;
        # a signed entity Outlook kept whole was that first part (a list's footer follows)
        parts.insert(0, b"Content-Type: text/plain\r\n\r\n")
    delimiter = b"--" + boundary.encode("utf-8", "replace")
    lines = [delimiter + b"\r\n" + part for part in parts]
    return b"".join(lines) + delimiter + b"--\r\n"


def _is_signed_class(message_class: str | None) -> bool:
    return bool(message_class) and message_class.rstrip("\x00").lower().startswith(
        "ipm.note.smime.multipartsigned"
    )


def _entity_header(data: bytes) -> tuple[str | None, int]:
    """The Content-Type of an attachment that is a MIME entity (its own header block),
    and where its body starts; ``(None, 0)`` for data that opens with no header field."""
    if not _FIELD_START.match(data):
        return None, 0
    header_end, body_start = header_block_end(data)
    return _content_type(data[:header_end]), body_start


def _signed_entity(
    attachments: Sequence[OutlookAttachment], signed_class: bool
) -> tuple[bytes, str | None] | None:
    """The body of the signed MIME entity Outlook keeps as an attachment, and the boundary
    its own header names (None when the attachment holds the body alone)."""
    for attachment in attachments:
        if not attachment.data:
            continue
        content_type, body_start = _entity_header(attachment.data)
        own_type, own_params = parse_content_type(content_type)
        tagged = (attachment.mime_tag or "").strip().lower() == "multipart/signed"
        if content_type is not None and own_type == "multipart/signed":
            return attachment.data[body_start:], own_params.get("boundary")
        if content_type is None and (tagged or signed_class):
            return attachment.data, None
    return None


def _with_boundary(signed: tuple[bytes, str | None], boundary: str) -> bytes:
    """The signed body under the boundary the transport headers name: Outlook's copy of
    the entity may have been written with another one."""
    body, own_boundary = signed
    if own_boundary and own_boundary != boundary:
        old = b"--" + own_boundary.encode("utf-8", "replace")
        body = body.replace(old, b"--" + boundary.encode("utf-8", "replace"))
    return body


def _smime_blob_body(attachments: Sequence[OutlookAttachment]) -> bytes:
    """The base64 of ``smime.p7m``, as the wire carried it."""
    for attachment in attachments:
        tag = _mime_type(attachment.mime_tag)
        named_p7m = (attachment.name or "").lower().endswith(".p7m")
        if attachment.data and (tag in _SMIME_BLOBS or named_p7m):
            data = attachment.data
            if not _is_text(data):
                return _as_base64(data)  # the DER Outlook keeps
            content_type, body_start = _entity_header(data)
            return data[body_start:] if content_type is not None else data
    return b""


def might_hold_crypto(name: str | None, mime_tag: str | None) -> bool:
    """Whether the rebuild may read an attachment's bytes (a reader need not load the
    others): a signed MIME entity, a key, signature or encrypted blob, armour."""
    tag = _mime_type(mime_tag)
    return (
        tag in _CRYPTO_TYPES
        or tag.startswith("multipart/")
        or (name or "").lower().endswith(_CRYPTO_NAMES)
    )


def _is_entity(attachment: OutlookAttachment) -> bool:
    """A MIME entity Outlook kept whole (a clear-signed message's): its own header block."""
    return (
        _mime_type(attachment.mime_tag).startswith("multipart/")
        and bool(attachment.data)
        and _entity_header(attachment.data)[0] is not None
    )


def _part(attachment: OutlookAttachment) -> bytes:
    """One body part for an attachment: a MIME entity as it is, a crypto blob with its
    bytes, anything else by its type alone."""
    data = attachment.data or b""
    if _is_entity(attachment):
        return data if data.endswith(b"\n") else data + b"\r\n"
    tag = _mime_type(attachment.mime_tag)
    header = b"Content-Type: " + tag.encode("ascii")
    if not (tag in _CRYPTO_TYPES or data[:1024].lstrip().startswith(_ARMOUR)):
        return header + b"\r\n\r\n"
    if _is_text(data):
        return header + b"\r\n\r\n" + data + (b"" if data.endswith(b"\n") else b"\r\n")
    return header + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + _as_base64(data)


def _mime_type(tag: str | None) -> str:
    """An attachment's MIME tag when it is one (fuzzed files hold garbage there)."""
    value = (tag or "").strip().lower()
    return value if _MIME_TYPE.fullmatch(value) else "application/octet-stream"


def _is_text(data: bytes) -> bool:
    """ASCII without control bytes other than line ends and tabs: armour, base64, a
    ``Version: 1`` line."""
    return data.isascii() and not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", data)


def _as_base64(data: bytes) -> bytes:
    return b"".join(
        base64.b64encode(data[start : start + _BASE64_LINE]) + b"\r\n"
        for start in range(0, len(data), _BASE64_LINE)
    )
