#!/usr/bin/env python3
"""Generate the persona mailbox: 18 months of Maya Lindqvist's mail, and what gives her away.

Maya is careful: a private Gmail address, a work address, a plus-address for one shop,
three alias-service addresses (Firefox Relay, DuckDuckGo, SimpleLogin), a catch-all
custom domain, S/MIME at work and OpenPGP with friends. Her mailbox still links most of
her identities, through everyday mistakes that ``README.md`` lists with the header line
that gives each away. This script writes, from one seed:

- ``persona/persona.mbox``      the archive as an mbox (mboxrd)
- ``persona/eml/``              the same messages as ``.eml`` files (CRLF)
- ``persona/maildir/``          the same messages as a Maildir (``cur/``)
- ``persona/truth.json``        the identities, every planted mistake and leak, with the
                                Message-IDs that carry them (what the tests check)

Everything comes from ``random.Random(SEED)`` and fixed dates. The keys are committed in
``keys/``; the only bytes that differ between runs are the randomised parts of
encryption (S/MIME content keys, OpenPGP session keys). Usage::

    python sample_data/make_persona.py [--out sample_data/persona]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from persona_crypto import OpenPgp, Smime, base64_lines

HERE = Path(__file__).resolve().parent
KEYS = HERE / "keys"
SEED = 20240108

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TOKYO = ZoneInfo("Asia/Tokyo")
PACIFIC = ZoneInfo("America/Los_Angeles")  # Gmail stamps its own hops in Pacific time
LISBON = ZoneInfo("Europe/Lisbon")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

START = datetime(2024, 1, 8, tzinfo=STOCKHOLM)
TRIP = (datetime(2024, 10, 14, tzinfo=UTC), datetime(2024, 10, 25, tzinfo=UTC))

# --- Maya's identities ----------------------------------------------------------------
PRIVATE = "maya.lindqvist@gmail.com"
WORK = "m.lindqvist@kestrel-analytics.example"
PLUS_SHOP = "maya.lindqvist+nordicgear@gmail.com"
RELAY = "k7q2xm9v@mozmail.com"
DUCK = "quiet.otter.42@duck.com"
SIMPLELOGIN = "lantern.harbor417@simplelogin.com"
CATCHALL_DOMAIN = "maya-l.example"
CATCHALL_PERSONAL = f"maya@{CATCHALL_DOMAIN}"
CATCHALL_AIRLINE = f"flights@{CATCHALL_DOMAIN}"
MAYA_NAME = "Maya Lindqvist"
LAPTOP = "mayas-thinkpad"
HOME_IP = "198.51.100.23"
HOTEL_IP = "203.0.113.88"
MUTT = "NeoMutt/20231103"


@dataclass(frozen=True)
class Person:
    name: str
    address: str
    zone: ZoneInfo
    route: str  # how their mail leaves: see Routes.outbound
    agent: str | None = None

    @property
    def domain(self) -> str:
        return self.address.split("@", 1)[1]


JONAS = Person("Jonas Berg", "jonas.berg@outlook.com", STOCKHOLM, "outlook.com",
               "Outlook-Android/2.0")  # fmt: skip
SOFIA = Person("Sofia Almeida", "sofia.almeida@proton.me", LISBON, "proton")
ERIK = Person("Erik Nyström", "erik@nystrom.example", STOCKHOLM, "postfix",
              "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.10.1")  # fmt: skip
KARIN = Person("Karin Ek", "karin.ek@gmail.com", STOCKHOLM, "gmail-web")
ANDERS = Person("Anders Holm", "anders.holm@kestrel-analytics.example", STOCKHOLM, "m365",
                "Microsoft Outlook 16.0")  # fmt: skip
PRIYA = Person("Priya Raman", "priya.raman@kestrel-analytics.example", STOCKHOLM, "m365",
               "Microsoft Outlook 16.0")  # fmt: skip
LENA = Person("Lena Fischer", "l.fischer@brightwater.example", BERLIN, "workspace")
LIST_MEMBERS = [
    Person("Tomas Varga", "tomas.varga@posteo.de", BERLIN, "postfix-posteo",
           "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.9.0"),
    Person("Hannah Cole", "hcole@audubon-volunteers.example", NEW_YORK, "workspace"),
    Person("Lars Dahl", "lars.dahl@gmail.com", STOCKHOLM, "gmail-web"),
    Person("Ines Moreau", "ines.moreau@fastmail.com", BERLIN, "fastmail",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:115.0) Gecko/20100101 Thunderbird/115.8.1"),
    Person("Kenji Sato", "k.sato@example.ac.jp", TOKYO, "postfix-academic", "Mutt/2.2.12 (2023-09-09)"),
]  # fmt: skip
BIRDWATCH = Person("Birdwatch Weekly", "news@birdwatchweekly.example", NEW_YORK, "mailchimp")
MORGON = Person("Tidningen Morgon", "nyhetsbrev@morgon.example", STOCKHOLM, "sendgrid")
NORDIC_GEAR = Person("Nordic Gear", "orders@nordicgear.example", STOCKHOLM, "sendgrid")
FJALL = Person("Fjällbutiken", "kundservice@fjallbutiken.example", STOCKHOLM, "sendgrid")
SKYNORDIC = Person("SkyNordic Airlines", "no-reply@skynordic.example", STOCKHOLM, "ses")
DEALS_HUB = Person("Deals Hub", "offers@dealshub-mail.example", NEW_YORK, "ses")
CRYPTOVAULT = Person("CryptoVault", "promo@cryptovault-news.example", NEW_YORK, "ses")
LIST_ADDRESS = "ornithology-l@lists.birdnet.example"
LIST_ID = "Nordic ornithology discussion <ornithology-l.lists.birdnet.example>"


# --- the shape of one message -----------------------------------------------------------
@dataclass
class Mail:
    """One message as it sits in Maya's mailbox: headers top to bottom, then the body."""

    sent: datetime
    headers: list[tuple[str, str]]
    body: bytes  # CRLF line endings, as on the wire
    folder: str  # "INBOX" or "Sent"
    message_id: str
    planted: list[str] = field(default_factory=list)  # truth entries this message carries

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def stable(text: str, length: int) -> str:
    """A token that is the same every time for ``text``: alias services keep one
    reverse alias per contact."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def fold(name: str, value: str, width: int = 78) -> str:
    """Fold a long header at spaces, the way MTAs do (continuation lines start with a tab)."""
    line = f"{name}: {value}"
    if len(line) <= width or " " not in value:
        return line
    out, current = [], f"{name}:"
    for word in value.split(" "):
        if len(current) + 1 + len(word) > width and current.strip() != f"{name}:":
            out.append(current)
            current = "\t" + word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    return "\r\n".join(out)


def encode_name(name: str) -> str:
    if name.isascii():
        return f'"{name}"' if any(c in name for c in ",.;:") else name
    return Header(name, "utf-8").encode()


def mailbox(name: str, address: str) -> str:
    return f"{encode_name(name)} <{address}>"


def stamp(moment: datetime, zone: ZoneInfo, comment: bool = False) -> str:
    local = moment.astimezone(zone)
    text = format_datetime(local)
    return f"{text} ({local.tzname()})" if comment else text


# --- randomness with a purpose ---------------------------------------------------------
class Dice:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def token(self, length: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def hex(self, length: int) -> str:
        return self.token(length, "0123456789abcdef")

    def upper(self, length: int) -> str:
        return self.token(length, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    def b64(self, length: int) -> str:
        return base64.b64encode(self.rng.randbytes(length)).decode()

    def ipv6_google(self) -> str:
        return f"2002:a05:{self.rng.randint(0x6000, 0x7FFF):x}:{self.rng.randint(0, 0xFFFF):x}:b0:{self.rng.randint(0, 0xFFF):x}::{self.rng.randint(1, 0xFF):x}"

    def pick(self, items):
        return self.rng.choice(items)

    def seconds(self, low: int, high: int) -> timedelta:
        return timedelta(seconds=self.rng.randint(low, high))


# --- Received chains as the providers write them ---------------------------------------
TLS13 = "(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256)"
M365_TENANT = "b4a1e3f0-6c2d-4f7a-9e1b-2d8c5a7f3e91"


class Routes:
    """Trace headers for each way a message leaves a sender and reaches a mailbox."""

    def __init__(self, dice: Dice) -> None:
        self.d = dice

    def outbound(self, sender: Person, recipient: str, t: datetime, client_ip: str | None):
        """Hops from the sender's client to its provider's edge: (hops newest first, t, edge)."""
        d, hops = self.d, []
        route = sender.route
        if route == "gmail-web":
            hops.append(f"by {d.ipv6_google()} with HTTP; {stamp(t, PACIFIC)}")
            edge = ("mail-" + d.pick(["wr1", "ej1", "lf1", "ed1"]) + f"-f{d.rng.randint(41, 99)}.google.com",
                    f"209.85.{d.rng.randint(128, 223)}.{d.rng.randint(1, 254)}")  # fmt: skip
        elif route == "gmail-mutt":
            hops.append(
                f"from {LAPTOP} ([{client_ip}]) by smtp.gmail.com with ESMTPSA id "
                f"{d.token(10)}sm{d.rng.randint(1000000, 9999999)}.{d.rng.randint(10, 99)}."
                f"{t.astimezone(PACIFIC):%Y.%m.%d.%H.%M.%S} for <{recipient}> {TLS13}; "
                f"{stamp(t, PACIFIC, comment=True)}"
            )
            edge = (
                f"mail-wm1-f{d.rng.randint(41, 99)}.google.com",
                f"209.85.128.{d.rng.randint(41, 99)}",
            )
        elif route == "m365" or route == "m365-mutt":
            mailbox_server = f"AM0PR10MB{d.rng.randint(1000, 9999)}.EURPRD10.PROD.OUTLOOK.COM"
            if route == "m365-mutt":
                hops.append(
                    f"from {LAPTOP} ({client_ip}) by {mailbox_server} (2603:10a6:208:{d.hex(3)}::{d.hex(2)}) "
                    f"with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) "
                    f"id 15.20.{d.rng.randint(7000, 7999)}.{d.rng.randint(10, 40)}; {stamp(t, UTC)}"
                )
            else:
                hops.append(
                    f"from {mailbox_server} ([fe80::{d.hex(4)}:{d.hex(4)}]) by {mailbox_server} "
                    f"([fe80::{d.hex(4)}:{d.hex(4)}%7]) with mapi id 15.20.{d.rng.randint(7000, 7999)}.{d.rng.randint(10, 40)}; "
                    f"{stamp(t, UTC)}"
                )
            t = t + d.seconds(1, 3)
            edge_host = "EUR05-DB8-obe.outbound.protection.outlook.com"
            hops.insert(
                0,
                f"from {mailbox_server} (2603:10a6:208:{d.hex(3)}::{d.hex(2)}) by "
                f"DB8EUR05FT0{d.rng.randint(10, 99)}.eop-eur05.prod.protection.outlook.com "
                f"(2603:10a6:10:{d.hex(3)}::{d.hex(2)}) with Microsoft SMTP Server "
                f"(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.{d.rng.randint(7000, 7999)}.{d.rng.randint(10, 40)}; "
                f"{stamp(t, UTC)}",
            )
            edge = (f"mail-db8eur05on20{d.rng.randint(600, 799)}.outbound.protection.outlook.com",
                    f"40.107.{d.rng.randint(1, 250)}.{d.rng.randint(1, 250)}")  # fmt: skip
            del edge_host
        elif route == "outlook.com":
            hops.append(
                f"from DB9P193MB{d.rng.randint(1000, 9999)}.EURP193.PROD.OUTLOOK.COM ([fe80::{d.hex(4)}]) by "
                f"DB9P193MB{d.rng.randint(1000, 9999)}.EURP193.PROD.OUTLOOK.COM ([fe80::{d.hex(4)}%4]) with mapi id "
                f"15.20.{d.rng.randint(7000, 7999)}.{d.rng.randint(10, 40)}; {stamp(t, UTC)}"
            )
            edge = ("EUR03-VI1-obe.outbound.protection.outlook.com",
                    f"40.92.{d.rng.randint(1, 120)}.{d.rng.randint(1, 250)}")  # fmt: skip
        elif route == "proton":
            edge = (
                f"mail-4{d.rng.randint(100, 399)}.protonmail.ch",
                f"185.70.43.{d.rng.randint(10, 40)}",
            )
        elif route == "postfix":
            hops.append(
                f"from [192.168.1.{d.rng.randint(10, 60)}] (c-203-0-113-5.home.example [203.0.113.5]) "
                f"by mail.nystrom.example (Postfix) with ESMTPSA id 4T{d.upper(8)} for <{recipient}>; "
                f"{stamp(t, sender.zone, comment=True)}"
            )
            edge = ("mail.nystrom.example", "192.0.2.45")
        elif route == "postfix-posteo":
            hops.append(
                f"from submission (posteo.de [185.67.36.169]) by mout02.posteo.de (Postfix) with ESMTPS "
                f"id 4T{d.upper(8)} for <{recipient}>; {stamp(t, BERLIN, comment=True)}"
            )
            edge = ("mout02.posteo.de", "185.67.36.66")
        elif route == "postfix-academic":
            hops.append(
                f"from kenji-lab.example.ac.jp (kenji-lab.example.ac.jp [192.0.2.140]) by "
                f"mx.example.ac.jp (Postfix) with ESMTP id {d.upper(10)}; {stamp(t, TOKYO, comment=True)}"
            )
            edge = ("mx.example.ac.jp", "192.0.2.141")
        elif route == "fastmail":
            hops.append(
                f"from mailfrontend2.messagingengine.com (mailfrontend2 [10.202.2.163]) by "
                f"mailout.nyi.internal (Postfix) with ESMTP id {d.upper(10)}; {stamp(t, NEW_YORK, comment=True)}"
            )
            edge = ("fout2-smtp.messagingengine.com", "103.168.172.145")
        elif route == "workspace":
            hops.append(
                f"by {d.ipv6_google()} with SMTP id {d.token(12)}; {stamp(t, PACIFIC, comment=True)}"
            )
            edge = (
                f"mail-sor-f{d.rng.randint(41, 99)}.google.com",
                f"209.85.220.{d.rng.randint(41, 99)}",
            )
        elif route == "mailchimp":
            edge = (f"mail{d.rng.randint(100, 199)}-{d.rng.randint(1, 40)}.atl{d.rng.randint(100, 199)}.mcsv.net",
                    f"198.2.{d.rng.randint(128, 191)}.{d.rng.randint(1, 250)}")  # fmt: skip
        elif route == "sendgrid":
            hops.append(
                f"by filterdrecv-{d.hex(10)}-{d.token(5)} with SMTP id filterdrecv-{d.token(12)}-1-{d.upper(8)}-1 {stamp(t, UTC)} (UTC)"
            )
            edge = (f"o{d.rng.randint(1, 9)}.ptr{d.rng.randint(1000, 9999)}.{sender.domain}",
                    f"149.72.{d.rng.randint(1, 250)}.{d.rng.randint(1, 250)}")  # fmt: skip
        elif route == "ses":
            edge = (f"a{d.rng.randint(8, 48)}-{d.rng.randint(10, 250)}.smtp-out.amazonses.com",
                    f"54.240.{d.rng.randint(8, 48)}.{d.rng.randint(10, 250)}")  # fmt: skip
        else:
            raise ValueError(route)
        return hops, t + d.seconds(1, 4), edge

    def gmail_inbound(self, edge: tuple[str, str], recipient: str, t: datetime, spf_domain: str):
        """Gmail's own hops on delivery, newest first, and the headers it adds on top."""
        d = self.d
        host, ip = edge
        mx = (
            f"from {host} ({host} [{ip}]) by mx.google.com with ESMTPS id "
            f"{d.token(10)}{d.rng.randint(100000, 999999)}.{d.rng.randint(100, 999)}.2024 "
            f"for <{recipient}> {TLS13}; {stamp(t, PACIFIC, comment=True)}"
        )
        t2 = t + d.seconds(0, 2)
        internal = f"by {d.ipv6_google()} with SMTP id {d.token(8)}csp{d.rng.randint(100000, 999999)}; {stamp(t2, PACIFIC)}"
        auth = (
            f"mx.google.com; dkim=pass header.i=@{spf_domain} header.s=s1 header.b={d.b64(6)[:8]}; "
            f"spf=pass (google.com: domain of {spf_domain} designates {ip} as permitted sender) "
            f"smtp.mailfrom={spf_domain}; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from={spf_domain}"
        )
        return [internal, mx], auth, t2

    def m365_inbound(self, edge: tuple[str, str], t: datetime):
        d = self.d
        host, ip = edge
        front = f"DB8EUR05FT0{d.rng.randint(10, 99)}.eop-eur05.prod.protection.outlook.com"
        hop1 = (
            f"from {host} ({ip}) by {front} (10.233.238.{d.rng.randint(2, 250)}) with Microsoft SMTP "
            f"Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.{d.rng.randint(7000, 7999)}.{d.rng.randint(10, 40)}; "
            f"{stamp(t, UTC)}"
        )
        t2 = t + d.seconds(0, 2)
        hop2 = (
            f"from {front} (2603:10a6:10:{d.hex(3)}::{d.hex(2)}) by AM0PR10MB{d.rng.randint(1000, 9999)}.EURPRD10.PROD.OUTLOOK.COM "
            f"(2603:10a6:208:{d.hex(3)}::{d.hex(2)}) with Microsoft SMTP Server (version=TLS1_2, "
            f"cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.{d.rng.randint(7000, 7999)}.{d.rng.randint(10, 40)}; {stamp(t2, UTC)}"
        )
        return [hop2, hop1], t2

    def forwarder(self, kind: str, t: datetime, edge: tuple[str, str], alias: str):
        """An alias service receiving for ``alias``: its MX hop and its own outbound edge."""
        d = self.d
        host, ip = edge
        if kind == "relay":
            mx = f"from {host} ({host} [{ip}]) by inbound-smtp.us-west-2.amazonaws.com with SMTP id {d.token(26)} for {alias}; {stamp(t, UTC)}"
            out = (
                f"a27-{d.rng.randint(10, 250)}.smtp-out.us-west-2.amazonses.com",
                f"54.240.27.{d.rng.randint(10, 250)}",
            )
        elif kind == "duck":
            mx = f"from {host} ({host} [{ip}]) by inbound1.duck.com (Haraka/3.0.2) with ESMTPS id {d.upper(8)}-{d.upper(4)} envelope-from <bounce@{host}> (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384); {stamp(t, UTC)}"
            out = (f"outbound{d.rng.randint(1, 4)}.duck.com", f"20.67.221.{d.rng.randint(10, 90)}")
        elif kind == "simplelogin":
            mx = f"from {host} ({host} [{ip}]) by mx1.simplelogin.co (Postfix) with ESMTPS id 4T{d.upper(8)} for <{alias}>; {stamp(t, UTC, comment=True)}"
            out = (
                f"mail-{d.rng.randint(200, 220)}.simplelogin.co",
                f"176.119.200.{d.rng.randint(200, 220)}",
            )
        elif kind == "catchall":
            mx = f"from {host} ({host} [{ip}]) by mx1.forwardmail.example (Haraka/3.0.3) with ESMTPS id {d.upper(10)} envelope-from <bounce@{host}> for <{alias}>; {stamp(t, UTC)}"
            out = ("mx1.forwardmail.example", "192.0.2.201")
        else:
            raise ValueError(kind)
        return mx, out, t + d.seconds(1, 6)


