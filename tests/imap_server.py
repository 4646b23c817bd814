"""A real IMAP server for the tests: Dovecot on loopback, with a throwaway user.

Each server lives in its own folder under the system's temporary directory (the mail
processes run as Dovecot's own user, which must be able to reach it): its configuration,
a CA and a server certificate made with ``cryptography``, the user's Maildir, and the log,
whose logout lines say how many bytes went over the connection and how many bodies were
fetched. The Makefile installs Debian's ``dovecot-imapd``.
"""

from __future__ import annotations

import contextlib
import datetime
import http.server
import ipaddress
import json
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER = "alice"
PASSWORD = "correct horse battery staple"
TOKEN = "an OAuth2 bearer token for alice"  # what the introspection endpoint accepts
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Introspection(http.server.BaseHTTPRequestHandler):
    """The OAuth2 provider's token check Dovecot asks (RFC 7662): TOKEN is alice's."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        known = form.get("token") == [TOKEN]
        answer = json.dumps({"active": known, "username": USER} if known else {"active": False})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


def _certificates(folder: Path) -> None:
    """ca.pem (a throwaway CA) and server.pem/server.key for 127.0.0.1 and localhost."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mxa test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


class Dovecot:
    """A running Dovecot: ``imaps_port`` (TLS), ``imap_port`` (STARTTLS), ``cafile``."""

    def __init__(self) -> None:
        if not Path(DOVECOT).exists():
            raise RuntimeError("dovecot is not installed: `make test` installs dovecot-imapd")
        self.folder = Path(tempfile.mkdtemp(prefix="mxa-dovecot-"))
        self.folder.chmod(0o755)
        self.imaps_port, self.imap_port = _free_port(), _free_port()
        self.cafile = str(self.folder / "ca.pem")
        self.mail_user = "dovecot" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        entry = pwd.getpwnam(self.mail_user)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        self.home = self.folder / "home" / USER
        self.home.mkdir(parents=True)
        for path in (self.folder / "home", self.home):
            os.chown(path, self.uid, self.gid)
        _certificates(self.folder)
        (self.folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.introspection = http.server.HTTPServer(("127.0.0.1", 0), _Introspection)
        threading.Thread(target=self.introspection.serve_forever, daemon=True).start()
        (self.folder / "oauth2.conf.ext").write_text(
            "introspection_mode = post\n"
            f"introspection_url = http://127.0.0.1:{self.introspection.server_port}/\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
        )
        (self.folder / "dovecot.conf").write_text(self._configuration())
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.folder / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait()

    def _configuration(self) -> str:
        folder = self.folder
        unprivileged = ""
        if os.geteuid() != 0:
            unprivileged = (
                f"default_internal_user = {self.mail_user}\ndefault_login_user = {self.mail_user}\n"
            )
        return f"""\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{folder}/server.pem
ssl_key = <{folder}/server.key
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login xoauth2 oauthbearer
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
{unprivileged}passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {folder}/oauth2.conf.ext
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""

    def _wait(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot did not start: {self.process.stderr.read()!r}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1).close()
                return
            time.sleep(0.1)
        raise RuntimeError("dovecot did not open its port within 20 s")

    def address(self, folder: str, *, starttls: bool = False, port: int | None = None) -> str:
        if starttls:
            return f"imap://{USER}@127.0.0.1:{port or self.imap_port}/{folder}"
        return f"imaps://{USER}@127.0.0.1:{port or self.imaps_port}/{folder}"

    def client(self):
        """A logged-in imapclient connection, for loading and inspecting mail."""
        from imapclient import IMAPClient

        context = ssl.create_default_context(cafile=self.cafile)
        client = IMAPClient("127.0.0.1", port=self.imaps_port, ssl_context=context)
        client.login(USER, PASSWORD)
        return client

    def append(self, folder: str, messages: Iterable[bytes]) -> None:
        """Store messages by IMAP APPEND, as a mail client would (line ends as CRLF)."""
        client = self.client()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for message in messages:
                client.append(folder, message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        finally:
            client.logout()

    def fill_maildir(self, folder: str, messages: Iterable[bytes]) -> None:
        """Write messages straight into the folder's Maildir: quicker than APPEND for tens
        of thousands; Dovecot indexes them when the folder is next opened."""
        root = self.home / "Maildir" / f".{folder}"
        for leaf in ("cur", "new", "tmp"):
            (root / leaf).mkdir(parents=True, exist_ok=True)
        for number, message in enumerate(messages):
            path = root / "cur" / f"{1700000000 + number}.M{number}P1.mxa:2,"
            path.write_bytes(message.replace(b"\r\n", b"\n"))
        for path in [self.home / "Maildir", *root.parent.glob(".*"), *root.rglob("*")]:
            os.chown(path, self.uid, self.gid)

    def log(self) -> str:
        return (self.folder / "dovecot.log").read_text()

    def sessions(self) -> list[dict[str, int]]:
        """Byte and fetch counts of each IMAP session so far, from the logout lines
        (``in``, ``out``, ``hdr_count``, ``body_bytes``…); Dovecot logs a logout a
        moment after it."""
        lines = [line for line in self.log().splitlines() if "Logged out" in line]
        return [{k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)} for line in lines]

    def stop(self) -> None:
        self.introspection.shutdown()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
