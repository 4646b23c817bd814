"""Key material readable without any key: who signed, and to which keys a message is encrypted.

S/MIME and OpenPGP encrypt the body but name the keys in the clear:

- an S/MIME signature carries the signer's certificate (subject, SAN e-mail addresses);
- S/MIME enveloped data names each recipient by issuer and serial number (RFC 5652 §6.2.1);
- an OpenPGP message has one PKESK packet per recipient key with its key id (RFC 9580 §5.1);
- an OpenPGP signature names its issuer key id or fingerprint (subpackets 16 and 33);
- an ``Autocrypt:`` header carries a whole public key under one ``addr``.

Each becomes a :class:`~analyzer.records.KeyUse` (a record, defined below the parser).
Parsing is defensive: damaged blobs yield nothing, never an exception. The DER and
OpenPGP readers are small on purpose; they read only the fields above.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import warnings
from collections.abc import Iterator

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs7

from analyzer.records import KeyUse

__all__ = ["KeyUse", "autocrypt_key", "autocrypt_key_ids", "pgp_key_uses", "smime_key_uses"]


_ARMOUR_BEGIN = re.compile(rb"-----BEGIN PGP (MESSAGE|SIGNATURE)-----\r?\n")


def _armoured_blocks(text: bytes) -> Iterator[bytes]:
    """The inside of each BEGIN … END PGP block, in one pass.

    Once no END of a kind follows, no later BEGIN of that kind is looked up again: a
    lazy ``(.*?)`` would scan to the end of the text once for every unterminated BEGIN
    line (17 s for 9,000 of them).
    """
    position = 0
    unterminated: set[bytes] = set()
    while match := _ARMOUR_BEGIN.search(text, position):
        kind = match.group(1)
        position = match.end()
        if kind in unterminated:
            continue
        end = text.find(b"-----END PGP " + kind + b"-----", position)
        if end < 0:
            unterminated.add(kind)
            continue
        yield text[position:end]
        position = end


# -- DER, just enough for EnvelopedData ----------------------------------------------
def _tlv(data: bytes, position: int) -> tuple[int, int, int, int]:
    """``(tag, value_start, value_end, next)``; ``value_end`` -1 for indefinite length."""
    tag = data[position]
    position += 1
    if tag & 0x1F == 0x1F:  # high tag number form
        while data[position] & 0x80:
            position += 1
        position += 1
    first = data[position]
    position += 1
    if first < 0x80:
        return tag, position, position + first, position + first
    if first == 0x80:
        end = _indefinite_end(data, position)
        return tag, position, end, end + 2
    count = first & 0x7F
    length = int.from_bytes(data[position : position + count], "big")
    position += count
    return tag, position, position + length, position + length


def _indefinite_end(data: bytes, position: int) -> int:
    while data[position : position + 2] != b"\x00\x00":
        _, _, _, position = _tlv(data, position)
    return position


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    children = []
    while start < end and data[start : start + 2] != b"\x00\x00":
        tag, value_start, value_end, start = _tlv(data, start)
        children.append((tag, value_start, value_end))
    return children


_OID_ENVELOPED = bytes.fromhex("2a864886f70d010703")
_OID_CN = bytes.fromhex("550403")


def _common_name(name_der: bytes) -> str | None:
    at = name_der.find(b"\x06\x03" + _OID_CN)
    if at < 0:
        return None
    _, start, end, _ = _tlv(name_der, at + 5)
    return name_der[start:end].decode("utf-8", "replace")


def _enveloped_recipients(der: bytes) -> list[KeyUse]:
    _, start, end, _ = _tlv(der, 0)  # ContentInfo
    content_type, explicit = _children(der, start, end if end > 0 else len(der))[:2]
    if der[content_type[1] : content_type[2]] != _OID_ENVELOPED:
        return []
    _, enveloped_start, enveloped_end = _children(der, explicit[1], explicit[2])[0]
    uses = []
    for tag, child_start, child_end in _children(der, enveloped_start, enveloped_end):
        if tag != 0x31:  # the SET OF RecipientInfo
            continue
        for _, info_start, info_end in _children(der, child_start, child_end):
            fields = _children(der, info_start, info_end)
            if len(fields) < 2:
                continue
            rid_tag, rid_start, rid_end = fields[1]
            if rid_tag == 0x30:  # issuerAndSerialNumber
                issuer, serial = _children(der, rid_start, rid_end)[:2]
                issuer_der = der[issuer[1] - 2 : issuer[2]]
                serial_number = int.from_bytes(der[serial[1] : serial[2]], "big")
                serial_hex = f"{serial_number:x}"
                name = _common_name(issuer_der) or "unknown issuer"
                uses.append(
                    KeyUse(
                        "smime-recipient",
                        _issuer_serial_id(der[issuer[1] : issuer[2]], serial_number),
                        (),
                        f"recipient certificate serial 0x{serial_hex} issued by {name}",
                    )
                )
            elif rid_tag == 0x80:  # subjectKeyIdentifier
                ski = der[rid_start:rid_end].hex()
                uses.append(KeyUse("smime-recipient", f"ski:{ski}", (), f"subject key id {ski}"))
    return uses


def _certificate_addresses(certificate: x509.Certificate) -> tuple[str, ...]:
    found: list[str] = []
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        found += san.value.get_values_for_type(x509.RFC822Name)
    except (x509.ExtensionNotFound, ValueError):
        pass
    for attribute in certificate.subject.get_attributes_for_oid(x509.NameOID.EMAIL_ADDRESS):
        found.append(str(attribute.value))
    return tuple(sorted({a.strip().lower() for a in found if "@" in a}))


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (x509.ExtensionNotFound, ValueError):
        return False


def _signers(der: bytes) -> list[KeyUse]:
    with warnings.catch_warnings():  # old mail carries BER and odd serials: read what we can
        warnings.simplefilter("ignore")
        try:
            certificates = pkcs7.load_der_pkcs7_certificates(der)
        except ValueError:
            return []
        # a certificate that issued another one in the bundle is a CA, even an old v1
        # one without BasicConstraints: it names nobody's mailbox
        issuers = {c.issuer.public_bytes() for c in certificates if c.issuer != c.subject}
        uses = []
        for certificate in certificates:
            if certificate.subject.public_bytes() in issuers:
                continue
            try:
                uses += _signer_use(certificate)
            except Exception:  # one unreadable certificate must not hide the others
                continue
    return uses


def _issuer_serial_id(issuer_value: bytes, serial: int) -> str:
    """The id an enveloped-data recipient uses: issuer Name (its DER contents) and serial."""
    serial_hex = f"{serial:x}"
    return f"x509:{hashlib.sha256(issuer_value).hexdigest()[:16]}:{serial_hex}"


def _signer_use(certificate: x509.Certificate) -> list[KeyUse]:
    addresses = _certificate_addresses(certificate)
    if _is_ca(certificate) or not addresses:
        return []
    fingerprint = certificate.fingerprint(hashes.SHA256())
    subject = certificate.subject.rfc4514_string()
    issuer_der = certificate.issuer.public_bytes()
    _, start, end, _ = _tlv(issuer_der, 0)
    return [
        KeyUse(
            "smime-signer",
            f"x509:{fingerprint.hex()[:32]}",
            addresses,
            f"signer certificate {subject}, serial 0x{certificate.serial_number:x}, "
            f"names {', '.join(addresses)}",
        ),
        KeyUse(
            "smime-cert",
            _issuer_serial_id(issuer_der[start:end], certificate.serial_number),
            addresses,
            f"certificate serial 0x{certificate.serial_number:x} names {', '.join(addresses)}",
        ),
    ]


def smime_key_uses(blob: bytes) -> list[KeyUse]:
    """Signers and recipients of one base64 (or DER) PKCS#7 blob."""
    der = blob
    if blob[:1] != b"\x30":  # not DER yet: base64
        try:
            der = base64.b64decode(b"".join(blob.split()), validate=False)
        except (binascii.Error, ValueError):
            return []
    try:
        return _enveloped_recipients(der) or _signers(der)
    except (IndexError, ValueError):
        return _signers(der)