def dkim(dice: Dice, domain: str, selector: str, headers: str) -> str:
    return (
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s={selector}; t={dice.rng.randint(1700000000, 1750000000)}; "
        f"h={headers}; bh={dice.b64(32)}; b={dice.b64(128)}"
    )


# --- bodies: plain, S/MIME, OpenPGP -----------------------------------------------------
def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def text_entity(text: str) -> bytes:
    """A text/plain MIME entity, CRLF-canonical (what gets signed or encrypted)."""
    header = "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    return header.encode() + crlf(text)


class Bodies:
    def __init__(self, dice: Dice, smime: Smime, pgp: OpenPgp) -> None:
        self.d, self.smime, self.pgp = dice, smime, pgp

    def boundary(self) -> str:
        return f"------------{self.d.upper(24)}"

    def plain(self, text: str) -> tuple[list[tuple[str, str]], bytes]:
        return [
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=UTF-8; format=flowed"),
            ("Content-Transfer-Encoding", "8bit"),
        ], crlf(text)

    def smime_signed(self, signer, text: str):
        entity = text_entity(text)
        signature = self.smime.detached_signature(signer, entity)
        b = self.boundary()
        body = (
            b"This is a cryptographically signed message in MIME format.\r\n\r\n"
            + f"--{b}\r\n".encode() + entity + f"\r\n--{b}\r\n".encode()
            + b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
            + b"Content-Transfer-Encoding: base64\r\n"
            + b'Content-Disposition: attachment; filename="smime.p7s"\r\n'
            + b"Content-Description: S/MIME Cryptographic Signature\r\n\r\n"
            + base64_lines(signature) + f"--{b}--\r\n".encode()
        )  # fmt: skip
        return [
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="{b}"'),
        ], body  # fmt: skip

    def smime_encrypted(self, recipients, text: str):
        enveloped = self.smime.envelope(recipients, text_entity(text))
        return [
            ("MIME-Version", "1.0"),
            ("Content-Type", 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", 'attachment; filename="smime.p7m"'),
            ("Content-Description", "S/MIME Encrypted Message"),
        ], base64_lines(enveloped)  # fmt: skip

    def pgp_signed(self, signer: str, text: str, when: datetime):
        entity = text_entity(text)
        signature = self.pgp.detached_signature(signer, entity, int(when.timestamp()))
        b = self.boundary()
        body = (
            b"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
            + f"--{b}\r\n".encode() + entity + f"\r\n--{b}\r\n".encode()
            + b'Content-Type: application/pgp-signature; name="OpenPGP_signature.asc"\r\n'
            + b"Content-Description: OpenPGP digital signature\r\n"
            + b'Content-Disposition: attachment; filename="OpenPGP_signature.asc"\r\n\r\n'
            + signature.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            + f"\r\n--{b}--\r\n".encode()
        )  # fmt: skip
        return [
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="{b}"'),
        ], body  # fmt: skip

    def pgp_encrypted(self, recipients: list[str], text: str, when: datetime, signer: str | None):
        message = self.pgp.encrypt(recipients, text_entity(text), int(when.timestamp()), signer)
        b = self.boundary()
        body = (
            b"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"
            + f"--{b}\r\n".encode()
            + b"Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n"
            + f"--{b}\r\n".encode()
            + b'Content-Type: application/octet-stream; name="encrypted.asc"\r\n'
            + b"Content-Description: OpenPGP encrypted message\r\n"
            + b'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n'
            + message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            + f"\r\n--{b}--\r\n".encode()
        )  # fmt: skip
        return [
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="{b}"'),
        ], body  # fmt: skip


# --- the mailbox, message by message ----------------------------------------------------
class Persona:
    """Builds Maya's mailbox in time order and keeps the truth about what it plants."""

    def __init__(self, dice: Dice, smime: Smime, pgp: OpenPgp) -> None:
        self.d = dice
        self.routes = Routes(dice)
        self.bodies = Bodies(dice, smime, pgp)
        self.smime = smime
        self.pgp = pgp
        self.mails: list[Mail] = []
        self.truth: dict[str, list] = {"mistakes": [], "leaks": []}
        self.maya_cert = smime.identity("maya-smime", MAYA_NAME, [WORK, PRIVATE], serial=0x1001)
        self.anders_cert = smime.identity("anders-smime", ANDERS.name, [ANDERS.address], 0x1002)
        self.priya_cert = smime.identity("priya-smime", PRIYA.name, [PRIYA.address], 0x1003)
        created = int(datetime(2023, 11, 2, tzinfo=UTC).timestamp())
        self.maya_key = pgp.ensure_key(
            "maya-openpgp",
            [f"{MAYA_NAME} <{PRIVATE}>", f"{MAYA_NAME} <{CATCHALL_PERSONAL}>"],
            created,
        )
        self.sofia_key = pgp.ensure_key(
            "sofia-openpgp", [f"{SOFIA.name} <{SOFIA.address}>"], created
        )
        self.erik_key = pgp.ensure_key("erik-openpgp", [f"{ERIK.name} <{ERIK.address}>"], created)
        self.autocrypt_keydata = base64.b64encode(pgp.public_key(self.maya_key)).decode()

    # -- identifiers -------------------------------------------------------------------
    def message_id(self, route: str, sender: Person | None, t: datetime) -> str:
        d = self.d
        if route in ("gmail-mutt", "m365-mutt"):
            local = t.astimezone(STOCKHOLM)
            return f"<{local:%Y%m%d%H%M%S}.GA{d.rng.randint(1000, 99999)}@{LAPTOP}>"
        if route in ("gmail-web", "workspace"):
            return f"<CA{d.token(2).upper()}{d.b64(33).replace('/', '_').replace('+', '-')[:44]}@mail.gmail.com>"
        if route in ("m365", "outlook.com"):
            server = "AM0PR10MB" if route == "m365" else "DB9P193MB"
            suffix = "eurprd10.prod.outlook.com" if route == "m365" else "EURP193.PROD.OUTLOOK.COM"
            return f"<{server}{d.rng.randint(1000, 9999)}{d.upper(12)}@{suffix}>"
        if route == "proton":
            return f"<{d.b64(48).replace('/', '_').replace('+', '-')[:64]}=@proton.me>"
        domain = sender.domain if sender else "localhost"
        return f"<{d.hex(8)}-{d.hex(4)}-{d.hex(4)}-{d.hex(4)}-{d.hex(12)}@{domain}>"

    def _plant(self, mail: Mail, key: str) -> None:
        mail.planted.append(key)

    # -- assembling -------------------------------------------------------------------
    def body(self, kind: str, text: str, t: datetime, signer=None, recipients=None):
        b = self.bodies
        if kind == "plain":
            return b.plain(text)
        if kind == "smime-signed":
            return b.smime_signed(signer, text)
        if kind == "smime-encrypted":
            return b.smime_encrypted(recipients, text)
        if kind == "pgp-signed":
            return b.pgp_signed(signer, text, t)
        if kind == "pgp-encrypted":
            return b.pgp_encrypted(recipients, text, t, signer)
        raise ValueError(kind)

    def incoming(
        self,
        sender: Person,
        to: list[tuple[str, str]],
        subject: str,
        text: str,
        t: datetime,
        *,
        deliver_to: str,
        cc: list[tuple[str, str]] = (),  # type: ignore[assignment]
        kind: str = "plain",
        signer=None,
        recipients=None,
        reply: Mail | None = None,
        forward_via: str | None = None,
        list_post: bool = False,
        extra: list[tuple[str, str]] = (),  # type: ignore[assignment]
        planted: list[str] = (),  # type: ignore[assignment]
    ) -> Mail:
        """A message that reaches Maya at ``deliver_to`` (one of her identities)."""
        d = self.d
        message_id = self.message_id(sender.route, sender, t)
        own: list[tuple[str, str]] = [("From", mailbox(sender.name, sender.address))]
        own.append(("To", ", ".join(mailbox(n, a) if n else a for n, a in to)))
        if cc:
            own.append(("Cc", ", ".join(mailbox(n, a) if n else a for n, a in cc)))
        own += [("Subject", subject), ("Date", stamp(t, sender.zone)), ("Message-ID", message_id)]
        if reply is not None:
            own += self._thread_headers(reply)
        if sender.agent:
            own.append(
                (
                    "User-Agent"
                    if "Thunderbird" in sender.agent or "Mutt" in sender.agent
                    else "X-Mailer",
                    sender.agent,
                )
            )
        own += list(extra)
        mime, body = self.body(kind, text, t, signer, recipients)
        own += mime

        hops, t_out, edge = self.routes.outbound(sender, deliver_to, t + d.seconds(2, 20), None)
        trace: list[tuple[str, str]] = [("Received", h) for h in hops]
        selector = {"mailchimp": "k2", "sendgrid": "s1", "ses": "ug7nbtf4gccmlpwj322ax3p6ow6yfsug",
                    "proton": "protonmail3", "m365": "selector1", "outlook.com": "selector1"}.get(sender.route, "mail")  # fmt: skip
        sign_domain = "outlook.com" if sender.route == "outlook.com" else sender.domain
        trace.insert(
            0, ("DKIM-Signature", dkim(d, sign_domain, selector, "From:To:Subject:Date:Message-ID"))
        )
        if sender.route == "m365":
            trace.insert(0, ("X-MS-Exchange-CrossTenant-Id", M365_TENANT))

        if list_post:
            list_hops, t_out = self._list_hops(sender, edge, t_out)
            trace = list_hops + trace
            edge = ("lists.birdnet.example", "198.51.100.77")

        alias = next(
            (
                a
                for _, a in to
                if a in (RELAY, DUCK, SIMPLELOGIN) or a.endswith("@" + CATCHALL_DOMAIN)
            ),
            None,
        )
        if forward_via:
            mx, edge, t_out = self.routes.forwarder(forward_via, t_out, edge, alias)
            trace.insert(0, ("Received", mx))
            own, added = self._rewrite_for_forwarder(forward_via, own, sender, alias)
            trace = added + trace

        if deliver_to == WORK:
            inbound, _ = self.routes.m365_inbound(edge, t_out)
            top = [("Received", h) for h in inbound]
            top.append(
                (
                    "Authentication-Results",
                    f"spf=pass (sender IP is {edge[1]}) smtp.mailfrom={sender.domain}; dkim=pass (signature was verified) header.d={sign_domain};dmarc=pass action=none header.from={sender.domain};compauth=pass reason=100",
                )
            )
            top.append(("X-MS-Exchange-CrossTenant-Id", M365_TENANT))
            headers = [*top, ("Return-Path", f"<{sender.address}>"), *trace, *own]
        else:
            inbound, auth, _ = self.routes.gmail_inbound(edge, PRIVATE, t_out, sender.domain)
            top = [("Delivered-To", PRIVATE)] + [("Received", h) for h in inbound[:1]]
            top += [
                ("X-Google-Smtp-Source", d.b64(60)),
                (
                    "Return-Path",
                    f"<bounce-{d.token(6)}@{sender.domain}>"
                    if sender.route in ("mailchimp", "sendgrid", "ses")
                    else f"<{sender.address}>",
                ),
            ]
            top += [
                ("Received", inbound[1]),
                (
                    "Received-SPF",
                    f"pass (google.com: domain of {sender.domain} designates {edge[1]} as permitted sender) client-ip={edge[1]};",
                ),
                ("Authentication-Results", auth),
            ]
            if forward_via == "catchall":
                top.insert(1, ("X-Forwarded-To", PRIVATE))
                top.insert(2, ("X-Original-To", alias))
            headers = top + trace + own
        mail = Mail(t, headers, body, "INBOX", message_id)
        for key in planted:
            self._plant(mail, key)
        self.mails.append(mail)
        return mail

    def _thread_headers(self, parent: Mail) -> list[tuple[str, str]]:
        references = parent.header("References")
        chain = f"{references} {parent.message_id}" if references else parent.message_id
        return [("In-Reply-To", parent.message_id), ("References", chain)]

    def _list_hops(self, sender: Person, edge: tuple[str, str], t: datetime):
        d = self.d
        host, ip = edge
        inbound = f"from {host} ({host} [{ip}]) by lists.birdnet.example (Postfix) with ESMTPS id 4T{d.upper(8)} for <{LIST_ADDRESS}>; {stamp(t, STOCKHOLM, comment=True)}"
        t2 = t + d.seconds(3, 30)
        outbound = f"from lists.birdnet.example (localhost [127.0.0.1]) by lists.birdnet.example (Postfix) with ESMTP id 4T{d.upper(8)}; {stamp(t2, STOCKHOLM, comment=True)}"
        headers = [
            ("Received", outbound),
            ("List-Id", LIST_ID),
            ("List-Unsubscribe", "<https://lists.birdnet.example/postorius/lists/ornithology-l.lists.birdnet.example/>, <mailto:ornithology-l-leave@lists.birdnet.example>"),
            ("List-Post", f"<mailto:{LIST_ADDRESS}>"),
            ("Precedence", "list"),
            ("Received", inbound),
        ]  # fmt: skip
        return headers, t2 + d.seconds(1, 5)

    def _rewrite_for_forwarder(self, kind: str, own, sender: Person, alias: str):
        """What each alias service does to the headers it forwards (FIELD-GUIDE.md)."""
        d = self.d
        own = list(own)
        if kind == "relay":
            own[0] = ("From", f'"{sender.address} [via Relay]" <{alias}>')
            added = [
                ("Resent-From", sender.address),
                (
                    "Reply-To",
                    f"<{d.b64(24).replace('/', '').replace('+', '')[:32]}@relay.firefox.com>",
                ),
            ]
        elif kind == "duck":
            reverse = sender.address.replace("@", "_at_")
            own[0] = (
                "From",
                f'"{sender.name} <{sender.address}>" <{reverse}_{stable(sender.address, 6)}@duck.com>',
            )
            added = []
        elif kind == "simplelogin":
            own[0] = (
                "From",
                f'"{sender.name} - {sender.address.replace("@", " at ")}" <{stable(sender.address, 6)}.{stable(sender.address[::-1], 5)}@simplelogin.co>',
            )
            added = [
                ("X-SimpleLogin-Type", "Forward"),
                ("X-SimpleLogin-EmailLog-ID", str(d.rng.randint(400000000, 499999999))),
                ("X-SimpleLogin-Envelope-From", f"bounce-{d.token(6)}@{sender.domain}"),
                ("X-SimpleLogin-Envelope-To", alias),
                ("X-SimpleLogin-Original-From", mailbox(sender.name, sender.address)),
            ]
        else:  # the catch-all forwarder keeps the message as it is
            added = []
        return own, added

    def outgoing(
        self,
        sender_address: str,
        to: list[tuple[str, str]],
        subject: str,
        text: str,
        t: datetime,
        *,
        route: str,
        cc: list[tuple[str, str]] = (),  # type: ignore[assignment]
        kind: str = "plain",
        signer=None,
        recipients=None,
        reply: Mail | None = None,
        extra: list[tuple[str, str]] = (),  # type: ignore[assignment]
        planted: list[str] = (),  # type: ignore[assignment]
    ) -> Mail:
        """A message Maya sends, as its copy sits in her Sent folder."""
        d = self.d
        abroad = TRIP[0] <= t < TRIP[1]
        zone = TOKYO if abroad else STOCKHOLM
        client_ip = HOTEL_IP if abroad else HOME_IP
        message_id = self.message_id(route, None, t)
        own: list[tuple[str, str]] = [
            ("Date", stamp(t, zone)),
            ("From", mailbox(MAYA_NAME, sender_address)),
            ("To", ", ".join(mailbox(n, a) if n else a for n, a in to)),
        ]
        if cc:
            own.append(("Cc", ", ".join(mailbox(n, a) if n else a for n, a in cc)))
        own += [("Subject", subject), ("Message-ID", message_id)]
        if reply is not None:
            own += self._thread_headers(reply)
        own += list(extra)
        if route in ("gmail-mutt", "m365-mutt"):
            own.append(("User-Agent", MUTT))
        if route == "gmail-mutt" or (
            route == "gmail-web" and sender_address == CATCHALL_PERSONAL and kind.startswith("pgp")
        ):
            own.append(
                (
                    "Autocrypt",
                    f"addr={sender_address}; prefer-encrypt=mutual; keydata={self.autocrypt_keydata}",
                )
            )
        mime, body = self.body(kind, text, t, signer, recipients)
        own += mime
        headers: list[tuple[str, str]] = []
        if route == "gmail-mutt":
            hops, _, _ = self.routes.outbound(
                Person(MAYA_NAME, sender_address, zone, route),
                to[0][1],
                t + d.seconds(1, 5),
                client_ip,
            )
            headers = [
                ("Return-Path", f"<{PRIVATE}>"),
                ("Received", hops[0]),
                ("X-Google-Smtp-Source", d.b64(60)),
            ]
        mail = Mail(t, headers + own, body, "Sent", message_id)
        for key in planted:
            self._plant(mail, key)
        self.mails.append(mail)
        return mail

    def team_copy(self, sent: Mail, t: datetime, planted: list[str] = ()) -> Mail:  # type: ignore[assignment]
        """The copy of Maya's own work mail that the team list delivers back to her inbox.

        It carries the Received chain from her laptop: what her correspondents see too.
        """
        d = self.d
        abroad = TRIP[0] <= t < TRIP[1]
        me = Person(MAYA_NAME, WORK, TOKYO if abroad else STOCKHOLM, "m365-mutt")
        hops, t_out, _ = self.routes.outbound(
            me, WORK, t + d.seconds(1, 4), HOTEL_IP if abroad else HOME_IP
        )
        inbound = f"from AM0PR10MB{d.rng.randint(1000, 9999)}.EURPRD10.PROD.OUTLOOK.COM (2603:10a6:208:{d.hex(3)}::{d.hex(2)}) by AM0PR10MB{d.rng.randint(1000, 9999)}.EURPRD10.PROD.OUTLOOK.COM with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.{d.rng.randint(7000, 7999)}.{d.rng.randint(10, 40)} via Mailbox Transport; {stamp(t_out, UTC)}"
        top = [("Received", inbound)] + [("Received", h) for h in hops]
        top += [
            ("X-MS-Exchange-CrossTenant-Id", M365_TENANT),
            ("X-MS-Exchange-Organization-AuthAs", "Internal"),
        ]
        own = [
            (k, v)
            for k, v in sent.headers
            if k not in ("Received", "Return-Path", "X-Google-Smtp-Source")
        ]
        mail = Mail(t, top + own, sent.body, "INBOX", sent.message_id)
        for key in planted:
            self._plant(mail, key)
        self.mails.append(mail)
        return mail


# --- eighteen months of mail -------------------------------------------------------------
def at(day: int, hour: float) -> datetime:
    """``day`` days after the start, at ``hour`` o'clock Stockholm time, in UTC."""
    local = START + timedelta(days=day, hours=hour)
    return local.replace(tzinfo=STOCKHOLM).astimezone(UTC)


def kyoto(day: int, hour: float) -> datetime:
    local = datetime(2024, 10, 14, tzinfo=TOKYO) + timedelta(days=day, hours=hour)
    return local.astimezone(UTC)


SMALL_TALK = [
    "Sounds good, see you then!",
    "Thanks, that helps a lot.",
    "Let me check my calendar and get back to you.",
    "Great photos, the light on the water is amazing.",
    "I'll bring the maps and the thermos.",
    "Could we move it to next week? Work is busy.",
]
WORK_TALK = [
    "Attached are the updated figures for the Q{q} churn model.",
    "The pipeline run finished; validation loss is down to {n}.",
    "Can we review the feature list before the client call on {day}?",
    "I pushed the notebook to the shared repo, branch analysis-{n}.",
    "Minutes from today's stand-up are below.",
    "The client asked for a breakdown by region; I'll draft it tomorrow.",
]
BIRD_TALK = [
    "Saw a white-tailed eagle over Lake Mälaren this morning.",
    "Does anyone have a reliable spot for waxwings this winter?",
    "Reminder: the spring count starts on Saturday at 06:00.",
    "Great grey owl reported near Umeå, photos attached in the gallery.",
    "The ringing station needs two more volunteers in May.",
]


def live(p: Persona) -> None:
    d = p.d
    truth = p.truth

    def talk(bank: list[str]) -> str:
        return d.pick(bank).format(q=d.rng.randint(1, 4), n=d.rng.randint(2, 99), day="Thursday")

    # Friends --------------------------------------------------------------------------
    last = None
    for i, day in enumerate([3, 40, 95, 122, 150, 210, 255, 300, 380, 450, 505]):
        first = p.incoming(JONAS, [(MAYA_NAME, PRIVATE)], "Hike this weekend?" if i % 2 == 0 else "Photos",
                           f"Hej Maya,\n\n{talk(SMALL_TALK)}\n\n/Jonas\n", at(day, 18.5), deliver_to=PRIVATE,
                           reply=last)  # fmt: skip
        last = p.outgoing(PRIVATE, [(JONAS.name, JONAS.address)], "Re: " + first.header("Subject"),
                          f"{talk(SMALL_TALK)}\n\nMaya\n", at(day, 21), route="gmail-web", reply=first)  # fmt: skip

    party = p.incoming(
        JONAS,
        [(MAYA_NAME, PRIVATE), ("Karin Ek", KARIN.address)],
        "Midsummer at the cabin",
        "Hi all,\n\nMidsummer at our cabin again! Maya, I added your work address too since you "
        "said you rarely check Gmail during the week.\n\n/Jonas\n",
        at(160, 12),
        deliver_to=PRIVATE,
        cc=[(MAYA_NAME, WORK), ("Erik Nyström", ERIK.address)],
        planted=["co-recipient"],
    )
    truth["mistakes"].append({
        "id": "co-recipient",
        "evidence": "co-recipient",
        "identities": [PRIVATE, WORK],
        "observer_class": "correspondents",
        "message_ids": [party.message_id],
        "header": f"Cc: {MAYA_NAME} <{WORK}>, Erik Nyström <{ERIK.address}>",
        "story": "Jonas writes to Maya's private address and Cc's her work address; everyone on the "
                 "message (Karin, Erik) and both mailbox providers now see the two together.",
    })  # fmt: skip

    for day in (55, 230, 340, 490):
        karin = p.incoming(KARIN, [(MAYA_NAME, PRIVATE)], "Book club", f"{talk(SMALL_TALK)}\nKarin\n",
                           at(day, 20), deliver_to=PRIVATE)  # fmt: skip
        p.outgoing(PRIVATE, [("Karin Ek", KARIN.address)], "Re: Book club", f"{talk(SMALL_TALK)}\n",
                   at(day + 1, 8), route="gmail-web", reply=karin)  # fmt: skip

    # Sofia: OpenPGP, to the private address and to the catch-all ---------------------
    pgp_ids = []
    last = None
    for i, day in enumerate([12, 33, 70, 118, 175, 240, 290, 350, 420, 480]):
        to_catchall = i in (4, 7)
        address = CATCHALL_PERSONAL if to_catchall else PRIVATE
        incoming = p.incoming(
            SOFIA, [(MAYA_NAME, address)], "..." , f"Olá Maya,\n\n{talk(SMALL_TALK)}\n\nSofia\n",
            at(day, 11), deliver_to=PRIVATE, kind="pgp-encrypted",
            recipients=[p.maya_key, p.sofia_key], signer=p.sofia_key, reply=last,
            forward_via="catchall" if to_catchall else None,
        )  # fmt: skip
        last = p.outgoing(
            address, [(SOFIA.name, SOFIA.address)], "...", f"Hi Sofia,\n\n{talk(SMALL_TALK)}\n\nMaya\n",
            at(day, 19), route="gmail-mutt", kind="pgp-encrypted",
            recipients=[p.sofia_key, p.maya_key], signer=p.maya_key, reply=incoming,
            extra=[("Sender", PRIVATE)] if to_catchall else [],
        )  # fmt: skip
        if to_catchall or i in (0, 1):
            pgp_ids += [incoming.message_id, last.message_id]
            p._plant(incoming, "pgp-key")
            p._plant(last, "pgp-key")
            p._plant(last, "autocrypt")
    truth["mistakes"].append({
        "id": "pgp-key",
        "evidence": "pgp-key",
        "identities": [PRIVATE, CATCHALL_PERSONAL],
        "observer_class": "correspondents",
        "message_ids": pgp_ids,
        "header": f"PKESK recipient key id {p.pgp.encryption_key_id(p.maya_key)} in mail to both addresses; signature issuer {p.maya_key[-16:]} from both",
        "story": "Maya's one OpenPGP key carries both her Gmail and her custom-domain address. Sofia "
                 "encrypts to it under either address, and Maya signs from both with it: the key id "
                 "in the clear joins them.",
    })  # fmt: skip
    truth["mistakes"].append({
        "id": "autocrypt",
        "evidence": "autocrypt",
        "identities": [PRIVATE, CATCHALL_PERSONAL],
        "observer_class": "correspondents",
        "message_ids": [m.message_id for m in p.mails if "autocrypt" in m.planted],
        "header": "Autocrypt: addr=maya@maya-l.example; prefer-encrypt=mutual; keydata=… (the same keydata as under addr=maya.lindqvist@gmail.com)",
        "story": "Her mail client announces the same Autocrypt key under both addresses.",
    })  # fmt: skip
    truth["mistakes"].append({
        "id": "sender-catchall",
        "evidence": "sender",
        "identities": [PRIVATE, CATCHALL_PERSONAL],
        "observer_class": "correspondents",
        "message_ids": [m.message_id for m in p.mails if m.folder == "Sent" and m.header("Sender")],
        "header": f"Sender: {PRIVATE}",
        "story": "Mail sent as maya@maya-l.example through her Gmail account carries Sender: with "
                 "the Gmail address.",
    })  # fmt: skip
    for m in p.mails:
        if m.folder == "Sent" and m.header("Sender"):
            p._plant(m, "sender-catchall")

    # Erik: PGP-signed from him; Maya answers S/MIME-signed from her private address ------
    smime_private = []
    for day in (25, 140, 260, 400):
        erik = p.incoming(ERIK, [(MAYA_NAME, PRIVATE)], "Server in the basement",
                          f"Hi Maya,\n\n{talk(SMALL_TALK)}\n\n-- \nErik\n", at(day, 22), deliver_to=PRIVATE,
                          kind="pgp-signed", signer=p.erik_key)  # fmt: skip
        reply = p.outgoing(PRIVATE, [(ERIK.name, ERIK.address)], "Re: Server in the basement",
                           f"{talk(SMALL_TALK)}\n\nMaya\n", at(day + 1, 7.5), route="gmail-mutt",
                           kind="smime-signed", signer=p.maya_cert, reply=erik)  # fmt: skip
        smime_private.append(reply.message_id)
        p._plant(reply, "smime-certificate")

    # Work: Anders, Priya, Lena; S/MIME; the team list; the laptop ----------------------
    work_signed = []
    laptop_work = []
    thread_parent = None
    for i in range(30):
        day = 5 + i * 17 + d.rng.randint(0, 6)
        colleague = ANDERS if i % 2 == 0 else PRIYA
        cert = p.anders_cert if colleague is ANDERS else p.priya_cert
        encrypted = i % 5 == 3
        incoming = p.incoming(
            colleague, [(MAYA_NAME, WORK)], f"Churn model, week {day // 7 + 1}",
            f"Hi Maya,\n\n{talk(WORK_TALK)}\n\nBest,\n{colleague.name.split()[0]}\n",
            at(day, 9 + d.rng.random() * 6), deliver_to=WORK,
            kind="smime-encrypted" if encrypted else "smime-signed",
            signer=cert, recipients=[p.maya_cert.certificate, cert.certificate],
        )  # fmt: skip
        if i == 8:  # from Anders: the thread Maya answers from the wrong account
            thread_parent = incoming
            continue
        when = incoming.sent + timedelta(hours=1 + d.rng.random() * 5)
        if TRIP[0] - timedelta(days=1) <= when < TRIP[1]:
            when = kyoto(i % 9, 10)
        sent = p.outgoing(
            WORK, [(colleague.name, colleague.address)], "Re: " + incoming.header("Subject"),
            f"Thanks {colleague.name.split()[0]},\n\n{talk(WORK_TALK)}\n\n-- \nMaya Lindqvist\nData scientist, Kestrel Analytics\n",
            when, route="m365-mutt", cc=[("Analytics team", "team-analytics@kestrel-analytics.example")],
            kind="smime-encrypted" if encrypted else "smime-signed", signer=p.maya_cert,
            recipients=[p.maya_cert.certificate, cert.certificate], reply=incoming,
        )  # fmt: skip
        copy = p.team_copy(sent, when, planted=["laptop"])
        laptop_work.append(copy.message_id)
        if not encrypted:
            work_signed.append(sent.message_id)
            p._plant(sent, "smime-certificate")

    # a question from the office while Maya is in Kyoto: answered from the hotel
    question = p.incoming(PRIYA, [(MAYA_NAME, WORK)], "Quick question on the holdout set",
                          "Hi Maya,\n\nSorry to bother you on holiday: which seed did we use for the holdout split?\n\nPriya\n",
                          kyoto(3, 16) - timedelta(hours=8), deliver_to=WORK, kind="smime-signed", signer=p.priya_cert)  # fmt: skip
    answer = p.outgoing(WORK, [(PRIYA.name, PRIYA.address)], "Re: Quick question on the holdout set",
                        "Hi Priya,\n\nSeed 20240108, it is in the config.\n\nMaya\n", kyoto(3, 21), route="m365-mutt",
                        cc=[("Analytics team", "team-analytics@kestrel-analytics.example")], kind="smime-signed",
                        signer=p.maya_cert, reply=question)  # fmt: skip
    trip_ids = [p.team_copy(answer, answer.sent, planted=["laptop", "trip"]).message_id]
    postcard = p.outgoing(PRIVATE, [(JONAS.name, JONAS.address)], "Greetings from Kyoto",
                          "Hej Jonas,\n\nThe temples are unreal. Back on the 25th.\n\nMaya\n", kyoto(4, 20),
                          route="gmail-mutt", planted=["laptop", "trip"])  # fmt: skip
    trip_ids.append(postcard.message_id)

    # the reply from the wrong identity
    wrong = p.outgoing(
        PRIVATE, [(ANDERS.name, ANDERS.address)], "Re: " + thread_parent.header("Subject"),
        "Hi Anders,\n\nAnswering from my phone's account, sorry. The numbers look right to me.\n\nMaya\n",
        thread_parent.sent + timedelta(hours=3), route="gmail-mutt", reply=thread_parent, planted=["thread"],
    )  # fmt: skip
    truth["mistakes"].append({
        "id": "thread",
        "evidence": "thread",
        "identities": [WORK, PRIVATE],
        "observer_class": "correspondents",
        "message_ids": [thread_parent.message_id, wrong.message_id],
        "header": f"In-Reply-To: {thread_parent.message_id} (a thread addressed to {WORK}, answered From: {PRIVATE})",
        "story": "Anders writes to Maya's work address; her laptop's mail client answers from the "
                 "private account. Anders and everyone who sees the thread can join the two.",
    })  # fmt: skip

    # the careless Reply-To, to the client
    lena_ids = []
    last = None
    for j, day in enumerate([60, 130, 200, 330, 470]):
        lena = p.incoming(LENA, [(MAYA_NAME, WORK)], "Brightwater dashboard",
                          f"Dear Maya,\n\n{talk(WORK_TALK)}\n\nKind regards,\nLena Fischer\n",
                          at(day, 10), deliver_to=WORK, reply=last)  # fmt: skip
        extra = [("Reply-To", mailbox(MAYA_NAME, PRIVATE))] if j == 2 else []
        last = p.outgoing(WORK, [(LENA.name, LENA.address)], "Re: Brightwater dashboard",
                          f"Dear Lena,\n\n{talk(WORK_TALK)}\n\nBest regards,\nMaya\n", at(day, 15),
                          route="m365-mutt", reply=lena, extra=extra, kind="smime-signed",
                          signer=p.maya_cert, planted=["reply-to"] if extra else [])  # fmt: skip
        if extra:
            lena_ids.append(last.message_id)
    truth["mistakes"].append({
        "id": "reply-to",
        "evidence": "reply-to",
        "identities": [WORK, PRIVATE],
        "observer_class": "correspondents",
        "message_ids": lena_ids,
        "header": f"Reply-To: {MAYA_NAME} <{PRIVATE}>",
        "story": "Working late from home, Maya sets Reply-To to her Gmail address on a mail to the "
                 "client sent from her work account.",
    })  # fmt: skip
    truth["mistakes"].append({
        "id": "smime-certificate",
        "evidence": "smime-certificate",
        "identities": [WORK, PRIVATE],
        "observer_class": "correspondents",
        "message_ids": work_signed[:3] + smime_private,
        "header": f"signer certificate: CN={MAYA_NAME}, SAN email {WORK}, email {PRIVATE} (serial 0x1001), on signed mail From both",
        "story": "IT issued Maya's S/MIME certificate with both her work and private addresses in it, "
                 "and she signs private mail with it too: every signed message shows both addresses.",
    })  # fmt: skip
    truth["mistakes"].append({
        "id": "laptop",
        "evidence": ["client-ip", "message-id-host", "client-fingerprint"],
        "identities": [WORK, PRIVATE],
        "observer_class": "inference",
        "message_ids": laptop_work[:3] + [m.message_id for m in p.mails if m.folder == "Sent" and m.header("From") and PRIVATE in m.header("From") and m.header("User-Agent") == MUTT][:3],
        "header": f"Received: from {LAPTOP} ({HOME_IP}) … / Message-ID: <…@{LAPTOP}> / User-Agent: {MUTT} / Date offset +0100/+0200",
        "story": "Maya sends from both accounts with NeoMutt on one laptop at home: the same client "
                 f"address ({HOME_IP}, and {HOTEL_IP} on the trip), the same machine name in every "
                 "Message-ID, the same user agent and time zone. It takes a party that sees mail from "
                 "both accounts (a provider, a breach) to join them; Anders alone also can, since he "
                 "received mail from both (see the thread mistake).",
    })  # fmt: skip
    for m in p.mails:
        if (
            m.folder == "Sent"
            and m.header("User-Agent") == MUTT
            and PRIVATE in (m.header("From") or "")
        ):
            p._plant(m, "laptop")

    # Mailing list -----------------------------------------------------------------------
    for i in range(52):
        day = 2 + i * 10 + d.rng.randint(0, 5)
        member = LIST_MEMBERS[i % len(LIST_MEMBERS)]
        signed = member is LIST_MEMBERS[0] and i % 2 == 0
        p.incoming(member, [("", LIST_ADDRESS)], f"[ornithology-l] {d.pick(['Sightings', 'Spring count', 'Owls', 'Ringing station'])}",
                   talk(BIRD_TALK) + "\n", at(day, 7 + d.rng.random() * 12), deliver_to=PRIVATE,
                   list_post=True, kind="plain")  # fmt: skip
        del signed
    for day in (100, 250, 410):
        p.outgoing(PRIVATE, [("", LIST_ADDRESS)], "[ornithology-l] Sightings", talk(BIRD_TALK) + "\n",
                   at(day, 6.5), route="gmail-mutt", kind="pgp-signed", signer=p.maya_key)  # fmt: skip

    # Newsletters to aliases -------------------------------------------------------------
    for i in range(18):
        p.incoming(BIRDWATCH, [("", DUCK)], f"Birdwatch Weekly #{112 + i}", "This week: migration maps.\n",
                   at(8 + i * 29, 6), deliver_to=PRIVATE, forward_via="duck",
                   extra=[("List-Unsubscribe", f"<https://birdwatchweekly.us21.list-manage.com/unsubscribe?u=9f1c2a7b3d&id=4e8b{i:02d}a1c6>"),
                          ("Precedence", "bulk"), ("Feedback-ID", "9f1c2a7b3d:mc")])  # fmt: skip
    for i in range(14):
        p.incoming(MORGON, [("", SIMPLELOGIN)], f"Morgonbrevet {i + 1}: veckans viktigaste", "Nyheter.\n",
                   at(20 + i * 35, 5.5), deliver_to=PRIVATE, forward_via="simplelogin",
                   extra=[("List-Unsubscribe", "<https://morgon.example/unsub?u=lantern>"), ("Precedence", "bulk")])  # fmt: skip

    # Shops ------------------------------------------------------------------------------
    for i, day in enumerate([15, 16, 90, 180, 181, 320, 500]):
        p.incoming(NORDIC_GEAR, [(MAYA_NAME, PLUS_SHOP)], ["Order confirmation", "Your order has shipped", "Spring sale"][i % 3],
                   "Thank you for shopping with Nordic Gear.\n", at(day, 13), deliver_to=PRIVATE,
                   planted=["subaddress"])  # fmt: skip
    truth["mistakes"].append({
        "id": "subaddress",
        "evidence": "subaddress",
        "identities": [PLUS_SHOP, PRIVATE],
        "observer_class": "correspondents",
        "message_ids": [m.message_id for m in p.mails if "subaddress" in m.planted],
        "header": f"To: {MAYA_NAME} <{PLUS_SHOP}>",
        "story": "A Gmail plus-address is the base address with a tag: the shop, and anyone it "
                 "shares the list with, reads the private address straight off it.",
    })  # fmt: skip
    relay_given = []
    for i, day in enumerate([45, 46, 120, 260, 390]):
        m = p.incoming(FJALL, [("", RELAY)], ["Orderbekräftelse", "Din order är skickad", "Vinterrea"][i % 3],
                       "Tack för din beställning.\n", at(day, 14), deliver_to=PRIVATE, forward_via="relay")  # fmt: skip
        relay_given.append(m.message_id)
    for i, day in enumerate([30, 31, 275, 276, 460]):
        p.incoming(SKYNORDIC, [(MAYA_NAME, CATCHALL_AIRLINE)], ["Booking confirmation ARN-KIX", "Your e-ticket", "Check in now"][i % 3],
                   "Your flight booking.\n", at(day, 9), deliver_to=PRIVATE, forward_via="catchall")  # fmt: skip

    # The send-as address, written from Gmail on the web --------------------------------
    for day in (75, 365):
        p.outgoing(CATCHALL_PERSONAL, [("Bostad AB", "forvaltning@bostad.example")], "Felanmälan: radiator",
                   "Hej,\n\nRadiatorn i sovrummet är kall igen.\n\nMaya Lindqvist\n", at(day, 8),
                   route="gmail-web", extra=[("Sender", PRIVATE)], planted=["sender-catchall"])  # fmt: skip
    truth["mistakes"][[m["id"] for m in truth["mistakes"]].index("sender-catchall")][
        "message_ids"
    ] = [m.message_id for m in p.mails if "sender-catchall" in m.planted]

    # Forwarding: what only the providers see -------------------------------------------
    forwarded = [
        m
        for m in p.mails
        if m.header("X-SimpleLogin-Envelope-To")
        or m.header("X-Original-To")
        or (m.header("To") or "").endswith(("@mozmail.com", "@duck.com"))
    ]
    for m in forwarded:
        p._plant(m, "forwarding")
    truth["mistakes"].append({
        "id": "forwarding",
        "evidence": "forwarding",
        "identities": [RELAY, DUCK, SIMPLELOGIN, CATCHALL_AIRLINE, CATCHALL_PERSONAL, PRIVATE],
        "observer_class": "providers",
        "message_ids": [m.message_id for m in forwarded],
        "header": f"Delivered-To: {PRIVATE} above To: <alias> (and X-Original-To: for the catch-all, X-SimpleLogin-Envelope-To: for SimpleLogin)",
        "story": "Every alias forwards to the Gmail inbox. The alias services and Gmail see alias → "
                 "inbox on every message; correspondents do not.",
    })  # fmt: skip
    truth["mistakes"].append({
        "id": "display-name",
        "evidence": "display-name",
        "identities": [PRIVATE, WORK, CATCHALL_PERSONAL],
        "observer_class": "inference",
        "message_ids": [
            next(m.message_id for m in p.mails if m.folder == "Sent" and f"<{address}>" in (m.header("From") or ""))
            for address in (PRIVATE, WORK, CATCHALL_PERSONAL)
        ],
        "header": f'From: {MAYA_NAME} <…> on every identity she sends from',
        "story": "She signs as Maya Lindqvist from every identity.",
    })  # fmt: skip

    # Leaks ------------------------------------------------------------------------------
    leaked_relay = [p.incoming(DEALS_HUB, [("", RELAY)], s, "Exclusive offers selected for you.\n", at(day, 3),
                               deliver_to=PRIVATE, forward_via="relay", planted=["leak-relay"]).message_id
                    for s, day in [("You won't believe these prices", 255), ("Last chance!!", 300), ("Deals for you", 430)]]  # fmt: skip
    truth["leaks"].append({
        "id": "leak-relay",
        "alias": RELAY,
        "given_to": FJALL.domain,
        "first_legitimate": relay_given[0],
        "leaked_to": DEALS_HUB.domain,
        "message_ids": leaked_relay,
        "story": "The Firefox Relay mask given only to Fjällbutiken starts receiving offers from an "
                 "unrelated sender: Fjällbutiken (or a processor of theirs) passed it on.",
    })  # fmt: skip
    leaked_sl = [p.incoming(CRYPTOVAULT, [("", SIMPLELOGIN)], s, "Bonus inside.\n", at(day, 2),
                            deliver_to=PRIVATE, forward_via="simplelogin", planted=["leak-simplelogin"]).message_id
                 for s, day in [("Your crypto bonus is waiting", 400), ("Final reminder", 440), ("New listing", 510)]]  # fmt: skip
    truth["leaks"].append({
        "id": "leak-simplelogin",
        "alias": SIMPLELOGIN,
        "given_to": MORGON.domain,
        "first_legitimate": next(m.message_id for m in p.mails if m.header("X-SimpleLogin-Envelope-To") == SIMPLELOGIN),
        "leaked_to": CRYPTOVAULT.domain,
        "message_ids": leaked_sl,
        "story": "The SimpleLogin alias given only to the Tidningen Morgon newsletter receives crypto "
                 "promotions: the newsletter's list leaked.",
    })  # fmt: skip

    truth["owner"] = {
        "name": MAYA_NAME,
        "identities": {
            "private": PRIVATE, "work": WORK, "plus_address": PLUS_SHOP, "firefox_relay": RELAY,
            "duckduckgo": DUCK, "simplelogin": SIMPLELOGIN, "catch_all_personal": CATCHALL_PERSONAL,
            "catch_all_airline": CATCHALL_AIRLINE,
        },
        "catch_all_domain": CATCHALL_DOMAIN,
        "laptop": LAPTOP, "home_ip": HOME_IP, "hotel_ip": HOTEL_IP,
        "pgp_fingerprint": p.maya_key,
        "pgp_encryption_key_id": p.pgp.encryption_key_id(p.maya_key),
        "smime_serial": "0x1001",
    }  # fmt: skip
    truth["clean"] = [{
        "alias": DUCK,
        "given_to": BIRDWATCH.domain,
        "why": "Used for one newsletter only, never to send, never in Cc, never signed or encrypted: "
               "no correspondent can link it. Only DuckDuckGo and Gmail (providers) see it forwarded "
               "to the Gmail inbox.",
    }]  # fmt: skip
    truth["trip"] = {"where": "Kyoto, Japan", "from": TRIP[0].date().isoformat(), "to": TRIP[1].date().isoformat(),
                     "timezone": "+0900", "client_ip": HOTEL_IP, "message_ids": trip_ids,
                     "story": "On holiday in Kyoto, Maya answers a work question and sends a private postcard "
                              "from the same hotel network: both show the hotel's address and +0900."}  # fmt: skip


# --- writing the three formats -----------------------------------------------------------
def thread_id(mail: Mail) -> str:
    """A Gmail-style thread id: the same for every message of a thread."""
    references = (mail.header("References") or "").split()
    root = references[0] if references else mail.message_id
    return str(int(hashlib.sha256(root.encode()).hexdigest()[:15], 16))


def labels(mail: Mail) -> str:
    if mail.folder == "Sent":
        return "Sent"
    subject = mail.header("Subject") or ""
    if subject.startswith("[ornithology-l]"):
        return "Inbox,ornithology"
    if mail.header("Precedence") == "bulk" or mail.header("X-SimpleLogin-Type"):
        return "Inbox,Category Updates"
    return "Inbox,Opened"


def message_bytes(mail: Mail) -> bytes:
    """The message with CRLF line endings, Gmail export headers first."""
    lines = [f"X-GM-THRID: {thread_id(mail)}", f"X-Gmail-Labels: {labels(mail)}"]
    lines += [fold(name, value) for name, value in mail.headers]
    return "\r\n".join(lines).encode("utf-8") + b"\r\n\r\n" + mail.body


def to_lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


def mboxrd_quote(body: bytes) -> bytes:
    out = []
    for line in body.split(b"\n"):
        stripped = line.lstrip(b">")
        out.append(b">" + line if stripped.startswith(b"From ") else line)
    return b"\n".join(out)


def write_outputs(mails: list[Mail], truth: dict, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / "eml").mkdir(parents=True)
    maildir = out / "maildir"
    for leaf in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"):
        (maildir / leaf).mkdir(parents=True)
    with open(out / "persona.mbox", "wb") as mbox:
        for index, mail in enumerate(mails, 1):
            data = message_bytes(mail)
            asctime = mail.sent.astimezone(UTC).strftime("%a %b %d %H:%M:%S +0000 %Y")
            mbox.write(
                f"From {thread_id(mail)}@xxx {asctime}\n".encode()
                + mboxrd_quote(to_lf(data))
                + b"\n"
            )
            slug = "".join(
                c if c.isalnum() else "-" for c in (mail.header("Subject") or "no-subject").lower()
            )[:40].strip("-")
            (out / "eml" / f"{index:04d}-{slug or 'message'}.eml").write_bytes(data)
            epoch = int(mail.sent.timestamp())
            folder = maildir / (
                ".Sent/cur"
                if mail.folder == "Sent"
                else ("new" if index > len(mails) - 4 else "cur")
            )
            flags = "" if folder.name == "new" else ":2,S"
            (folder / f"{epoch}.M{index}P1000.{LAPTOP}{flags}").write_bytes(to_lf(data))
    truth["counts"] = {
        "messages": len(mails),
        "inbox": sum(1 for m in mails if m.folder == "INBOX"),
        "sent": sum(1 for m in mails if m.folder == "Sent"),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", "utf-8")


def mask_randomised(data: bytes) -> bytes:
    """The message with the parts that encryption randomises replaced by a marker.

    What is left must be byte-for-byte the same on every run: the reproducibility
    test compares these.
    """
    import re

    data = re.sub(rb"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----",
                  b"[OpenPGP message: random session key]", data, flags=re.S)  # fmt: skip
    separator = b"\r\n\r\n" if b"\r\n\r\n" in data else b"\n\n"
    head, separator, body = data.partition(separator)
    if b"smime-type=enveloped-data" in head:
        body = b"[S/MIME enveloped data: random content key]\n"
    return head + separator + body


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "persona")
    args = parser.parse_args(argv)
    dice = Dice(SEED)
    smime = Smime(KEYS)
    pgp = OpenPgp(KEYS)
    try:
        persona = Persona(dice, smime, pgp)
        live(persona)
    finally:
        pgp.close()
    mails = sorted(persona.mails, key=lambda m: (m.sent, m.folder, m.message_id))
    write_outputs(mails, persona.truth, args.out)
    print(f"wrote {len(mails)} messages to {args.out}")


if __name__ == "__main__":
    main()
