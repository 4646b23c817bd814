#!/usr/bin/env python3
"""Generate a large, realistic, deterministic mbox for benchmarking mxa's ingest.

mxa reads archives header-only, so a useful benchmark needs what makes real
archives slow and awkward to read: long folded trace headers from many MTAs,
DKIM/ARC blobs, RFC 2047 encoded words, threads, mboxrd-quoted bodies, PGP and
S/MIME parts, and a few huge attachments a header-only reader must skip over.
The mail is that of five people (five archive owners on different receiving stacks);
with ``--each-to-another-mailbox`` every message is delivered to a mailbox of its own
instead (a server's Maildir, a journal archive: the mail of many people, no owner).
Everything is drawn from ``random.Random(seed)``, never the clock or the global
generator, so a seed always yields the same bytes. Standard library only.

Usage::

    python benchmarks/make_mbox.py OUT.mbox --messages 20000 --seed 1
    python benchmarks/make_mbox.py OUT.mbox --messages 20000 --each-to-another-mailbox
"""

import argparse
import base64
import binascii
import html
import pathlib
import random
import re
import string
import textwrap
import time
import unicodedata
from dataclasses import dataclass, field

__all__ = ["write_mbox"]

START_EPOCH = 1_546_300_800  # 2019-01-01T00:00:00Z: an archive spans years, not days
MEAN_GAP = 2_400  # mean seconds between messages; 20,000 messages cover ~1.5 years
PEOPLE = 2_000
ORG_DOMAINS = 180  # plus ~20 mail providers and the archive owners' domains
# The big attachment is 200 KB to 3 MB on disk (base64 included). The size is drawn as
# 200 KB * 15 ** (u ** 5): median ~220 KB, about 1 in 10 over 1 MB. A uniform draw
# would make 3 % of 20,000 messages weigh over a gigabyte.
ATTACH_MIN, ATTACH_MAX, ATTACH_SKEW = 200_000, 3_000_000, 5

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
GMAIL_ID = ALNUM + "_-+="
# Body lines that mboxrd quotes: any number of ">" then "From ".
_FROM_LINE = re.compile(r"^(>*From )", re.MULTILINE)

Chunk = str | bytes  # str chunks get mboxrd quoting; bytes (base64 blobs) never need it
Headers = list[tuple[str, str]]
Part = tuple[Headers, list[Chunk]]  # a MIME entity: its headers and its body chunks


# -- time ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Zone:
    """A UTC offset with rough DST, so each host's stamps read like its own clock."""

    minutes: int
    name: str | None = None
    dst_name: str | None = None
    rule: str = ""  # "north", "south" or "" (no DST)
    unknown: bool = False  # RFC 5322 "-0000": the time is UTC, the local offset unknown

    def at(self, epoch: int) -> tuple[int, str | None]:
        """Offset and abbreviation in force at ``epoch`` (month granularity is enough)."""
        if self.rule:
            summer = 4 <= time.gmtime(epoch).tm_mon <= 10
            if summer == (self.rule == "north"):
                return self.minutes + 60, self.dst_name
        return self.minutes, self.name


CET = Zone(60, "CET", "CEST", "north")
EET = Zone(120, "EET", "EEST", "north")
UK = Zone(0, "GMT", "BST", "north")
US_E = Zone(-300, "EST", "EDT", "north")
US_C = Zone(-360, "CST", "CDT", "north")
US_M = Zone(-420, "MST", "MDT", "north")
US_P = Zone(-480, "PST", "PDT", "north")
JST = Zone(540, "JST")
IST = Zone(330, "IST")
CHINA = Zone(480, "CST")
AU_E = Zone(600, "AEST", "AEDT", "south")
BRAZIL = Zone(-180, "-03")
TURKEY = Zone(180, "+03")
MSK = Zone(180, "MSK")
UTC = Zone(0, "UTC")
BARE_UTC = Zone(0)  # Microsoft 365 and many Exim hosts: "+0000" without a comment
UNKNOWN = Zone(0, unknown=True)
WORLD = (US_E, US_E, US_C, US_P, US_P, CET, CET, UK, EET, IST, CHINA, JST, AU_E, BRAZIL, UTC)


def fmt_date(epoch: int, zone: Zone, *, comment: bool = True, pad: bool = False) -> str:
    """An RFC 5322 date as MTAs and MUAs print it, e.g. ``Tue, 14 Mar 2023 10:00:02 +0100``."""
    offset, name = zone.at(epoch)
    t = time.gmtime(epoch + offset * 60)
    sign = "-" if offset < 0 or zone.unknown else "+"
    day = f"{t.tm_mday:02d}" if pad else str(t.tm_mday)
    text = (
        f"{WEEKDAYS[t.tm_wday]}, {day} {MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} "
        f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    )
    return f"{text} ({name})" if comment and name else text


def gmail_stamp(epoch: int, zone: Zone) -> str:
    """The local time Gmail embeds in its SMTP ids (``2023.03.14.01.59.58``)."""
    t = time.gmtime(epoch + zone.at(epoch)[0] * 60)
    return (
        f"{t.tm_year}.{t.tm_mon:02d}.{t.tm_mday:02d}.{t.tm_hour:02d}.{t.tm_min:02d}.{t.tm_sec:02d}"
    )


# -- header encoding ----------------------------------------------------------------------

_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_CODECS = {"UTF-8": "utf-8", "utf-8": "utf-8", "ISO-8859-1": "latin-1", "iso-8859-2": "iso8859_2"}
_CODECS |= {"ISO-2022-JP": "iso2022_jp", "KOI8-R": "koi8_r", "iso-8859-7": "iso8859_7"}
_SPECIALS = frozenset('()<>[]:;@\\,."')


def encoded_words(text: str, charset: str, enc: str) -> str:
    """RFC 2047 encoded words, split so none exceeds the 75-character limit."""
    data = text.encode(_CODECS[charset])
    if enc == "B":
        payload = base64.b64encode(data).decode("ascii")
    else:
        payload = "".join(chr(b) if b in _Q_SAFE else "_" if b == 32 else f"={b:02X}" for b in data)
    word = f"=?{charset}?{enc}?{payload}?="
    if len(word) > 75 and len(text) > 1:
        mid = len(text) // 2
        return (
            f"{encoded_words(text[:mid], charset, enc)} {encoded_words(text[mid:], charset, enc)}"
        )
    return word


def encodings_for(text: str, culture: str) -> list[tuple[str, str]]:
    """The (charset, encoding) pairs real clients would use for ``text``."""
    options = [("UTF-8", "B"), ("utf-8", "B")]
    if culture not in ("ja", "zh", "ru", "el"):
        options.append(("UTF-8", "Q"))
    for charset, enc, wanted in (
        ("ISO-8859-1", "Q", ""),
        ("iso-8859-2", "Q", "pl"),
        ("ISO-2022-JP", "B", "ja"),
        ("KOI8-R", "B", "ru"),
        ("iso-8859-7", "B", "el"),
    ):
        if wanted and culture != wanted:
            continue
        try:
            text.encode(_CODECS[charset])
        except UnicodeEncodeError:
            continue
        options += [(charset, enc)] * 2
    return options


def phrase(name: str) -> str:
    """An ASCII display name, quoted when RFC 5322 specials force it."""
    if any(c in _SPECIALS for c in name):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return name


def fold(name: str, value: str, width: int = 78) -> str:
    """Fold at spaces as real MUAs do, so readers must unfold (RFC 5322 2.2.3)."""
    if len(name) + 2 + len(value) <= width:
        return value
    lines: list[str] = []
    cur = ""
    limit = width - len(name) - 2
    for word in value.split(" "):
        if cur and len(cur) + 1 + len(word) > limit:
            lines.append(cur)
            cur, limit = word, width - 1
        else:
            cur = f"{cur} {word}" if cur else word
    lines.append(cur)
    return "\n ".join(lines)


def split_fixed(text: str, width: int, joiner: str) -> str:
    """Cut a long token (DKIM ``b=``) into fixed-width pieces, as signers fold it."""
    return joiner.join(text[i : i + width] for i in range(0, len(text), width))


# -- people and places --------------------------------------------------------------------

# fmt: off
LATIN: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        (
            "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
            "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
            "Sarah", "Chris", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty",
            "Mark", "Sandra", "Steven", "Ashley", "Paul", "Emily", "Andrew", "Donna", "Josh",
            "Michelle", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Tim", "Deborah",
            "Ben", "Rachel", "Sam", "Laura", "Alex", "Olivia", "Noah", "Emma", "Liam", "Ava",
            "Ethan", "Mia", "Lucas", "Chloe", "Owen", "Grace", "Priya", "Kwame", "Aisha", "Diego",
        ),
        (
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
            "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
            "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young",
            "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson",
            "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
            "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "O'Brien",
            "Nguyen", "Patel", "Okafor", "Kim", "Chen", "Archer", "Whitfield", "Mendes", "Singh",
            "Mensah",
        ),
    ),
    "de": (
        (
            "Jürgen", "Jörg", "Zoë", "Käthe", "Björn", "Uwe", "Anja", "Sören", "Lena", "Lukas",
            "Günther", "Jana", "Felix", "Hannah", "Matthias", "Jörn",
        ),
        (
            "Müller", "Schröder", "Weiß", "Groß", "Köhler", "Fischer", "Bäcker", "Hoffmann",
            "Schäfer", "Krüger", "Wagner", "Becker", "Schulz", "Vogel", "Jäger", "Möller",
        ),
    ),
    "es": (
        (
            "José", "María", "Ángel", "Inés", "Raúl", "Lucía", "Begoña", "Sergio", "Pablo",
            "Carmen", "Andrés", "Sofía",
        ),
        (
            "Ñúñez", "García", "Peña", "Muñoz", "Álvarez", "Ibáñez", "Martínez", "López",
            "Sánchez", "Ruiz", "Gómez", "Fernández",
        ),
    ),
    "fr": (
        (
            "François", "Chloé", "Anaïs", "Hélène", "Jérôme", "Renée", "Gaëlle", "Éric", "Camille",
            "Julien", "Léa", "Noël",
        ),
        (
            "Lefèvre", "Dubois", "Bérard", "Lemaître", "Moreau", "Girard", "Martin", "Rousseau",
            "Fontaine", "Chevalier", "Benoît", "Gauthier",
        ),
    ),
    "pl": (
        (
            "Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Wojciech", "Zofia", "Krzysztof",
            "Grażyna", "Michał", "Joanna",
        ),
        (
            "Wiśniewski", "Kowalczyk", "Zieliński", "Wójcik", "Nowak", "Kamiński", "Lewandowski",
            "Dąbrowski", "Woźniak", "Kowalski",
        ),
    ),
    "nordic": (
        (
            "Søren", "Ørjan", "Åsa", "Björn", "Magnús", "Ingrid", "Lars", "Sigríður", "Mikael",
            "Frida",
        ),
        (
            "Jørgensen", "Håland", "Åström", "Sigurðsson", "Lindqvist", "Nielsen", "Bergström",
            "Hansen", "Ødegård", "Karlsson",
        ),
    ),
    "tr": (
        ("Çağla", "İlker", "Gökhan", "Şule", "Emre", "Ayşe", "Mehmet", "Özge"),
        ("Yılmaz", "Öztürk", "Çelik", "Şahin", "Demir", "Kaya", "Aydın", "Doğan"),
    ),
}
# (native, romanised) pairs: scripts with no ASCII transliteration by decomposition.
NONLATIN: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "ja": (
        [("太郎", "Taro"), ("花子", "Hanako"), ("一郎", "Ichiro"), ("美咲", "Misaki"),
         ("健", "Ken"), ("さくら", "Sakura"), ("翔", "Sho"), ("愛", "Ai"), ("大輔", "Daisuke")],
        [("山田", "Yamada"), ("佐藤", "Sato"), ("鈴木", "Suzuki"), ("高橋", "Takahashi"),
         ("田中", "Tanaka"), ("伊藤", "Ito"), ("渡辺", "Watanabe"), ("中村", "Nakamura")],
    ),
    "zh": (
        [("伟", "Wei"), ("娜", "Na"), ("静", "Jing"), ("磊", "Lei"), ("敏", "Min"), ("芳", "Fang")],
        [("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
         ("黄", "Huang")],
    ),
    "ru": (
        [("Дмитрий", "Dmitry"), ("Ольга", "Olga"), ("Сергей", "Sergey"), ("Анна", "Anna"),
         ("Алексей", "Alexey"), ("Иван", "Ivan")],
        [("Иванов", "Ivanov"), ("Смирнов", "Smirnov"), ("Кузнецов", "Kuznetsov"),
         ("Попов", "Popov"), ("Соколов", "Sokolov"), ("Лебедев", "Lebedev")],
    ),
    "el": (
        [("Γιώργος", "Giorgos"), ("Μαρία", "Maria"), ("Νίκος", "Nikos"), ("Ελένη", "Eleni")],
        [("Παπαδόπουλος", "Papadopoulos"), ("Νικολάου", "Nikolaou"), ("Γεωργίου", "Georgiou")],
    ),
}
CULTURE_WEIGHTS = {"en": 82, "de": 4, "es": 3, "fr": 3, "pl": 1, "nordic": 1, "tr": 1}
CULTURE_WEIGHTS |= {"ja": 2, "zh": 1, "ru": 1, "el": 1}
CULTURE_ZONES = {"de": (CET,), "es": (CET,), "fr": (CET,), "pl": (CET,), "nordic": (CET, EET)}
CULTURE_ZONES |= {"tr": (TURKEY,), "ja": (JST,), "zh": (CHINA,), "ru": (MSK,), "el": (EET,)}
TLD_CULTURE = {"de": "de", "at": "de", "ch": "de", "fr": "fr", "es": "es", "pl": "pl"}
TLD_CULTURE |= {"se": "nordic", "fi": "nordic", "jp": "ja", "cn": "zh", "ru": "ru", "gr": "el"}
TLD_CULTURE |= {"tr": "tr"}
TLD_ZONES = {"co.uk": (UK,), "ie": (UK,), "com.au": (AU_E,), "in": (IST,), "com.br": (BRAZIL,)}
TLD_ZONES |= {"ca": (US_E, US_P), "edu": (US_E, US_C, US_M, US_P), "fi": (EET,), "gr": (EET,)}
_TRANSLIT = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae"})
_TRANSLIT |= str.maketrans({"ð": "d", "Ð": "D", "ı": "i", "İ": "I", "'": ""})

