"""Encryption classes, on real cryptography made here with the `cryptography` package."""

import datetime
from email.message import EmailMessage

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from analyzer.extract import extract_message
from analyzer.extract.encryption import classify_encryption
from analyzer.records import RawMessage


@pytest.fixture(scope="module")
def certificate():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "alice@example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name("alice@example.org")]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return cert, key


HEADERS = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: s\r\n"


def classify(message: bytes) -> str:
    record = extract_message(RawMessage("t", "0", message))
    return record.encryption


def test_smime_detached_signature_is_smime_signed(certificate):
    cert, key = certificate
    signed = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(b"Content-Type: text/plain\r\n\r\nhello\r\n")
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
    )
    assert b"multipart/signed" in signed
    assert classify(HEADERS + signed) == "smime_signed"


def test_smime_opaque_signed_data_is_smime_signed(certificate):
    cert, key = certificate
    opaque = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(b"hello")
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.SMIME, [])
    )
    assert classify(HEADERS + opaque) == "smime_signed"
    # without the smime-type parameter, the DER content type decides
    stripped = opaque.replace(b" smime-type=signed-data;", b"").replace(
        b"smime-type=signed-data", b""
    )
    assert b"smime-type" not in stripped.split(b"\n\n")[0].split(b"\r\n\r\n")[0]
    assert classify(HEADERS + stripped) == "smime_signed"


def test_smime_enveloped_data_is_smime_encrypted(certificate):
    cert, _ = certificate
    enveloped = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(b"Content-Type: text/plain\r\n\r\nsecret\r\n")
        .add_recipient(cert)
        .encrypt(serialization.Encoding.SMIME, [])
    )
    assert classify(HEADERS + enveloped) == "smime_encrypted"
    stripped = enveloped.replace(b"smime-type=enveloped-data", b"name=smime.p7m")
    assert classify(HEADERS + stripped) == "smime_encrypted"


def test_pgp_mime_and_inline_pgp():
    encrypted = EmailMessage()
    encrypted["From"] = "a@example.org"
    encrypted.set_content("Version: 1")
    encrypted.make_mixed()
    raw = encrypted.as_bytes().replace(
        b"multipart/mixed", b'multipart/encrypted; protocol="application/pgp-encrypted"'
    )
    assert classify(raw) == "pgp_encrypted"
    assert (
        classify_encryption('multipart/signed; protocol="application/pgp-signature"', b"")
        == "pgp_signed"
    )
    inline = b"-----BEGIN PGP MESSAGE-----\n\nhQEMA...\n-----END PGP MESSAGE-----\n"
    assert classify(b"From: a@b.c\nSubject: x\n\n" + inline) == "pgp_encrypted"
    clearsigned = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhi\n"
    assert classify(b"From: a@b.c\n\n" + clearsigned) == "pgp_signed"
    quoted = b"> -----BEGIN PGP MESSAGE-----\n"
    assert classify(b"From: a@b.c\n\n" + quoted) == "plaintext"


def test_list_footer_wrapping_keeps_the_signature_visible():
    body = (
        b'--outer\nContent-Type: multipart/signed; protocol="application/pgp-signature";'
        b" boundary=inner\n\n--inner\n...\n--outer\nContent-Type: text/plain\n\nfooter\n--outer--\n"
    )
    assert classify_encryption("multipart/mixed; boundary=outer", body) == "pgp_signed"