# -- OpenPGP packets --------------------------------------------------------------------
def _dearmour(text: bytes) -> bytes | None:
    lines = text.replace(b"\r\n", b"\n").split(b"\n")
    try:
        blank = lines.index(b"")
    except ValueError:
        blank = -1
    body = [line for line in lines[blank + 1 :] if line and not line.startswith(b"=")]
    try:
        return base64.b64decode(b"".join(body), validate=False)
    except (binascii.Error, ValueError):
        return None


def _packets(data: bytes):
    position = 0
    while position < len(data):
        header = data[position]
        if not header & 0x80:
            return
        if header & 0x40:  # new format
            tag = header & 0x3F
            first = data[position + 1]
            if first < 192:
                length, position = first, position + 2
            elif first < 224:
                length = ((first - 192) << 8) + data[position + 2] + 192
                position += 3
            elif first == 255:
                length = int.from_bytes(data[position + 2 : position + 6], "big")
                position += 6
            else:  # partial body: only data packets use it, and they come last
                return
        else:
            tag = (header >> 2) & 0x0F
            kind = header & 0x03
            if kind == 3:
                return
            size = (1, 2, 4)[kind]
            length = int.from_bytes(data[position + 1 : position + 1 + size], "big")
            position += 1 + size
        yield tag, data[position : position + length]
        position += length