# (domain, infrastructure, weight, culture) for the big providers.
PROVIDERS = [
    ("gmail.com", "google", 30, ""), ("googlemail.com", "google", 2, "de"),
    ("outlook.com", "m365", 6, ""), ("hotmail.com", "m365", 5, ""), ("live.com", "m365", 1, ""),
    ("yahoo.com", "yahoo", 4, ""), ("yahoo.co.uk", "yahoo", 1, "en"),
    ("icloud.com", "postfix", 4, ""), ("me.com", "postfix", 1, ""),
    ("protonmail.com", "postfix", 2, ""), ("proton.me", "postfix", 1, ""),
    ("gmx.de", "postfix", 2, "de"), ("web.de", "postfix", 2, "de"),
    ("fastmail.com", "postfix", 1, ""), ("posteo.de", "postfix", 1, "de"),
    ("mail.ru", "postfix", 1, "ru"), ("yandex.ru", "postfix", 1, "ru"),
    ("qq.com", "postfix", 1, "zh"),
]
ORG_A = (
    "north", "blue", "bright", "iron", "silver", "green", "red", "stone", "river", "cedar", "oak",
    "maple", "pine", "summit", "harbor", "lumen", "nova", "terra", "vector", "quantum", "atlas",
    "polar", "coral", "amber", "falcon", "orbit", "prism", "delta", "kestrel", "granite", "willow",
    "copper", "cobalt", "meridian", "zenith", "apex", "helix", "sable", "indigo", "tundra",
)
ORG_B = (
    "labs", "works", "systems", "tech", "data", "soft", "net", "forge", "media", "bio", "logic",
    "cloud", "analytics", "partners", "group", "studio", "dynamics", "robotics", "health",
    "energy", "capital", "consulting", "research", "foundation", "institute", "design", "security",
    "mobility", "logistics", "ventures",
)
TLDS = {"com": 30, "org": 10, "net": 6, "de": 8, "fr": 4, "co.uk": 5, "nl": 3, "pl": 2, "jp": 4}
TLDS |= {"edu": 5, "io": 5, "ch": 2, "se": 2, "es": 2, "it": 2, "com.au": 2, "ca": 2, "ru": 2}
TLDS |= {"gr": 1, "cn": 1, "tr": 1, "in": 2, "com.br": 1, "fi": 1, "at": 1}
# fmt: on


@dataclass(slots=True)
class Domain:
    """A mail domain and the infrastructure that sends and receives for it."""

    name: str
    infra: str  # google | m365 | yahoo | postfix | exim | sendmail
    zone: Zone
    culture: str
    selector: str | None  # DKIM selector; None when the domain does not sign
    mx: str = ""  # inbound host
    out: str = ""  # outbound host (per message for the big providers)
    out_ip: str = ""
    internal_ip: str = ""


@dataclass(slots=True, eq=False)
class Person:
    """A correspondent: address, ready-made header forms and habits."""

    first: str  # as used in greetings, may be non-ASCII
    name: str  # display name as typed, may be empty
    addr: str
    domain: Domain
    forms: list[str]  # "Name <addr>" variants, encoded words chosen by different clients
    client: str
    host: str  # machine name the MUA announces
    ips: list[str]  # home and office public addresses


@dataclass(slots=True)
class MailingList:
    """A list server that re-sends mail and adds List-* headers."""

    name: str
    domain: str
    host: str
    ip: str
    style: str  # mailman2 | mailman3 | google
    description: str
    prefix: bool
    members: list[Person]


@dataclass(slots=True)
class Thread:
    """Enough of a conversation to write a plausible reply to it."""

    subject: str
    owner: Person
    people: list[Person]
    mlist: MailingList | None
    refs: list[str]
    last_from: Person
    last_date: int
    last_para: list[str]


@dataclass(slots=True, eq=False)
class Hop:
    """One Received header, rendered only once its timestamp is known."""

    text: str  # with a {date} placeholder, and {gtime} for Gmail ids
    zone: Zone
    comment: bool = True
    droppable: bool = False

    def render(self, epoch: int) -> str:
        text = self.text.replace("{date}", fmt_date(epoch, self.zone, comment=self.comment))
        if "{gtime}" in text:
            text = text.replace("{gtime}", gmail_stamp(epoch, self.zone))
        return text


@dataclass(frozen=True, slots=True)
class Client:
    """What a mail client writes: header order, names, ids, boundaries."""

    order: tuple[str, ...]
    rename: dict[str, str] = field(default_factory=dict)
    ua: tuple[str, tuple[str, ...]] | None = None  # (header name, possible values)
    msgid: str = "hex"
    boundary: str = "mutt"
    alternative: float = 0.0  # share of multipart/alternative bodies
    top_post: bool = True


# fmt: off
_GMAIL_ORDER = (
    "MIME-Version", "References", "In-Reply-To", "From", "Date", "Message-ID", "Subject", "To",
    "Cc", "Reply-To", "Content-Type",
)
_TB_ORDER = (
    "Message-ID", "Date", "MIME-Version", "User-Agent", "Subject", "Content-Language", "To", "Cc",
    "References", "From", "Reply-To", "In-Reply-To", "Content-Type", "Content-Transfer-Encoding",
)
_APPLE_ORDER = (
    "From", "Content-Type", "Content-Transfer-Encoding", "MIME-Version", "Subject", "Message-ID",
    "Date", "Cc", "To", "Reply-To", "In-Reply-To", "References", "X-Mailer",
)
_OUTLOOK_ORDER = (
    "From", "To", "Cc", "Reply-To", "Subject", "Thread-Topic", "Thread-Index", "Date",
    "Message-ID", "References", "In-Reply-To", "Accept-Language", "Content-Language",
    "X-MS-Has-Attach", "X-MS-TNEF-Correlator", "X-Originating-IP", "Content-Type", "MIME-Version",
)
_MUTT_ORDER = (
    "Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "References", "MIME-Version",
    "Content-Type", "Content-Disposition", "Content-Transfer-Encoding", "In-Reply-To",
    "User-Agent",
)
_GENERIC_ORDER = (
    "Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "In-Reply-To", "References",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "User-Agent", "X-Mailer",
    "X-Originating-IP",
)
# fmt: on
_APPLE_NAMES = {"Message-ID": "Message-Id", "MIME-Version": "Mime-Version"}
CLIENTS = {
    "gmail": Client(_GMAIL_ORDER, msgid="gmail", boundary="gmail", alternative=0.97),
    "thunderbird": Client(
        _TB_ORDER,
        ua=(
            "User-Agent",
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Gecko/20100101 Thunderbird/102.8.0",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:102.0) Gecko/20100101\n"
                " Thunderbird/102.9.0",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:115.0) Gecko/20100101\n"
                " Thunderbird/115.3.1",
                "Mozilla/5.0 (X11; Linux x86_64; rv:91.0) Gecko/20100101 Thunderbird/91.13.0",
            ),
        ),
        msgid="uuid",
        boundary="thunderbird",
        alternative=0.15,
        top_post=False,
    ),
    "apple": Client(
        _APPLE_ORDER,
        _APPLE_NAMES,
        ("X-Mailer", ("Apple Mail (2.3731.400.51.1.1)", "Apple Mail (2.3696.120.41.1.1)")),
        msgid="apple",
        boundary="apple",
        alternative=0.6,
    ),
    "iphone": Client(
        _APPLE_ORDER,
        _APPLE_NAMES,
        ("X-Mailer", ("iPhone Mail (20D67)", "iPhone Mail (20E252)", "iPad Mail (19H12)")),
        msgid="apple",
        boundary="apple",
        alternative=0.5,
    ),
    "outlook": Client(
        _OUTLOOK_ORDER,
        {"Cc": "CC"},
        msgid="outlook",
        boundary="outlook",
        alternative=0.9,
    ),
    "mutt": Client(
        _MUTT_ORDER,
        {"Message-ID": "Message-Id"},
        (
            "User-Agent",
            (
                "Mutt/2.2.9 (2022-11-12)",
                "Mutt/1.10.1 (2018-07-13)",
                "NeoMutt/20230407",
                "NeoMutt/20220429",
            ),
        ),
        msgid="mutt",
        top_post=False,
    ),
    "evolution": Client(
        _GENERIC_ORDER,
        ua=("X-Mailer", ("Evolution 3.46.4 (3.46.4-1.fc37)", "Evolution 3.44.4-0ubuntu2")),
        msgid="evolution",
        boundary="evolution",
        alternative=0.2,
        top_post=False,
    ),
    "roundcube": Client(
        _GENERIC_ORDER,
        ua=("User-Agent", ("Roundcube Webmail/1.6.1", "Roundcube Webmail/1.5.3")),
        boundary="roundcube",
        alternative=0.3,
    ),
    "k9": Client(
        _GENERIC_ORDER,
        ua=("User-Agent", ("K-9 Mail for Android", "K-9 Mail/6.400")),
        msgid="apple",
        boundary="java",
        alternative=0.1,
    ),
    "yahoo": Client(
        _GENERIC_ORDER,
        ua=("X-Mailer", ("WebService/1.1.21284 YMailNorrin", "WebService/1.1.21797 AolMailNorrin")),
        msgid="yahoo",
        boundary="java",
        alternative=0.9,
    ),
}
CLIENT_MIX = {
    "google": {"gmail": 60, "apple": 12, "iphone": 10, "thunderbird": 10, "mutt": 4, "k9": 4},
    "m365": {"outlook": 80, "iphone": 10, "apple": 10},
    "yahoo": {"yahoo": 85, "iphone": 15},
    "other": {
        "thunderbird": 28,
        "apple": 18,
        "mutt": 14,
        "evolution": 8,
        "roundcube": 12,
        "iphone": 10,
        "k9": 5,
        "outlook": 5,
    },
}

