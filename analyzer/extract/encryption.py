"""Which cryptographic wrapping a message has, read from as little of it as possible.

The top-level Content-Type decides almost every case. The body is touched only
when the headers cannot say: the first part of a ``multipart/mixed`` (mailing lists
wrap signed posts with a footer part), the first bytes of an opaque S/MIME blob
without ``smime-type``, and a text body that may hold inline PGP armour.
"""

from __future__ import annotations

import base64
import binascii
import re

from analyzer.bytesearch import find
from analyzer.extract import keys
from analyzer.extract.headers import header_block_end
from analyzer.extract.keys import KeyUse

__all__ = ["classify_encryption", "inspect_body", "parse_content_type"]

_PARAM = re.compile(r';\s*([\w.*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
_SMIME_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")
_SMIME_SIGNATURES = ("application/pkcs7-signature", "application/x-pkcs7-signature")
_PGP_MESSAGE = b"-----BEGIN PGP MESSAGE-----"
_PGP_SIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"
# DER of the CMS content-type OIDs that open an opaque S/MIME blob (RFC 5652).
_OID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")
_OID_ENVELOPED_DATA = bytes.fromhex("06092a864886f70d010703")
_OID_AUTH_ENVELOPED_DATA = bytes.fromhex("060b2a864886f70d0109100117")
_PART_CONTENT_TYPE = re.compile(rb"(?im)^content-type[ \t]*:((?:[^\n]*)(?:\n[ \t][^\n]*)*)")
_MAX_DEPTH = 3
_LEADING_SPACE = re.compile(rb"[ \t\n\r\x0b\x0c]*")  # what bytes.lstrip() strips
_PEEK_BYTES = 256 * 1024


def parse_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """``("type/subtype", {param: value})``, lower-cased; text/plain when absent."""
    if not value:
        return "text/plain", {}
    main, _, _ = value.partition(";")
    mime_type = main.strip().lower() or "text/plain"
    params: dict[str, str] = {}
    for name, raw in _PARAM.findall(value):
        if raw.startswith('"'):
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params.setdefault(name.lower(), raw)
    return mime_type, params


def _parts(body: bytes, boundary: str, limit: int) -> list[bytes]:
    """The first ``limit`` body parts of a multipart body (headers and start of body)."""
    delimiter = b"--" + boundary.encode("utf-8", "replace")
    line_delimiter = b"\n" + delimiter
    parts: list[bytes] = []
    position = find(body, delimiter, 0, len(body))
    while position >= 0 and len(parts) < limit:
        start = body.find(b"\n", position)
        if start < 0 or body[position + len(delimiter) : position + len(delimiter) + 2] == b"--":
            break
        end = find(body, line_delimiter, start, len(body))
        parts.append(body[start + 1 : end if end >= 0 else len(body)])
        position = end + 1 if end >= 0 else -1
    return parts


def _part_content_type(block: bytes) -> str | None:
    """The Content-Type of a body part; only that field is needed, so no full parse."""
    match = _PART_CONTENT_TYPE.search(block)
    if match is None:
        return None
    return match.group(1).replace(b"\r", b"").replace(b"\n", b"").decode("ascii", "replace")


def _smime_content_type(body: bytes) -> str | None:
    """``smime_signed`` or ``smime_encrypted`` from the DER of a base64 S/MIME blob.

    The CMS content-type OID is the truth; an ``smime-type`` parameter can lie
    (real mail says signed-data on enveloped data).
    """
    head = b"".join(body[:4096].split())[:1024]
    try:
        der = base64.b64decode(head[: len(head) // 4 * 4], validate=False)
    except (binascii.Error, ValueError):
        return None
    if _OID_SIGNED_DATA in der[:64]:
        return "smime_signed"
    if _OID_ENVELOPED_DATA in der[:64] or _OID_AUTH_ENVELOPED_DATA in der[:64]:
        return "smime_encrypted"
    return None


def _inline_pgp(body: bytes) -> str:
    """Inline armour is the sender's own only when it opens the body.

    Clearsigning and inline encryption wrap the whole text, so the armour comes first;
    armour further down is forwarded or quoted mail, whose keys are its author's.
    """
    # body[:_PEEK_BYTES].lstrip().startswith(armour), without copying the body twice
    start = _LEADING_SPACE.match(body, 0, _PEEK_BYTES).end()
    if body.startswith(_PGP_MESSAGE, start, _PEEK_BYTES):
        return "pgp_encrypted"
    if body.startswith(_PGP_SIGNED, start, _PEEK_BYTES):
        return "pgp_signed"
    return "plaintext"


def pgp_key_uses(text: bytes) -> list[KeyUse]:
    return _safely(keys.pgp_key_uses, text)


def smime_key_uses(blob: bytes) -> list[KeyUse]:
    return _safely(keys.smime_key_uses, blob)


def _safely(reader, data: bytes) -> list[KeyUse]:
    """Key material is a bonus: a damaged blob costs its keys, never the message."""
    try:
        return reader(data)
    except Exception:
        return []


def classify_encryption(content_type: str | None, body: bytes) -> str:
    """One of :class:`~analyzer.vocabulary.Encryption` for a message (or part) and its body.

    The outermost layer wins: a PGP/MIME message that is signed inside the
    encryption is ``pgp_encrypted``.
    """
    return inspect_body(content_type, body)[0]


def inspect_body(content_type: str | None, body: bytes, depth: int = 0) -> tuple[str, list[KeyUse]]:
    """The encryption class and the keys named in the clear (:mod:`.keys`)."""
    mime_type, params = parse_content_type(content_type)
    protocol = params.get("protocol", "").lower()

    if mime_type == "multipart/encrypted":
        if "pgp" in protocol or not protocol:
            return "pgp_encrypted", pgp_key_uses(body[:_PEEK_BYTES])
        return "plaintext", []
    if mime_type == "multipart/signed":
        parts = _parts(body, params["boundary"], limit=2) if params.get("boundary") else []
        signature = parts[1] if len(parts) == 2 else b""
        _, signature_start = header_block_end(signature)
        if protocol in _SMIME_SIGNATURES:
            return "smime_signed", smime_key_uses(signature[signature_start:])
        if "pgp" in protocol:
            return "pgp_signed", pgp_key_uses(signature)
        return "plaintext", []
    if mime_type in _SMIME_TYPES:
        from_der = _smime_content_type(body)
        smime_type = params.get("smime-type", "").lower()
        if from_der:
            encryption = from_der
        elif smime_type == "signed-data":
            encryption = "smime_signed"
        elif smime_type == "compressed-data":
            return "plaintext", []
        else:
            encryption = "smime_encrypted"
        return encryption, smime_key_uses(body[:_PEEK_BYTES])
    if mime_type in ("application/pgp-encrypted", "application/pgp"):
        action = params.get("x-action", "").lower()
        encryption = "pgp_signed" if action.startswith("sign") else "pgp_encrypted"
        return encryption, pgp_key_uses(body[:_PEEK_BYTES])
    if mime_type.startswith("multipart/") and depth < _MAX_DEPTH:
        boundary = params.get("boundary")
        parts = _parts(body, boundary, limit=3) if boundary else []
        part_types = []
        for index, part in enumerate(parts):
            header_end, body_start = header_block_end(part)
            part_type = _part_content_type(part[:header_end])
            part_types.append(parse_content_type(part_type)[0])
            if index == 0:
                inner = inspect_body(part_type, part[body_start:], depth + 1)
                if inner[0] != "plaintext":
                    return inner  # a list footer or a wrapper around the real message
        if "application/pgp-encrypted" in part_types:
            # PGP/MIME flattened by Exchange into multipart/mixed
            return "pgp_encrypted", pgp_key_uses(body[:_PEEK_BYTES])
        return "plaintext", []
    if mime_type.startswith("text/"):
        encryption = _inline_pgp(body)
        keys = pgp_key_uses(body[:_PEEK_BYTES]) if encryption != "plaintext" else []
        return encryption, keys
    return "plaintext", []