def _subpackets(data: bytes):
    position = 0
    while position < len(data):
        first = data[position]
        if first < 192:
            length, position = first, position + 1
        elif first < 255:
            length = ((first - 192) << 8) + data[position + 1] + 192
            position += 2
        else:
            length = int.from_bytes(data[position + 1 : position + 5], "big")
            position += 5
        if length == 0:
            return
        yield data[position] & 0x7F, data[position + 1 : position + length]
        position += length


def _signature_issuer(body: bytes) -> str | None:
    if not body:
        return None
    if body[0] in (2, 3):
        return body[7:15].hex().upper()
    if body[0] not in (4, 5, 6):
        return None
    count_size = 4 if body[0] == 6 else 2
    hashed_length = int.from_bytes(body[4 : 4 + count_size], "big")
    hashed = body[4 + count_size : 4 + count_size + hashed_length]
    rest = body[4 + count_size + hashed_length :]
    unhashed = rest[count_size : count_size + int.from_bytes(rest[:count_size], "big")]
    issuer = None
    for kind, value in [*_subpackets(hashed), *_subpackets(unhashed)]:
        if kind == 33 and len(value) > 8:  # issuer fingerprint
            return value[1:].hex().upper()[-16:]
        if kind == 16 and len(value) == 8:
            issuer = value.hex().upper()
    return issuer


def pgp_key_uses(text: bytes) -> list[KeyUse]:
    """Recipient key ids and signature issuers of every armoured block in ``text``."""
    uses: list[KeyUse] = []
    for block in _armoured_blocks(text):
        data = _dearmour(block)
        if not data:
            continue
        try:
            for tag, body in _packets(data):
                if tag == 1 and body:
                    if body[0] == 3:
                        key_id = body[1:9].hex().upper()
                    elif body[0] == 6 and len(body) > 3:
                        key_id = body[3 : 2 + body[1]].hex().upper()[-16:]
                    else:
                        continue
                    hidden = key_id.strip("0") == ""
                    uses.append(
                        KeyUse(
                            "pgp-recipient",
                            key_id,
                            (),
                            "hidden recipient" if hidden else f"encrypted to key {key_id}",
                        )
                    )
                elif tag == 2:
                    issuer = _signature_issuer(body)
                    if issuer:
                        uses.append(KeyUse("pgp-signer", issuer, (), f"signed by key {issuer}"))
                elif tag in (18, 9, 20):
                    break
        except IndexError:
            continue
    return [u for u in uses if u.detail != "hidden recipient"]


def _key_id(body: bytes) -> str:
    framed = b"\x99" + len(body).to_bytes(2, "big") + body
    return hashlib.sha1(framed, usedforsecurity=False).hexdigest().upper()


def autocrypt_key_ids(value: str) -> list[KeyUse]:
    """The ids of the key and subkeys an Autocrypt header announces for its ``addr``.

    What ties a PKESK recipient id (usually an encryption subkey) to an address.
    """
    address, data = _autocrypt_parts(value)
    if not address or not data:
        return []
    uses = []
    try:
        for tag, body in _packets(data):
            if tag in (6, 14) and body and body[0] == 4:
                key_id = _key_id(body)[-16:]
                uses.append(KeyUse("autocrypt-key-id", key_id, (address,), f"key {key_id}"))
    except IndexError:
        return uses
    return uses


def _autocrypt_parts(value: str) -> tuple[str, bytes | None]:
    attributes = {}
    for item in value.split(";"):
        name, _, content = item.strip().partition("=")
        attributes[name.strip().lower()] = content.strip()
    address, keydata = attributes.get("addr", "").lower(), attributes.get("keydata", "")
    if not address or not keydata:
        return address, None
    try:
        return address, base64.b64decode("".join(keydata.split()), validate=False)
    except (binascii.Error, ValueError):
        return address, None


def autocrypt_key(value: str) -> KeyUse | None:
    """The key an ``Autocrypt:`` header announces, with its ``addr``."""
    address, data = _autocrypt_parts(value)
    if not address or not data:
        return None
    try:
        for tag, body in _packets(data):
            if tag == 6 and body and body[0] == 4:
                fingerprint = _key_id(body)
                detail = f"Autocrypt key {fingerprint} for {address}"
                return KeyUse("autocrypt", fingerprint, (address,), detail)
            if tag == 6:
                return None
    except IndexError:
        return None
    return None