# -- text ---------------------------------------------------------------------------------

NOUNS = (
    "the build",
    "the release",
    "our proposal",
    "the invoice",
    "the draft",
    "the migration",
    "the new policy",
    "the budget",
    "the contract",
    "the schedule",
    "the benchmark",
    "the patch",
    "the test suite",
    "the dashboard",
    "the report",
    "the API change",
    "the outage review",
    "the workshop",
    "the hiring plan",
    "the roadmap",
)
VERBS = (
    "looks good to me",
    "needs another review",
    "is blocked on legal",
    "should land next week",
    "broke on the staging cluster",
    "was merged yesterday",
    "still fails intermittently",
    "is ready for sign-off",
    "has been postponed",
    "needs more numbers",
)
SENTENCES = (
    "{Noun} {verb}.",
    "I talked to {name} and {noun} {verb}.",
    "Could you take a look at {noun} before {day}?",
    "We agreed to revisit {noun} on {day}.",
    "Thanks for sending {noun}; I left a few comments inline.",
    "Let me know if {noun} works for you.",
    "The numbers for {month} are attached to ticket #{n}.",
    "As discussed, {noun} {verb} and we will follow up with {name}.",
    "Please keep in mind that {noun} {verb}.",
    "{name} mentioned that {noun} {verb}, so {noun2} can wait until {day}.",
)
FROM_STARTS = ("From what I can tell", "From the logs", "From my side", "From our point of view")
INTL_SENTENCES = (
    "Viele Grüße aus München.",
    "Merci pour le café ☕, à bientôt.",
    "Saludos desde Málaga.",
    "よろしくお願いします。",
    "Спасибо за помощь.",
    "Dziękuję za szybką odpowiedź.",
    "Tack så mycket för hjälpen!",
    "Ευχαριστώ πολύ.",
)
SUBJECTS = (
    "Meeting notes: {proj} sync",
    "Question about {noun}",
    "{proj}: {noun} {verb}",
    "[PATCH v{v} {i}/{k}] {module}: fix {thing}",
    "Invoice {n}",
    "Your order #{n} has shipped",
    "Lunch on {day}?",
    "Call for papers: {proj} workshop",
    "{proj} quarterly report",
    "Draft agenda for {day}",
    "Access request for {proj}",
    "Heads up: {noun} {verb}",
)
INTL_SUBJECTS = (
    "Über die Änderungen am Vertrag",
    "Réunion de lundi — ordre du jour",
    "Año nuevo: planificación",
    "Spotkanie w przyszłym tygodniu",
    "会議の件について",
    "見積書の送付",
    "Отчёт за квартал",
    "Πρόσκληση σε συνάντηση",
    "Café ☕ on Friday?",
    "Grüße aus München",
    "✅ Deployment finished",
    "Zoë's farewell — sign the card",
)
# fmt: off
PROJECTS = (
    "Apollo", "Borealis", "Cobalt", "Dune", "Ember", "Falcon", "Gemini", "Halcyon", "Ionic",
    "Juniper",
)
MODULES = (
    "net", "mm", "sched", "fs/ext4", "drm/i915", "usb", "crypto", "bpf", "tools/perf", "docs",
)
# fmt: on
THINGS = ("null deref on probe", "race in teardown", "leak on error path", "off-by-one in parser")
GREETINGS = ("Hi {0},", "Hello {0},", "Dear {0},", "{0},", "Hey {0},", "Hallo {0},", "Bonjour {0},")
CLOSINGS = ("Best,", "Thanks,", "Cheers,", "Regards,", "Best regards,", "Viele Grüße,", "Merci,")
TITLES = ("Senior Engineer", "Product Manager", "Research Fellow", "CTO", "Office Manager")
LIST_NAMES = (
    ("dev", "Developer discussion"),
    ("users", "User questions and answers"),
    ("announce", "Release announcements"),
    ("security", "Security advisories"),
    ("general", "General discussion"),
    ("netdev", "Networking development"),
    ("hackers", "Core hackers"),
    ("book-club", "Monthly book club"),
    ("team-infra", "Infrastructure team"),
    ("alumni", "Alumni network"),
    ("ops", "Operations"),
    ("research", "Research group"),
    ("board", "Board of directors"),
    ("volunteers", "Volunteer coordination"),
    ("design", "Design review"),
)
ATTACHMENTS = (
    ("application/pdf", "Q{q}-report-{n}.pdf"),
    ("application/zip", "logs-{n}.zip"),
    ("image/jpeg", "IMG_{n}.jpeg"),
    ("video/mp4", "screen-recording-{n}.mp4"),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "slides-{n}.pptx",
    ),
    ("application/octet-stream", "capture-{n}.pcap"),
    ("application/pdf", "Präsentation-{n}.pdf"),
)
# DER openings, so crypto blobs start like real ones (base64 "MIAGCSqGSIb3DQEHAqCA...").
P7S_HEAD = bytes.fromhex("308006092a864886f70d010702a0803080020101310f300d")
P7M_HEAD = bytes.fromhex("308006092a864886f70d010703a08030800201003182")
PGP_SIG_HEADS = (bytes.fromhex("c2c17904000108002316"), bytes.fromhex("887504011608001d1621"))
PGP_MSG_HEADS = (bytes.fromhex("c1c14c03"), bytes.fromhex("845e03"), bytes.fromhex("85020c03"))


# -- the generator ------------------------------------------------------------------------


