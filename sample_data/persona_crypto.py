"""Real S/MIME (the `cryptography` package) and real OpenPGP (GnuPG) for the persona mailbox.

The keys are made once and committed under ``sample_data/keys/`` (test keys, no
passphrase), so every run signs and encrypts with the same certificates and key ids.
What differs between runs is only what the cryptography itself randomises: the
content-encryption key of S/MIME enveloped data and the session key of OpenPGP
encryption. S/MIME signatures carry no signed attributes (no signing time) and
OpenPGP signatures are made at the message's own time with ``--faked-system-time``,
so both are byte-for-byte reproducible.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["OpenPgp", "Smime", "SmimeIdentity", "base64_lines"]


def base64_lines(data: bytes, width: int = 76) -> bytes:
    encoded = base64.b64encode(data)
    return b"\r\n".join(encoded[i : i + width] for i in range(0, len(encoded), width)) + b"\r\n"


@dataclass(frozen=True)
class SmimeIdentity:
    name: str
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


class Smime:
    """A small corporate PKI: one issuing CA and personal certificates."""

    VALID_FROM = dt.datetime(2023, 9, 1, tzinfo=dt.UTC)
    VALID_UNTIL = dt.datetime(2033, 9, 1, tzinfo=dt.UTC)

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ca_key, self.ca = self._load_or_make_ca()

    def _load_or_make_ca(self) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        key_path, cert_path = self.folder / "smime-ca.key", self.folder / "smime-ca.pem"
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), None)
            return key, x509.load_pem_x509_certificate(cert_path.read_bytes())  # type: ignore[return-value]
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kestrel Analytics AB"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Kestrel Analytics Issuing CA 1"),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(0x4B455354524C)
            .not_valid_before(self.VALID_FROM)
            .not_valid_after(self.VALID_UNTIL)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256())
        )
        self._save(key, certificate, "smime-ca")
        return key, certificate

    def _save(self, key: rsa.RSAPrivateKey, certificate: x509.Certificate, stem: str) -> None:
        (self.folder / f"{stem}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (self.folder / f"{stem}.pem").write_bytes(
            certificate.public_bytes(serialization.Encoding.PEM)
        )

    def identity(self, stem: str, name: str, addresses: list[str], serial: int) -> SmimeIdentity:
        """A personal certificate whose subject and SAN name ``addresses``."""
        key_path, cert_path = self.folder / f"{stem}.key", self.folder / f"{stem}.pem"
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), None)
            certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
            return SmimeIdentity(name, certificate, key)  # type: ignore[arg-type]
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kestrel Analytics AB"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.EMAIL_ADDRESS, addresses[0]),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.ca.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(self.VALID_FROM)
            .not_valid_after(self.VALID_UNTIL)
            .add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name(a) for a in addresses]),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            )
            .sign(self.ca_key, hashes.SHA256())
        )
        self._save(key, certificate, stem)
        return SmimeIdentity(name, certificate, key)

    def detached_signature(self, signer: SmimeIdentity, canonical_entity: bytes) -> bytes:
        """DER of a detached PKCS#7 signature over the CRLF-canonical MIME entity.

        The signer's certificate travels with every signature, readable by anyone:
        that is what the ``smime-certificate`` evidence reads.
        """
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(canonical_entity)
            .add_signer(signer.certificate, signer.key, hashes.SHA256())
            .add_certificate(self.ca)
            .sign(
                serialization.Encoding.DER,
                [
                    pkcs7.PKCS7Options.DetachedSignature,
                    pkcs7.PKCS7Options.Binary,
                    pkcs7.PKCS7Options.NoAttributes,
                ],
            )
        )

    @staticmethod
    def envelope(recipients: list[x509.Certificate], canonical_entity: bytes) -> bytes:
        """DER of enveloped data for ``recipients`` (random content key: differs per run)."""
        builder = pkcs7.PKCS7EnvelopeBuilder().set_data(canonical_entity)
        for certificate in recipients:
            builder = builder.add_recipient(certificate)
        return builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


class OpenPgp:
    """GnuPG in a throw-away home, loaded with the committed persona keys."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("gpg") is None:
            raise SystemExit("gpg (GnuPG) is needed: apt-get install gnupg")
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._home = tempfile.TemporaryDirectory(prefix="mxa-gnupg-")
        self.home = Path(self._home.name)
        os.chmod(self.home, 0o700)
        for key_file in sorted(self.folder.glob("*.sec.asc")):
            self._gpg("--import", str(key_file))

    def close(self) -> None:
        subprocess.run(
            ["gpgconf", "--homedir", str(self.home), "--kill", "all"],
            check=False,
            capture_output=True,
        )
        self._home.cleanup()

    def _gpg(self, *args: str, data: bytes | None = None, when: int | None = None) -> bytes:
        command = ["gpg", "--homedir", str(self.home), "--batch", "--yes", "--quiet"]
        command += ["--pinentry-mode", "loopback", "--passphrase", ""]
        if when is not None:
            command += ["--faked-system-time", f"{when}!"]
        completed = subprocess.run([*command, *args], input=data, capture_output=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"gpg {' '.join(args)} failed: {completed.stderr.decode()}")
        return completed.stdout

    def ensure_key(self, stem: str, user_ids: list[str], created: int) -> str:
        """The fingerprint of the key for ``user_ids``, made and saved if missing."""
        secret = self.folder / f"{stem}.sec.asc"
        if not secret.exists():
            self._gpg("--quick-gen-key", user_ids[0], "ed25519", "sign", "0", when=created)
            fingerprint = self.fingerprint(user_ids[0])
            for extra in user_ids[1:]:
                self._gpg("--quick-add-uid", fingerprint, extra, when=created)
            self._gpg("--quick-add-key", fingerprint, "cv25519", "encr", "0", when=created)
            secret.write_bytes(self._gpg("--armor", "--export-secret-keys", fingerprint))
            (self.folder / f"{stem}.pub.asc").write_bytes(
                self._gpg("--armor", "--export", fingerprint)
            )
        return self.fingerprint(user_ids[0])

    def fingerprint(self, user_id: str) -> str:
        listing = self._gpg("--with-colons", "--list-keys", user_id).decode()
        return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))

    def encryption_key_id(self, fingerprint: str) -> str:
        """The 16-hex-digit id of the encryption subkey: what a PKESK packet names."""
        listing = self._gpg("--with-colons", "--list-keys", fingerprint).decode()
        for line in listing.splitlines():
            fields = line.split(":")
            if fields[0] == "sub" and "e" in fields[11]:
                return fields[4]
        raise RuntimeError(f"no encryption subkey on {fingerprint}")

    def public_key(self, fingerprint: str) -> bytes:
        return self._gpg("--export", fingerprint)

    def detached_signature(self, signer: str, canonical_entity: bytes, when: int) -> bytes:
        """Armoured detached signature, made at ``when`` (reproducible)."""
        return self._gpg(
            "--armor", "--detach-sign", "--digest-algo", "SHA256", "--local-user", signer,
            data=canonical_entity, when=when,
        )  # fmt: skip

    def encrypt(
        self, recipients: list[str], canonical_entity: bytes, when: int, signer: str | None
    ) -> bytes:
        """Armoured OpenPGP message to ``recipients`` (random session key: differs per run)."""
        args = ["--armor", "--encrypt", "--trust-model", "always"]
        for recipient in recipients:
            args += ["--recipient", recipient]
        if signer:
            args += ["--sign", "--local-user", signer, "--digest-algo", "SHA256"]
        return self._gpg(*args, data=canonical_entity, when=when)