class _Generator:
    """Holds the seeded RNG, the pools and the conversation state between messages."""

    def __init__(self, seed: int, each_to_another_mailbox: bool = False) -> None:
        rng = self.rng = random.Random(seed)
        self.each_to_another_mailbox = each_to_another_mailbox
        # Token pool for ids and signatures: slicing it is far cheaper than drawing per char.
        self.tokens = base64.b64encode(rng.randbytes(48_000)).decode("ascii")
        # Attachment pool: whole 76-character lines (57 bytes each), sliced line-aligned.
        lines = 2 * ATTACH_MAX // 77 + 2
        self.blob = base64.encodebytes(rng.randbytes(57 * lines))
        self.blob_lines = lines
        self.paragraphs = self._make_paragraphs()
        self.taken: dict[str, bool] = {}  # addresses in use (a dict: sets iterate by hash)
        self.domains, self.owners = self._make_domains()
        self.people = self._make_people()
        self.lists = self._make_lists()
        self.now = START_EPOCH
        self.threads: list[Thread] = []

    # -- small random helpers -----------------------------------------------------------
    def hexs(self, n: int, upper: bool = False) -> str:
        text = f"{self.rng.getrandbits(4 * n):0{n}x}"
        return text.upper() if upper else text

    def chars(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.rng.choices(alphabet, k=n))

    def token(self, n: int) -> str:
        """``n`` base64 characters (without padding) from the token pool."""
        start = self.rng.randrange(len(self.tokens) - n)
        return self.tokens[start : start + n]

    def uuid(self, upper: bool = False) -> str:
        h = self.hexs(32, upper)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"

    def pick(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def doc_ip(self) -> str:
        net = self.rng.choice(("192.0.2", "198.51.100", "203.0.113"))
        return f"{net}.{self.rng.randint(1, 254)}"

    def doc_ip6(self) -> str:
        r = self.rng.getrandbits
        return f"2001:db8:{r(16):x}:{r(16):x}::{r(16):x}"

    def private_ip(self) -> str:
        r = self.rng.randint
        return self.rng.choice(
            (f"10.{r(0, 255)}.{r(0, 255)}.{r(1, 254)}", f"192.168.{r(0, 9)}.{r(2, 254)}",
             f"172.{r(16, 31)}.{r(0, 255)}.{r(1, 254)}")
        )  # fmt: skip

    def gmail_v6(self) -> str:
        r = self.rng.getrandbits
        return f"2002:a{r(12):03x}:{r(16):x}:{r(16):x}:b0:{r(12):x}:{r(16):x}:{r(16):x}"

    def m365_server(self, region: str = "") -> tuple[str, str]:
        """A Microsoft 365 mailbox server name and its IPv6 address."""
        rng = self.rng
        region = region or rng.choice(("namprd11", "namprd12", "eurprd04", "namprd04"))
        site = rng.choice(("DM6", "BN6", "BY5", "CH0", "SN6", "MW4", "PH0", "SA1", "DB9", "VI1"))
        name = f"{site}PR{rng.randint(10, 19)}MB{rng.randint(1000, 9999)}.{region}.prod.outlook.com"
        r = rng.getrandbits
        prefix = "2603:10a6" if region.startswith("eur") else "2603:10b6"
        return name, f"{prefix}:{r(12):x}:{r(8):x}::{r(8):x}"

    # -- world building ------------------------------------------------------------------
    def _make_paragraphs(self) -> list[list[str]]:
        """Pre-wrapped paragraphs; bodies are stitched from these, never built per word."""
        rng = self.rng
        first_names = LATIN["en"][0]
        paragraphs = []
        for i in range(400):
            sentences = []
            for j in range(rng.randint(2, 6)):
                template = rng.choice(SENTENCES)
                # Some sentences, and 1 paragraph in 40, start with "From ", which mboxrd
                # must quote when it lands at the start of a line.
                if (j == 0 and i % 40 == 7) or rng.random() < 0.01:
                    template = "{From}, {noun} {verb}, but I would double-check {noun2}."
                noun = rng.choice(NOUNS)
                sentence = template.format(
                    Noun=noun.capitalize(),
                    noun=noun,
                    noun2=rng.choice(NOUNS),
                    verb=rng.choice(VERBS),
                    name=rng.choice(first_names),
                    day=rng.choice(("Monday", "Tuesday", "Friday", "the offsite", "next week")),
                    month=rng.choice(MONTHS),
                    n=rng.randint(1000, 99999),
                    From=rng.choice(FROM_STARTS),
                )
                sentences.append(sentence)
            if rng.random() < 0.1:
                sentences.append(rng.choice(INTL_SENTENCES))
            paragraphs.append(textwrap.wrap(" ".join(sentences), 72, break_on_hyphens=False))
        return paragraphs

    def _domain(self, name: str, infra: str, culture: str, zone: Zone) -> Domain:
        rng = self.rng
        selector = {
            "google": rng.choice(("20221208", "20230601", "google", "20210112")),
            "m365": rng.choice(("selector1", "selector2")),
            "yahoo": "s2048",
            "postfix": rng.choice(("mail", "default", "dkim", "s1", "2023", "mx")),
            "exim": rng.choice(("x", "20230301", "dkim1", "k1")),
            "sendmail": rng.choice(("default", "s1", None, None)),
        }[infra]
        if name == "gmail.com":
            selector = "20221208"
        d = Domain(name, infra, zone, culture, selector)
        if infra == "m365":
            d.mx = f"{name.replace('.', '-')}.mail.protection.outlook.com"
        elif infra == "google":
            d.mx = "mx.google.com"
        else:
            d.mx = f"{rng.choice(('mx', 'mx1', 'mail', 'smtp'))}.{name}"
            d.out = f"{rng.choice(('mail', 'smtp', 'mx-out', 'relay'))}.{name}"
            d.out_ip = self.doc_ip()
        d.internal_ip = self.private_ip()
        return d

    def _make_domains(self) -> tuple[list[tuple[Domain, float]], list[Person]]:
        """~200 weighted domains, plus five archive owners on different receiving stacks."""
        rng = self.rng
        weighted: list[tuple[Domain, float]] = []
        by_name: dict[str, Domain] = {}
        scale = 0.4 / sum(w for _, _, w, _ in PROVIDERS)
        for name, infra, weight, culture in PROVIDERS:
            zone = rng.choice(CULTURE_ZONES.get(culture, WORLD))
            by_name[name] = self._domain(name, infra, culture, zone)
            weighted.append((by_name[name], weight * scale))
        owners_spec = (
            ("example.org", "postfix", CET, "Bob Fischer", "bob"),
            ("example.com", "m365", US_E, "Alice Nguyen", "alice.nguyen"),
            ("example.net", "exim", UK, "Carlos Mendes", "carlos"),
            ("example.edu", "sendmail", US_C, "Dana Whitfield", "dw"),
            ("gmail.com", "google", US_P, "Ben Archer", "ben.archer.mail"),
        )
        orgs: list[Domain] = []
        for name, infra, zone, _, _ in owners_spec:
            if name not in by_name:
                by_name[name] = self._domain(name, infra, "en", zone)
                if infra != "m365":
                    by_name[name].mx = f"mx.{name}"
                orgs.append(by_name[name])
        while len(orgs) < ORG_DOMAINS + 4:
            tld = self.pick(TLDS)
            sep = "-" if rng.random() < 0.2 else ""
            name = f"{rng.choice(ORG_A)}{sep}{rng.choice(ORG_B)}.{tld}"
            if name in by_name:
                continue
            mix = {"postfix": 33, "google": 25, "m365": 24, "exim": 10, "sendmail": 8}
            if tld == "edu":
                mix = {"sendmail": 40, "postfix": 30, "google": 20, "m365": 10}
            culture = TLD_CULTURE.get(tld, "")
            zones = TLD_ZONES.get(tld) or CULTURE_ZONES.get(culture) or WORLD
            by_name[name] = self._domain(name, self.pick(mix), culture, rng.choice(zones))
            orgs.append(by_name[name])
        # Zipf-like weights, owners' domains first: colleagues write to each other a lot.
        norm = sum(1 / (k + 1) ** 0.8 for k in range(len(orgs)))
        weighted += [(d, 0.6 / (k + 1) ** 0.8 / norm) for k, d in enumerate(orgs)]
        owners = []
        for name, _, _, display, local in owners_spec:
            owner = self._person(by_name[name], override=(display, local))
            owners.append(owner)
        return weighted, owners

    def _names(self, culture: str) -> tuple[str, str, str]:
        """(first, display name, ASCII local-part base) for a new person."""
        rng = self.rng
        if culture in NONLATIN:
            firsts, lasts = NONLATIN[culture]
            (f_native, f_roman), (l_native, l_roman) = rng.choice(firsts), rng.choice(lasts)
            base = f"{f_roman}.{l_roman}".lower()
            if rng.random() < 0.5:  # many CJK and Cyrillic users type a romanised name
                return f_roman, f"{f_roman} {l_roman}", base
            if culture == "ja":
                return f_native, f"{l_native} {f_native}", base
            if culture == "zh":
                return f_native, f"{l_native}{f_native}", base
            return f_native, f"{f_native} {l_native}", base
        firsts, lasts = LATIN[culture]
        first, last = rng.choice(firsts), rng.choice(lasts)
        ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}".translate(_TRANSLIT))
        base = ascii_name.encode("ascii", "ignore").decode().lower()
        return first, f"{first} {last}", base

    def _person(self, domain: Domain, override: tuple[str, str] | None = None) -> Person:
        rng = self.rng
        culture = domain.culture if rng.random() < 0.5 else ""
        culture = culture or self.pick(CULTURE_WEIGHTS)
        first, name, base = self._names(culture)
        if override:
            name, local = override
            first = name.split()[0]
        else:
            f, _, last = base.partition(".")
            local = rng.choice(
                (base, base, f"{f[0]}.{last}", f"{f}{last}", f"{f}_{last}", f,
                 f"{f[0]}{last}", f"{base}{rng.randint(1, 99)}", f"{last}.{f}", f"{f}-{last}")
            )  # fmt: skip
        addr = f"{local}@{domain.name}"
        while addr in self.taken:
            addr = f"{local}{rng.randint(2, 999)}@{domain.name}"
        self.taken[addr] = True
        forms = []
        style = rng.random()
        if not override and style < 0.06:
            forms = [addr, f"<{addr}>"]
        elif name.isascii():
            if not override and style < 0.10 and " " in name:
                given, _, family = name.partition(" ")
                forms = [f'"{family}, {given}" <{addr}>']
            elif not override and style < 0.12:
                forms = [f"{phrase('Dr. ' + name)} <{addr}>"]
            else:
                forms = [f"{phrase(name)} <{addr}>", f'"{name}" <{addr}>']
        else:
            options = encodings_for(name, culture)
            for _ in range(2):
                forms.append(f"{encoded_words(name, *rng.choice(options))} <{addr}>")
        infra = domain.infra if domain.infra in ("google", "m365", "yahoo") else "other"
        client = self.pick(CLIENT_MIX[infra])
        ascii_first = base.partition(".")[0] or "user"
        host = {
            "apple": f"{ascii_first.capitalize()}s-MBP",
            "iphone": "smtpclient.apple",
            "outlook": f"DESKTOP-{self.chars(7, UPPER_ALNUM)}",
            "mutt": f"{ascii_first}-thinkpad",
            "evolution": f"{ascii_first}-workstation.{domain.name}",
            "thunderbird": rng.choice(
                ("laptop.home", f"{ascii_first}-pc.fritz.box", "[127.0.0.1]")
            ),
        }.get(client, f"{ascii_first}-laptop.local")
        ips = [self.doc_ip(), self.doc_ip6() if rng.random() < 0.3 else self.doc_ip()]
        return Person(first, name, addr, domain, forms, client, host, ips)

    def _make_people(self) -> list[Person]:
        domains = [d for d, _ in self.domains]
        weights = [w for _, w in self.domains]
        picks = self.rng.choices(domains, weights=weights, k=PEOPLE - len(self.owners))
        return [self._person(d) for d in picks]

    def _make_lists(self) -> list[MailingList]:
        rng = self.rng
        lists = []
        for name, description in LIST_NAMES:
            style = rng.choice(("mailman2", "mailman3", "mailman3", "google"))
            if style == "google":
                domain, host, ip = "googlegroups.com", "", ""
            else:
                org = rng.choice(("example.org", "example.net", "lists.example.edu"))
                domain = org if org.startswith("lists.") else f"lists.{org}"
                host, ip = domain, self.doc_ip()
            members = rng.sample(self.people, rng.randint(30, 150))
            prefix = rng.random() < 0.6
            lists.append(MailingList(name, domain, host, ip, style, description, prefix, members))
        return lists

    def someone(self) -> Person:
        """A correspondent, skewed so a few people write a lot (a long tail)."""
        return self.people[int(len(self.people) * self.rng.random() ** 2.2)]

    def another_mailbox(self) -> Person:
        """A new person, at a domain drawn as correspondents' are, whose mailbox gets
        one message (``--each-to-another-mailbox``)."""
        domains = [d for d, _ in self.domains]
        weights = [w for _, w in self.domains]
        return self._person(self.rng.choices(domains, weights=weights)[0])

    # -- conversation --------------------------------------------------------------------
    def subject(self) -> str:
        rng = self.rng
        if rng.random() < 0.12:
            return rng.choice(INTL_SUBJECTS)
        k = rng.randint(2, 9)
        return rng.choice(SUBJECTS).format(
            proj=rng.choice(PROJECTS),
            noun=rng.choice(NOUNS),
            verb=rng.choice(VERBS),
            v=rng.randint(2, 5),
            i=rng.randint(1, k),
            k=k,
            module=rng.choice(MODULES),
            thing=rng.choice(THINGS),
            n=rng.randint(10000, 999999),
            day=rng.choice(("Monday", "Thursday", "Friday")),
        )

    def encode_subject(self, text: str) -> str:
        if text.isascii():
            return text
        rng = self.rng
        culture = "ja" if any("\u3040" <= c <= "\u9fff" for c in text) else ""
        culture = culture or ("ru" if any("\u0400" <= c <= "\u04ff" for c in text) else "")
        culture = culture or ("el" if any("\u0370" <= c <= "\u03ff" for c in text) else "")
        return encoded_words(text, *rng.choice(encodings_for(text, culture or "de")))

    def message_id(self, s: Person, client: Client, epoch: int) -> str:
        rng, dom = self.rng, s.domain.name
        style = client.msgid
        if style == "gmail":
            local = self.chars(rng.randint(40, 52), GMAIL_ID)
            return f"<CA{rng.choice('FGJKLMNP')}{local}@mail.gmail.com>"
        if style == "uuid":
            return f"<{self.uuid()}@{dom}>"
        if style == "apple":
            return f"<{self.uuid(upper=True)}@{dom}>"
        if style == "outlook":
            server, _ = self.m365_server()
            return f"<{server.split('.')[0]}{self.hexs(16, upper=True)}@{server}>"
        if style == "mutt":
            t = time.gmtime(epoch)
            if rng.random() < 0.5:
                day = f"{t.tm_year}{t.tm_mon:02d}{t.tm_mday:02d}"
                return f"<{day}.{self.chars(6, LOWER_ALNUM)}@{s.host}.local>"
            return f"<{self.chars(16)}@{s.host}>"
        if style == "evolution":
            return f"<{self.hexs(40)}.camel@{dom}>"
        if style == "yahoo":
            serial = f"{rng.randint(10**8, 10**9)}.{rng.randint(10**5, 10**6)}"
            return f"<{serial}.{epoch}{rng.randint(100, 999)}@mail.yahoo.com>"
        if rng.random() < 0.3 and s.domain.infra == "exim":
            return f"<E{self.exim_id()}@{s.domain.out}>"
        return f"<{self.hexs(32)}@{dom}>"

    def boundary(self, client: Client) -> str:
        style = client.boundary
        if style == "gmail":
            return "000000000000" + self.hexs(16)
        if style == "thunderbird":
            return "------------" + self.chars(24)
        if style == "apple":
            return "Apple-Mail=_" + self.uuid(upper=True)
        if style == "outlook":
            return f"_000_{self.chars(44, UPPER_ALNUM)}namp_"
        if style == "evolution":
            return "=-" + self.chars(20)
        if style == "roundcube":
            return "=_" + self.hexs(32)
        if style == "java":
            r = self.rng.randint
            return f"----=_Part_{r(1, 9_999_999)}_{r(1, 10**9)}.{r(10**12, 10**13)}"
        return self.chars(16)

    # -- bodies --------------------------------------------------------------------------
    def body_text(self, s: Person, to_first: str, thread: Thread | None, client: Client) -> str:
        """A plain-text body: greeting, paragraphs, maybe a quote and a signature."""
        rng = self.rng
        lines = [rng.choice(GREETINGS).format(to_first), ""]
        for _ in range(rng.choices((1, 2, 3, 4, 6), weights=(25, 35, 20, 15, 5))[0]):
            lines += [*rng.choice(self.paragraphs), ""]
        lines += [rng.choice(CLOSINGS), s.first]
        if rng.random() < 0.4:
            lines += ["", "-- ", s.name or s.addr, f"{rng.choice(TITLES)}, {s.domain.name}"]
            lines.append(f"+1 555 01{rng.randint(10, 99)}")
        if thread is not None:
            quote_mark = ">" if rng.random() < 0.1 else "> "  # some clients omit the space
            who = f"{thread.last_from.name} <{thread.last_from.addr}>".lstrip()
            when = fmt_date(thread.last_date, thread.last_from.domain.zone, comment=False)
            quoted = [f"On {when}, {who} wrote:"]
            quoted += [(quote_mark + line).rstrip() for line in thread.last_para]
            if client.top_post:
                lines += ["", *quoted]
            else:
                lines = [lines[0], "", *quoted, "", *lines[2:]]
        if rng.random() < 0.01:
            # A pasted mbox fragment: its separator and ">From" lines must be quoted.
            t = time.asctime(time.gmtime(self.now - rng.randint(10**5, 10**7)))
            lines += ["", "---- pasted from the old archive ----", f"From {s.addr} {t}"]
            lines += [">From the original report: the parser split here.", ""]
        return "\n".join(lines) + "\n"

    def html_of(self, text: str, client: Client) -> str:
        paras = [html.escape(p).replace("\n", "<br>\n") for p in text.split("\n\n") if p]
        if client.boundary == "gmail":
            inner = "".join(f"<div>{p}</div><div><br></div>\n" for p in paras)
            return f'<div dir="ltr">{inner}</div>\n'
        head = '<html><head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
        if client.boundary == "outlook":
            head += '<style><!--\n@font-face {font-family:"Cambria Math";}\n'
            head += (
                'p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}\n'
            )
            head += "--></style>\n"
        body = "".join(f"<p>{p}</p>\n" for p in paras)
        return f"{head}</head>\n<body>\n{body}</body>\n</html>\n"

    def text_part(self, text: str, subtype: str, client: Client, signed: bool = False) -> Part:
        """Headers and body of a leaf text part, in a transfer encoding clients use."""
        rng = self.rng
        headers: Headers = []
        charset = "UTF-8" if client.boundary in ("gmail", "thunderbird") else "utf-8"
        if text.isascii() and rng.random() < 0.4:
            charset = "us-ascii"
        ctype = f"text/{subtype}; charset={charset}"
        if client.boundary == "gmail":
            ctype = f'text/{subtype}; charset="{charset}"'
        if subtype == "plain" and client.boundary == "thunderbird" and rng.random() < 0.7:
            ctype += "; format=flowed"
        headers.append(("Content-Type", ctype))
        needs_qp = not text.isascii() or (subtype == "html" and "\n" not in text[:900])
        if needs_qp and (signed or subtype == "html" or rng.random() < 0.5):
            body = binascii.b2a_qp(text.encode(), istext=True).decode("ascii")
            headers.append(("Content-Transfer-Encoding", "quoted-printable"))
        else:
            body = text
            cte = "7bit" if text.isascii() else "8bit"
            if rng.random() < 0.8:
                headers.append(("Content-Transfer-Encoding", cte))
        if client.msgid == "mutt" and subtype == "plain":
            headers.append(("Content-Disposition", "inline"))
        return headers, [body]

    def multipart(self, parts: list[Part], boundary: str, preamble: str = "") -> list[Chunk]:
        """The body of a multipart entity (RFC 2046 5.1)."""
        out: list[Chunk] = [f"{preamble}\n" if preamble else ""]
        for headers, body in parts:
            out.append(f"--{boundary}\n" + "".join(f"{k}: {v}\n" for k, v in headers) + "\n")
            out += body
            out.append("\n")
        out.append(f"--{boundary}--\n")
        return out

    def content_type(self, kind: str, boundary: str, extra: str = "") -> str:
        """A multipart Content-Type, folded before the boundary as most clients do."""
        ctype = f'multipart/{kind};{extra}\n boundary="{boundary}"'
        return ctype if self.rng.random() < 0.7 else ctype.replace("\n ", " ")

    def armor(self, what: str, heads: tuple[bytes, ...], size: int) -> str:
        """An ASCII-armoured OpenPGP block (RFC 4880 6.2) around random packet bytes."""
        data = self.rng.choice(heads) + self.rng.randbytes(size)
        b64 = base64.b64encode(data).decode("ascii")
        crc = base64.b64encode(self.rng.randbytes(3)).decode("ascii")
        body = "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
        return f"-----BEGIN PGP {what}-----\n\n{body}\n={crc}\n-----END PGP {what}-----\n"

    def inner(self, text: str, client: Client, signed: bool = False) -> Part:
        """Plain or multipart/alternative content, as the client would send it."""
        if self.rng.random() >= client.alternative:
            return self.text_part(text, "plain", client, signed)
        b = self.boundary(client)
        parts = [
            self.text_part(text, "plain", client, signed),
            self.text_part(self.html_of(text, client), "html", client, signed),
        ]
        return [("Content-Type", self.content_type("alternative", b))], self.multipart(parts, b)

    def body(self, text: str, client: Client) -> Part:
        """Top-level content headers and body chunks for one of the body kinds."""
        rng = self.rng
        r = rng.random()
        if r < 0.10:  # PGP/MIME signed
            b = self.boundary(client)
            micalg = rng.choice(("pgp-sha256", "pgp-sha512"))
            ctype = self.content_type(
                "signed", b, f' micalg={micalg};\n protocol="application/pgp-signature";'
            )
            sig_headers = [
                ("Content-Type", 'application/pgp-signature; name="OpenPGP_signature.asc"'),
                ("Content-Description", "OpenPGP digital signature"),
                ("Content-Disposition", 'attachment; filename="OpenPGP_signature.asc"'),
            ]
            sig = self.armor("SIGNATURE", PGP_SIG_HEADS, rng.choice((110, 110, 560)))
            parts = [self.inner(text, client, signed=True), (sig_headers, [sig])]
            preamble = "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)"
            return [("Content-Type", ctype)], self.multipart(parts, b, preamble)
        if r < 0.15:  # S/MIME signed
            b = self.boundary(client)
            ctype = self.content_type(
                "signed", b, ' protocol="application/pkcs7-signature"; micalg=sha-256;'
            )
            p7s = base64.encodebytes(P7S_HEAD + rng.randbytes(rng.randint(2_500, 6_500)))
            sig_headers = [
                ("Content-Type", 'application/pkcs7-signature; name="smime.p7s"'),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", 'attachment; filename="smime.p7s"'),
                ("Content-Description", "S/MIME Cryptographic Signature"),
            ]
            parts = [self.inner(text, client, signed=True), (sig_headers, [p7s])]
            preamble = "This is a cryptographically signed message in MIME format."
            return [("Content-Type", ctype)], self.multipart(parts, b, preamble)
        if r < 0.18:  # PGP/MIME encrypted
            b = self.boundary(client)
            ctype = self.content_type("encrypted", b, ' protocol="application/pgp-encrypted";')
            version = [
                ("Content-Type", "application/pgp-encrypted"),
                ("Content-Description", "PGP/MIME version identification"),
            ]
            payload = [
                ("Content-Type", 'application/octet-stream; name="encrypted.asc"'),
                ("Content-Description", "OpenPGP encrypted message"),
                ("Content-Disposition", 'inline; filename="encrypted.asc"'),
            ]
            msg = self.armor("MESSAGE", PGP_MSG_HEADS, rng.randint(600, 12_000))
            parts = [(version, ["Version: 1\n"]), (payload, [msg])]
            preamble = "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)"
            return [("Content-Type", ctype)], self.multipart(parts, b, preamble)
        if r < 0.20:  # S/MIME enveloped
            headers = [
                (
                    "Content-Type",
                    "application/pkcs7-mime; smime-type=enveloped-data;\n name=smime.p7m",
                ),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", "attachment; filename=smime.p7m"),
                ("Content-Description", "S/MIME Encrypted Message"),
            ]
            data = P7M_HEAD + rng.randbytes(rng.randint(1_500, 40_000))
            return headers, [base64.encodebytes(data)]
        if r < 0.23:  # a big attachment, sliced from the pool
            b = self.boundary(client)
            ctype, pattern = rng.choice(ATTACHMENTS)
            filename = pattern.format(q=rng.randint(1, 4), n=rng.randint(1000, 9999))
            if filename.isascii():
                disposition = f'attachment; filename="{filename}"'
            else:  # RFC 2231, as Thunderbird and Apple Mail write it
                quoted = "".join(
                    chr(c) if chr(c) in ALNUM + ".-_" else f"%{c:02X}" for c in filename.encode()
                )
                disposition = f"attachment;\n filename*=UTF-8''{quoted}"
                filename = encoded_words(filename, "UTF-8", "Q")
            attach_headers = [
                ("Content-Type", f'{ctype}; name="{filename}"'),
                ("Content-Disposition", disposition),
                ("Content-Transfer-Encoding", "base64"),
            ]
            if client.boundary == "gmail":
                attach_headers.append(("X-Attachment-Id", f"f_{self.chars(9, LOWER_ALNUM)}"))
            parts = [self.inner(text, client), (attach_headers, [self.blob_slice()])]
            return [("Content-Type", self.content_type("mixed", b))], self.multipart(parts, b)
        return self.inner(text, client)

    def blob_slice(self) -> bytes:
        """200 KB to 3 MB of base64 on disk: whole pool lines plus an exact short tail."""
        size = int(ATTACH_MIN * (ATTACH_MAX / ATTACH_MIN) ** (self.rng.random() ** ATTACH_SKEW))
        lines, rest = divmod(size, 77)
        start = self.rng.randrange(self.blob_lines - lines) * 77
        # A shorter last line of whole 4-character groups decodes without padding.
        tail = self.token(max(4, (rest - 1) // 4 * 4))
        return self.blob[start : start + lines * 77] + tail.encode("ascii") + b"\n"

    # -- trace headers -------------------------------------------------------------------
    # Hop texts are built from segments joined by a fold (or a space): real MTAs differ in
    # whether and where they fold, and readers must cope with both.
    def fold_with(self, indent: str, p_fold: float) -> str:
        return indent if self.rng.random() < p_fold else " "

    def lower(self, n: int) -> str:
        return self.chars(n, string.ascii_lowercase)

    def exim_id(self) -> str:
        return f"1{self.chars(5)}-000{self.chars(3)}-{self.chars(2)}"

    def queue_id(self) -> str:
        """A Postfix queue id, short (hex) or long (alphanumeric) format."""
        return self.hexs(10, upper=True) if self.rng.random() < 0.5 else self.chars(15)

    def gmail_smtp_id(self, kind: str) -> str:
        """Gmail's per-hop ids: ``x12sm123456wrs.45``, ``k19csp1234567wrn`` and friends."""
        rng = self.rng
        head = f"{rng.choice('abcdefgkmnpqrstuvwxyz')}{rng.randint(1, 30)}"
        serial = f"{rng.randint(100_000, 9_999_999)}{self.lower(3)}"
        if kind == "sm":
            return f"{head}sm{serial}.{rng.randint(1, 99)}"
        if kind == "si":
            return f"{head}-20020a{self.hexs(26)}si{serial}.{rng.randint(1, 999)}"
        return f"{head}csp{serial}"

    def google_exit(self) -> tuple[str, str]:
        rng = self.rng
        n = rng.randint(41, 200)
        pre = rng.choice(("wr1", "wm1", "ej1", "lf1", "pl1", "qk1", "yb1", "io1", "sor", "ed1"))
        net = rng.choice((128, 160, 208, 214, 218, 221))
        return f"mail-{pre}-f{n}.google.com", f"209.85.{net}.{n}"

    def m365_hop(self, source: str, target: str, version: str, droppable: bool) -> Hop:
        """A Microsoft 365 hop: one long unfolded line, UTC without a zone comment."""
        tls = "version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        return Hop(
            f"from {source} by {target} with Microsoft SMTP Server ({tls}) id {version}; {{date}}",
            BARE_UTC,
            droppable=droppable,
        )

    def m365_version(self) -> str:
        return f"15.20.{self.rng.randint(5000, 7999)}.{self.rng.randint(1, 40)}"

    def sender_hops(self, s: Person, rcpt: str, client_name: str) -> tuple[list[Hop], str, str]:
        """Hops inside the sender's provider, oldest first, and the host that leaves it."""
        rng, d = self.rng, s.domain
        ip = rng.choice(s.ips)
        j = self.fold_with("\n\t", 0.7)
        if d.infra == "google":
            exit_host, exit_ip = self.google_exit()
            if client_name == "gmail":
                hops = [Hop(f"by {self.gmail_v6()} with HTTP; {{date}}", US_P)]
            else:
                parts = (
                    f"from {s.host} ([{ip}])",
                    f"by smtp.gmail.com with ESMTPSA id {self.gmail_smtp_id('sm')}.{{gtime}}",
                    f"for <{rcpt}>",
                    "(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);",
                    "{date}",
                )
                hops = [Hop(self.fold_with("\n        ", 0.7).join(parts), US_P)]
            if rng.random() < 0.5:
                text = f"by {self.gmail_v6()} with SMTP id {self.lower(18)};\n        {{date}}"
                hops.append(Hop(text, US_P, droppable=True))
            return hops, exit_host, exit_ip
        if d.infra == "m365":
            region = rng.choice(("namprd11", "namprd12", "eurprd04"))
            hops = []
            prev, prev_ip = self.m365_server(region)
            for _ in range(rng.randint(1, 2)):
                server, server_ip = self.m365_server(region)
                source, target = f"{prev} ({prev_ip})", f"{server} ({server_ip})"
                hops.append(self.m365_hop(source, target, self.m365_version(), bool(hops)))
                prev, prev_ip = server, server_ip
            code = rng.choice(("dm6nam11", "bn8nam12", "eur04", "nam10", "eur05"))
            n = rng.randint(2040, 2110)
            exit_ip = f"40.107.{rng.randint(1, 255)}.{n % 256}"
            return hops, f"mail-{code}on{n}.outbound.protection.outlook.com", exit_ip
        if d.infra == "yahoo":
            site = rng.choice(("bf2", "ne1", "gq1"))
            sonic = (
                f"sonic{rng.randint(300, 330)}-{rng.randint(1, 60)}.consmr.mail.{site}.yahoo.com"
            )
            text = f"from sonic.gate.mail.ne1.yahoo.com by {sonic} with HTTP; {{date}}"
            return (
                [Hop(text, BARE_UTC)],
                sonic,
                f"74.6.{rng.randint(128, 135)}.{rng.randint(1, 254)}",
            )
        if d.infra == "exim":
            parts = (
                f"from [{ip}] (helo={s.host})",
                f"by {d.out} with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384",
                "(Exim 4.96)",
                f"(envelope-from <{s.addr}>)",
                f"id {self.exim_id()};",
                "{date}",
            )
            return [Hop(j.join(parts), d.zone, comment=False)], d.out, d.out_ip
        if d.infra == "sendmail":
            inner = f"{s.host.split('.')[0]}.cs.{d.name}"
            parts = (
                f"from {inner} ({inner} [{d.internal_ip}])",
                f"by mail.{d.name} (8.15.2/8.15.2) with ESMTP id 3{self.chars(13)}",
                f"for <{rcpt}>; {{date}}",
            )
            hops = [Hop(j.join(parts), d.zone)]
            if rng.random() < 0.6:
                parts = (
                    f"from mail.{d.name} (mail.{d.name} [{self.private_ip()}])",
                    f"by {d.out} (8.16.1/8.16.1) with ESMTPS id 3{self.chars(13)}",
                    "(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT);",
                    "{date}",
                )
                hops.append(Hop(j.join(parts), d.zone, droppable=True))
            return hops, d.out, d.out_ip
        # Postfix, for organisations and for the smaller providers.
        client = rng.choice((f"[{self.private_ip()}]", s.host))
        parts = (
            f"from {client} (unknown [{ip}])",
            f"(Authenticated sender: {s.addr})",
            f"by {d.out} (Postfix) with ESMTPSA id {self.queue_id()};",
            "{date}",
        )
        hops = [Hop(j.join(parts), d.zone)]
        if rng.random() < 0.3:
            parts = (
                f"from {d.out} ({d.out} [{d.internal_ip}])",
                f"by relay.{d.name} (Postfix) with ESMTPS id {self.queue_id()};",
                "{date}",
            )
            hops.append(Hop(j.join(parts), d.zone, droppable=True))
            return hops, f"relay.{d.name}", d.out_ip
        return hops, d.out, d.out_ip

    def list_hops(self, ml: MailingList, host: str, ip: str) -> tuple[list[Hop], str, str]:
        """The list server's hops; its outbound host becomes the next exit."""
        if ml.style == "google":
            hop = Hop(f"by {self.gmail_v6()} with SMTP id {self.lower(18)}; {{date}}", US_P)
            return [hop], *self.google_exit()
        parts = (
            f"from {host} ({host} [{ip}])",
            f"by {ml.host} (Postfix) with ESMTPS id {self.queue_id()}",
            f"for <{ml.name}@{ml.domain}>; {{date}}",
        )
        hops = [Hop("\n\t".join(parts), CET)]
        if self.rng.random() < 0.7:  # Mailman hands the message back to Postfix
            parts = (
                f"from {ml.host} (localhost [127.0.0.1])",
                f"by {ml.host} (Postfix) with ESMTP id {self.queue_id()}; {{date}}",
            )
            hops.append(Hop("\n\t".join(parts), CET, droppable=True))
        return hops, ml.host, ml.ip

    def receiver_hops(self, owner: Person, host: str, ip: str, env: str) -> list[Hop]:
        """The owner's inbound hops, oldest first."""
        rng, d = self.rng, owner.domain
        rcpt = owner.addr
        j = self.fold_with("\n\t", 0.85)
        if d.infra == "google":
            parts = (
                f"from {host} ({host}. [{ip}])",
                f"by mx.google.com with ESMTPS id {self.gmail_smtp_id('si')}.{{gtime}}",
                f"for <{rcpt}>",
                "(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);",
                "{date}",
            )
            inbound = Hop("\n        ".join(parts), US_P)
            text = (
                f"by {self.gmail_v6()} with SMTP id {self.gmail_smtp_id('csp')};\n        {{date}}"
            )
            return [inbound, Hop(text, US_P)]
        if d.infra == "m365":
            site = rng.choice(("BN8", "DM6", "CO1", "MW2"))
            frontend = f"{site}NAM{rng.randint(10, 12)}FT0{rng.randint(10, 99)}"
            version = self.m365_version()
            target = f"{frontend}.mail.protection.outlook.com ({self.private_ip()})"
            hops = [
                self.m365_hop(f"{host} ({ip})", target, f"{version} via Frontend Transport", False)
            ]
            server, server_ip = self.m365_server("namprd11")
            r = rng.getrandbits
            source = (
                f"{frontend}.eop-nam{rng.randint(10, 12)}.prod.protection.outlook.com "
                f"(2603:10b6:{r(12):x}:{r(8):x}::{r(8):x})"
            )
            hops.append(self.m365_hop(source, f"{server} ({server_ip})", version, False))
            if rng.random() < 0.6:
                mailbox, mailbox_ip = self.m365_server("namprd11")
                source, target = f"{server} ({server_ip})", f"{mailbox} ({mailbox_ip})"
                hops.append(self.m365_hop(source, target, version, True))
            return hops
        if d.infra == "exim":
            parts = (
                f"from {host} ([{ip}]:{rng.randint(1024, 65535)} helo={host})",
                f"by {d.mx} with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384",
                "(Exim 4.96)",
                f"(envelope-from <{env}>)",
                f"id {self.exim_id()}",
                f"for {rcpt}; {{date}}",
            )
            hops = [Hop(j.join(parts), d.zone, comment=False)]
            if rng.random() < 0.5:
                parts = (
                    f"from mx1.{d.name} ([{d.internal_ip}])",
                    f"by mail.{d.name} with esmtp (Exim 4.96)",
                    f"(envelope-from <{env}>)",
                    f"id {self.exim_id()}",
                    f"for {rcpt}; {{date}}",
                )
                hops.append(Hop(j.join(parts), d.zone, comment=False, droppable=True))
            return hops
        if d.infra == "sendmail":
            parts = (
                f"from {host} ({host} [{ip}])",
                f"by {d.mx} (8.15.2/8.15.2) with ESMTPS id 3{self.chars(13)}",
                "(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT)",
                f"for <{rcpt}>; {{date}}",
            )
            hops = [Hop(j.join(parts), d.zone)]
            if rng.random() < 0.6:
                parts = (
                    f"from {d.mx} ({d.mx} [{d.internal_ip}])",
                    f"by mailhub.{d.name} (8.15.2/8.15.2) with ESMTP id 3{self.chars(13)}",
                    f"for <{rcpt}>; {{date}}",
                )
                hops.append(Hop(j.join(parts), d.zone, droppable=True))
            return hops
        # Postfix with amavisd-new and Dovecot LMTP (example.org).
        tls = (
            "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t key-exchange "
            "X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)",
            "(No client certificate requested)",
        )
        parts = (
            f"from {host} ({host} [{ip}])",
            *(tls if rng.random() < 0.6 else ()),
            f"by {d.mx} (Postfix) with ESMTPS id {self.queue_id()}",
            f"for <{rcpt}>; {{date}}",
        )
        hops = [Hop("\n\t".join(parts), d.zone)]
        if rng.random() < 0.6:
            parts = (
                f"from {d.mx} ([127.0.0.1])",
                f"by localhost ({d.mx} [127.0.0.1]) (amavisd-new, port 10024)",
                f"with ESMTP id {self.chars(12)} for <{rcpt}>;",
                "{date}",
            )
            hops.append(Hop("\n\t".join(parts), d.zone, droppable=True))
            parts = (
                "from localhost (localhost [127.0.0.1])",
                f"by {d.mx} (Postfix) with ESMTP id {self.queue_id()}",
                f"for <{rcpt}>; {{date}}",
            )
            hops.append(Hop("\n\t".join(parts), d.zone, droppable=True))
        if rng.random() < 0.7:
            parts = (
                f"from {d.mx}",
                f"by imap.{d.name} with LMTP",
                f"id {self.token(22)}",
                f"(envelope-from <{env}>)",
                f"for <{rcpt}>; {{date}}",
            )
            hops.append(Hop("\n\t".join(parts), d.zone, droppable=True))
        return hops

    def dkim(self, d: str, selector: str, epoch: int, style: str) -> str:
        """A DKIM-Signature value folded the way the signer in ``style`` folds it."""
        rng = self.rng
        ed25519 = rng.random() < 0.08 and style in ("postfix", "exim")
        algo = "ed25519-sha256" if ed25519 else "rsa-sha256"
        b = self.token(86) + "==" if ed25519 else self.token(342) + "=="
        bh = self.token(43) + "="
        if style == "google":
            j = "\n        "
            h = "to:subject:message-id:date:from:mime-version:from:to:cc:subject"
            return (
                f"v=1; a={algo}; c=relaxed/relaxed;{j}d={d}; s={selector}; t={epoch}; "
                f"x={epoch + 604_800};{j}h={h}{j} :date:message-id:reply-to;{j}bh={bh};{j}"
                f"b={split_fixed(b, 70, j + ' ')}"
            )
        if style == "m365":
            h = "From:Date:Subject:Message-ID:Content-Type:MIME-Version:X-MS-Exchange-SenderADCheck"
            return (
                f"v=1; a={algo}; c=relaxed/relaxed; d={d};\n s={selector}; h={h};\n bh={bh};\n"
                f" b={split_fixed(b, 76, chr(10) + ' ')}"
            )
        h = rng.choice(
            ("Date:From:To:Subject:From", "From:Date:Subject:To:Cc:Reply-To:In-Reply-To:References")
        )
        j = "\n\t"
        return (
            f"v=1; a={algo}; c=relaxed/simple; d={d};{j}s={selector}; t={epoch};{j}bh={bh};{j}"
            f"h={h};{j}b={split_fixed(b, 70, j + ' ')}"
        )

    def auth_results(self, owner: Person, s: Person, env: str, ip: str) -> tuple[str, str] | None:
        """An Authentication-Results header as the owner's receiving side would write it."""
        rng, infra = self.rng, owner.domain.infra
        fd, selector = s.domain.name, s.domain.selector
        b = self.token(8)
        if infra == "google":
            j = "\n       "
            dkim = f"dkim=pass header.i=@{fd} header.s={selector} header.b={b}"
            value = (
                f"mx.google.com;{j}{dkim if selector else 'dkim=none'};{j}spf=pass (google.com: "
                f"domain of {env} designates {ip} as permitted sender) smtp.mailfrom={env};{j}"
                f"dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from={fd}"
            )
            return "Authentication-Results", value
        if infra == "m365":
            value = (
                f"spf=pass (sender IP is {ip})\n smtp.mailfrom={env.partition('@')[2]}; "
                f"dkim=pass (signature was verified)\n header.d={fd};dmarc=pass action=none "
                f"header.from={fd};compauth=pass reason=100"
            )
            return "Authentication-Results", value
        if rng.random() < 0.3 or not selector:
            return None
        value = (
            f"{owner.domain.mx};\n\tdkim=pass (2048-bit key; unprotected) header.d={fd} "
            f'header.i=@{fd} header.a=rsa-sha256 header.s={selector} header.b="{b}";\n\t'
            "dkim-atps=neutral"
        )
        return "Authentication-Results", value

    def arc(self, owner: Person, s: Person, epoch: int) -> Headers:
        """ARC headers as Gmail and Microsoft add them on a share of their mail."""
        if owner.domain.infra == "google":
            d, sel, server = "google.com", "arc-20160816", "mx.google.com"
        elif owner.domain.infra == "m365":
            d, sel, server = "microsoft.com", "arcselector9901", "mx.microsoft.com 1"
        else:
            return []
        j = "\n        "
        seal = split_fixed(self.token(342) + "==", 70, j + " ")
        sig = split_fixed(self.token(342) + "==", 70, j + " ")
        h = "to:subject:message-id:date:from:mime-version:dkim-signature"
        fd = s.domain.name
        dkim = f"dkim=pass header.i=@{fd} header.s={s.domain.selector}"
        return [
            ("ARC-Seal", f"i=1; a=rsa-sha256; t={epoch}; cv=none;{j}d={d}; s={sel};{j}b={seal}"),
            (
                "ARC-Message-Signature",
                f"i=1; a=rsa-sha256; c=relaxed/relaxed; d={d}; s={sel};{j}h={h};{j}"
                f"bh={self.token(43)}=;{j}b={sig}",
            ),
            (
                "ARC-Authentication-Results",
                f"i=1; {server};{j}{dkim};{j}spf=pass smtp.mailfrom={fd};{j}dmarc=pass "
                f"header.from={fd}",
            ),
        ]

    # -- one message ---------------------------------------------------------------------
    def participants(self, date: int) -> tuple[Thread, Person, list[Person], list[Person], bool]:
        """Pick or start a thread: (thread, sender, To, Cc, is_reply)."""
        rng = self.rng
        if self.threads and rng.random() < 0.5:  # about half the messages are replies
            back = min(len(self.threads) - 1, int(rng.expovariate(1 / 40)))
            thread = self.threads[-1 - back]
            if self.each_to_another_mailbox:  # the last one's mailbox answers, maybe
                thread.people.append(thread.owner)
                thread.owner = self.another_mailbox()
            owner = thread.owner
            candidates = [p for p in thread.people if p is not thread.last_from]
            if not candidates:  # nobody else on the thread yet: someone new answers
                candidates = [rng.choice(thread.mlist.members) if thread.mlist else self.someone()]
                thread.people += candidates
            sender = rng.choice(candidates)
            first_to = thread.last_from if thread.last_from is not sender else owner
            to = [first_to] if first_to is owner else [first_to, owner]
            keep = rng.choices(range(6), (55, 20, 10, 7, 5, 3))[0]
            ccs = [p for p in thread.people if p not in (sender, first_to)][:keep]
            if rng.random() < 0.2:
                newcomer = self.someone()
                thread.people.append(newcomer)
                ccs = [*ccs, newcomer][-5:]
            return thread, sender, to, ccs, bool(thread.refs)
        if self.each_to_another_mailbox:
            owner = self.another_mailbox()
        else:
            owner = rng.choices(self.owners, weights=(40, 20, 15, 10, 15))[0]
        mlist = rng.choice(self.lists) if rng.random() < 0.3 else None
        sender = rng.choice(mlist.members) if mlist else self.someone()
        subject = self.subject()
        if not mlist and rng.random() < 0.05:
            subject = f"Fwd: {subject}"
        others = [self.someone() for _ in range(rng.randint(0, 2))]
        ccs = [self.someone() for _ in range(rng.choices(range(6), (60, 15, 10, 7, 5, 3))[0])]
        to = [owner, *others] if rng.random() < 0.85 else others or [self.someone()]
        if owner not in to and not mlist:
            ccs = [owner, *ccs][:5]
        people = [p for p in [sender, *to, *ccs] if p is not owner]
        thread = Thread(subject, owner, people, mlist, [], sender, date, [])
        self.threads.append(thread)
        if len(self.threads) > 500:
            del self.threads[:100]
        return thread, sender, to, ccs, False

    def client_headers(
        self, thread: Thread, sender: Person, to: list[Person], ccs: list[Person], reply: bool
    ) -> dict[str, str]:
        """The headers the sender's mail client writes, by canonical name."""
        rng, mlist, name = self.rng, thread.mlist, sender.client
        client = CLIENTS[name]
        date = self.now
        subject = f"[{mlist.name}] {thread.subject}" if mlist and mlist.prefix else thread.subject
        if reply:
            subject = f"{'RE' if name == 'outlook' else 'Re'}: {subject}"
        h = {"From": rng.choice(sender.forms)}
        if mlist:
            to_field = [f"{mlist.name}@{mlist.domain}"]
            if reply and rng.random() < 0.5:
                to_field.append(rng.choice(thread.last_from.forms))
            h["To"] = fold("To", ", ".join(to_field))
        else:
            h["To"] = fold("To", ", ".join(rng.choice(p.forms) for p in to))
        if ccs:
            h["Cc"] = fold("Cc", ", ".join(rng.choice(p.forms) for p in ccs))
        if rng.random() < 0.02:  # an assistant or a shared mailbox sending on behalf
            h["Sender"] = rng.choice(self.someone().forms)
        if rng.random() < 0.06:
            other = rng.choice(self.people[:200]).domain.name
            h["Reply-To"] = f"{sender.addr.partition('@')[0]}@{other}"
        h["Subject"] = fold("Subject", self.encode_subject(subject))
        zone = UNKNOWN if rng.random() < 0.03 else sender.domain.zone
        if zone is not UNKNOWN and name == "gmail":  # the browser's zone, not the domain's
            zone = rng.choice((sender.domain.zone, US_P, CET))
        h["Date"] = fmt_date(date, zone, comment=name == "mutt", pad=name == "outlook")
        h["Message-ID"] = self.message_id(sender, client, date)
        if reply:
            h["In-Reply-To"] = thread.refs[-1]
            h["References"] = fold("References", " ".join(thread.refs[-12:]))
        h["MIME-Version"] = {
            "apple": "1.0 (Mac OS X Mail 16.0 \\(3731.400.51.1.1\\))",
            "iphone": "1.0 (1.0)",
        }.get(name, "1.0")
        if client.ua:
            header, values = client.ua
            h[header] = rng.choice(values)
        if name == "outlook":
            h["Thread-Topic"] = fold("Thread-Topic", self.encode_subject(thread.subject))
            h["Thread-Index"] = "AQH" + self.token(rng.randint(25, 60))
            h["Accept-Language"] = "en-US"
            h["Content-Language"] = "en-US"
            h["X-MS-Has-Attach"] = ""
            h["X-MS-TNEF-Correlator"] = ""
        elif name == "thunderbird":
            h["Content-Language"] = "en-US"
        if name in ("outlook", "yahoo", "roundcube") and rng.random() < 0.6:
            h["X-Originating-IP"] = f"[{sender.ips[0]}]"
        return h

    def trace(self, thread: Thread, sender: Person, rcpt: str) -> tuple[Headers, str, int]:
        """Trace headers, newest first, plus the envelope sender and delivery time.

        The hops run sender's provider, maybe a list server, then the owner's
        provider; each hop's stamp is a little later than the one below it.
        """
        rng, owner, mlist = self.rng, thread.owner, thread.mlist
        s_hops, exit_host, exit_ip = self.sender_hops(sender, rcpt, sender.client)
        env = sender.addr
        l_hops: list[Hop] = []
        if mlist:
            l_hops, exit_host, exit_ip = self.list_hops(mlist, exit_host, exit_ip)
            if mlist.style == "google":
                env = f"{mlist.name}+bncBD{self.token(40)}@googlegroups.com"
            elif mlist.style == "mailman2":  # VERP: the bounce address names the recipient
                local, _, dom = owner.addr.partition("@")
                env = f"{mlist.name}-bounces+{local}={dom}@{mlist.domain}"
            else:
                env = f"{mlist.name}-bounces@{mlist.domain}"
        r_hops = self.receiver_hops(owner, exit_host, exit_ip, env)
        hops = [*s_hops, *l_hops, *r_hops]
        while len(hops) > 8 and any(hop.droppable for hop in hops):
            del hops[rng.choice([i for i, hop in enumerate(hops) if hop.droppable])]
        t = self.now + rng.randint(0, 20)
        rendered: dict[int, str] = {}
        for hop in hops:
            t += 1 + int(rng.expovariate(1 / 2))
            if rng.random() < 0.02:
                t += rng.randint(60, 900)  # greylisting or a queue run
            rendered[id(hop)] = hop.render(t)
        delivered = t

        def received(group: list[Hop]) -> Headers:
            return [("Received", rendered[id(h)]) for h in reversed(group) if id(h) in rendered]

        out: Headers = []
        infra, domain = owner.domain.infra, env.partition("@")[2]
        auth = self.auth_results(owner, sender, env, exit_ip)
        if infra == "exim":
            out += [("Return-path", f"<{env}>"), ("Envelope-to", owner.addr)]
            out.append(("Delivery-date", fmt_date(delivered, owner.domain.zone, comment=False)))
            out += received(r_hops)
            if auth and rng.random() < 0.5:
                out.append(auth)
            out.append(("X-Spam-Score", f"{rng.uniform(-5, 4):.1f}"))
        elif infra == "google":
            out.append(("Delivered-To", owner.addr))
            out += received(r_hops[1:])
            smtp_id = f"{self.lower(20)}.{rng.randint(1, 99)}.{delivered}{rng.randint(100, 999)}"
            stamp = fmt_date(delivered, US_P)
            out.append(("X-Received", f"by {self.gmail_v6()} with SMTP id {smtp_id};\n {stamp}"))
            if rng.random() < 0.6:
                out += self.arc(owner, sender, delivered)
            out.append(("Return-Path", f"<{env}>"))
            out += received(r_hops[:1])
            spf = f"pass (google.com: domain of {env} designates {exit_ip} as permitted sender)"
            out.append(("Received-SPF", f"{spf}\n client-ip={exit_ip};"))
            if auth:
                out.append(auth)
        elif infra == "m365":
            out += received(r_hops[1:])
            if auth:
                out.append(auth)
            spf = (
                f"Pass (protection.outlook.com: domain of\n {domain} designates {exit_ip} as "
                f"permitted sender)\n receiver=protection.outlook.com; client-ip={exit_ip};\n "
                f"helo={exit_host}; pr=C"
            )
            out.append(("Received-SPF", spf))
            out += received(r_hops[:1])
            if rng.random() < 0.4:
                out += self.arc(owner, sender, delivered)
            if rng.random() < 0.9:
                out.append(("Return-Path", env))  # Exchange writes it without brackets
        elif infra == "sendmail":
            out.append(("Return-Path", f"<{env}>"))
            out += received(r_hops)
            if auth and rng.random() < 0.4:
                out.append(auth)
        else:  # Postfix, amavisd-new, Dovecot
            out += [("Return-Path", f"<{env}>"), ("Delivered-To", owner.addr)]
            lmtp = [hop for hop in r_hops if "LMTP" in hop.text]
            out += received(lmtp)
            out.append(("X-Original-To", owner.addr))
            out += received([hop for hop in r_hops[1:] if "LMTP" not in hop.text])
            out.append(("X-Virus-Scanned", f"Debian amavisd-new at {owner.domain.mx}"))
            out += received(r_hops[:1])
            if auth:
                out.append(auth)
            spf = (
                f"Pass (mailfrom) identity=mailfrom; client-ip={exit_ip};\n helo={exit_host}; "
                f"envelope-from={env}; receiver=<UNKNOWN>"
            )
            out.append(("Received-SPF", spf))
        if mlist:
            if mlist.style != "google" and rng.random() < 0.7:  # the list re-signs
                out.append(("DKIM-Signature", self.dkim(mlist.domain, "lists", t, "postfix")))
            out += received(l_hops)
        sd = sender.domain
        if sd.selector:
            out.append(("DKIM-Signature", self.dkim(sd.name, sd.selector, self.now, sd.infra)))
        if sd.infra == "google":
            if rng.random() < 0.5:
                value = self.dkim("1e100.net", "20221208", self.now, "google")
                out.append(("X-Google-DKIM-Signature", value))
            state = split_fixed("AO0yUK" + self.token(rng.randint(60, 100)), 70, "\n\t")
            out.append(("X-Gm-Message-State", state))
            out.append(("X-Google-Smtp-Source", "AK7set" + self.token(rng.randint(80, 120))))
        out += received(s_hops)
        return out, env, delivered

    def message(self) -> list[Chunk]:
        """One message: its ``From `` separator line, its header block, its body chunks."""
        rng = self.rng
        self.now += 1 + int(rng.expovariate(1 / MEAN_GAP))
        thread, sender, to, ccs, reply = self.participants(self.now)
        client = CLIENTS[sender.client]
        h = self.client_headers(thread, sender, to, ccs, reply)
        text = self.body_text(sender, to[0].first, thread if reply else None, client)
        content_headers, body = self.body(text, client)
        h.update(content_headers)
        thread.refs.append(h["Message-ID"])
        thread.last_from, thread.last_date = sender, self.now
        thread.last_para = rng.choice(self.paragraphs)

        mlist = thread.mlist
        rcpt = f"{mlist.name}@{mlist.domain}" if mlist else to[0].addr
        out, env, delivered = self.trace(thread, sender, rcpt)
        order = [k for k in client.order if k in h] + [k for k in h if k not in client.order]
        out += [(client.rename.get(k, k), h[k]) for k in order]
        if mlist:
            out += self.list_headers(mlist, rng.random() < 0.5 and mlist.style == "mailman2")
        separator = f"From {env} {time.asctime(time.gmtime(delivered))}\n"
        head = "".join(f"{k}: {v}\n" for k, v in out) + "\n"
        return [separator, head, *body]

    def list_headers(self, ml: MailingList, sender: bool) -> Headers:
        """List-* headers: Mailman 2, Mailman 3 or Google Groups style."""
        addr = f"{ml.name}@{ml.domain}"
        if ml.style == "google":
            n = self.rng.randint(10**11, 10**12)
            return [
                ("List-Id", f"<{ml.name}.googlegroups.com>"),
                ("Mailing-list", f"list {addr}; contact {ml.name}+owners@googlegroups.com"),
                ("List-Post", f"<https://groups.google.com/group/{ml.name}/post>, <mailto:{addr}>"),
                ("Precedence", "list"),
                (
                    "List-Unsubscribe",
                    fold(
                        "List-Unsubscribe",
                        f"<mailto:googlegroups-manage+{n}+unsubscribe@googlegroups.com>, <https://groups.google.com/d/optout>",
                    ),
                ),
            ]
        local, dom = ml.name, ml.domain
        headers = [("X-BeenThere", addr)] if ml.style == "mailman2" else []
        headers += [
            ("X-Mailman-Version", "2.1.39" if ml.style == "mailman2" else "3.3.8"),
            ("Precedence", "list"),
            ("List-Id", f"{ml.description} <{local}.{dom}>"),
        ]
        if ml.style == "mailman2":
            headers += [
                (
                    "List-Unsubscribe",
                    f"<https://{dom}/mailman/options/{local}>,\n"
                    f" <mailto:{local}-request@{dom}?subject=unsubscribe>",
                ),
                ("List-Archive", f"<https://{dom}/pipermail/{local}/>"),
                ("List-Post", f"<mailto:{addr}>"),
                ("List-Help", f"<mailto:{local}-request@{dom}?subject=help>"),
            ]
            if sender:
                headers.append(("Sender", f'"{local}" <{local}-bounces@{dom}>'))
        else:
            headers += [
                (
                    "Archived-At",
                    f"<https://{dom}/archives/list/{addr}/message/{self.chars(32, UPPER_ALNUM)}/>",
                ),
                ("List-Archive", f"<https://{dom}/archives/list/{addr}/>"),
                ("List-Help", f"<mailto:{local}-request@{dom}?subject=help>"),
                ("List-Owner", f"<mailto:{local}-owner@{dom}>"),
                ("List-Post", f"<mailto:{addr}>"),
                ("List-Subscribe", f"<mailto:{local}-join@{dom}>"),
                ("List-Unsubscribe", f"<mailto:{local}-leave@{dom}>"),
            ]
        return headers


def _quote(text: str) -> str:
    """mboxrd: every line matching ``^>*From `` gains one more ``>``."""
    return _FROM_LINE.sub(r">\1", text) if "From " in text else text


def write_mbox(
    path: pathlib.Path, messages: int, seed: int = 1, each_to_another_mailbox: bool = False
) -> int:
    """Write ``messages`` synthetic messages to ``path`` (mboxrd, LF); return bytes written.

    ``each_to_another_mailbox``: each message is delivered to a mailbox of its own (its
    Delivered-To, X-Original-To or Envelope-to names a new person each time).
    """
    gen = _Generator(seed, each_to_another_mailbox)
    written = 0
    with open(path, "wb", buffering=1 << 20) as out:
        for _ in range(messages):
            sep, *chunks = gen.message()
            data = [sep.encode("ascii")]
            for chunk in chunks:
                data.append(chunk if isinstance(chunk, bytes) else _quote(chunk).encode("utf-8"))
            data.append(b"\n")  # the blank line that ends each message in an mbox
            blob = b"".join(data)
            out.write(blob)
            written += len(blob)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a realistic, deterministic mbox.")
    parser.add_argument("out", type=pathlib.Path, help="mbox file to write (overwritten)")
    parser.add_argument("--messages", type=int, default=20_000, help="number of messages")
    parser.add_argument("--seed", type=int, default=1, help="seed; same seed, same bytes")
    parser.add_argument(
        "--each-to-another-mailbox",
        action="store_true",
        help="deliver each message to a mailbox of its own (the mail of many people)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    size = write_mbox(args.out, args.messages, args.seed, args.each_to_another_mailbox)
    elapsed = time.perf_counter() - started
    print(f"wrote {args.messages} messages, {size} bytes, to {args.out} in {elapsed:.1f}s")


if __name__ == "__main__":
    main()
