"""Display names: when two names are one person's, and when a name names nobody.

People write their names in many ways: "Andy Isaacson" and "Andrew Isaacson",
"Jakowski, Andrzej", "Michal Suchánek" and "Michal Suchanek", "Greg KH" and "Greg
Kroah-Hartman", "zenghongling" and "Hongling Zeng". :func:`parse_name` reduces a
display name to its words, and :func:`compare_names` says how two reduced names
match. Nicknames come from the ``nicknames`` package (a curated table of English given
names), used offline.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from analyzer.given_names import is_given_name, nicknames_of

__all__ = [
    "GENERIC_NAMES",
    "NameMatch",
    "PersonName",
    "compare_names",
    "is_given_name",
    "parse_name",
    "shown_name",
]

# Names that say what an address is for, not whose it is.
GENERIC_NAMES = frozenset(
    [
        "info",
        "support",
        "noreply",
        "no-reply",
        "donotreply",
        "admin",
        "administrator",
        "team",
        "newsletter",
        "news",
        "notifications",
        "notification",
        "mailer-daemon",
        "mailer",
        "daemon",
        "postmaster",
        "service",
        "customer",
        "sales",
        "billing",
        "hello",
        "contact",
        "office",
        "webmaster",
        "help",
        "desk",
        "helpdesk",
        "marketing",
        "updates",
        "alerts",
        "security",
        "account",
        "accounts",
        "me",
        "no",
        "reply",
        "do",
        "not",
        "root",
        "etc",
        "user",
        "users",
        "super-user",
        "superuser",
        "sysadmin",
        "system",
        "systems",
        "operator",
        "owner",
        "list",
        "lists",
        "mailing",
        "listserv",
        "majordomo",
        "mailman",
        "bounce",
        "bounces",
        "request",
        "robot",
        "bot",
        "automated",
        "auto",
        "notify",
        "notifier",
        "unknown",
        "anonymous",
        "nobody",
        "guest",
        "test",
        "staff",
        "group",
        "community",
        "the",
        "of",
        "and",
        "for",
        "via",
        "on",
        "behalf",
    ]
)
# Words before or after a name that are not part of it.
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "rev",
        "revd",
        "fr",
        "sir",
        "dame",
        "herr",
        "frau",
        "engr",
        "eng",
        "ing",
        "barrister",
        "attorney",
        "jr",
        "sr",
        "phd",
        "md",
        "esq",
        "ceo",
        "director",
    ]
)
_VIA = re.compile(r"(?<=\S)\s+(?:via|on behalf of)\s+.*$", re.IGNORECASE)
# "Russell King - ARM Linux admin", "Jiri Valek - 2N", "Jane Doe | ACME": a role or an
# organisation after the name
_ROLE_SUFFIX = re.compile(r"(?<=\S)\s+[-\u2013\u2014|]\s+.*$")  # one try per run of spaces
_QUOTES = "'\" \t"
_PARENTHESISED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_NAME = re.compile(r"[^a-z0-9 .'-]")


@dataclass(frozen=True)
class PersonName:
    """A display name reduced to lower-case ASCII words, titles and list suffixes removed."""

    words: tuple[str, ...]
    written: str = field(default="", compare=False)  # as the header wrote it

    @property
    def first(self) -> str:
        return self.words[0]

    @property
    def last(self) -> str:
        return self.words[-1]

    @property
    def text(self) -> str:
        return " ".join(self.words)


def parse_name(display_name: str | None) -> PersonName | None:
    """The words of a personal name, or None when the name names nobody in particular.

    A role or an organisation after the name ("Russell King - ARM Linux admin", "Matthew
    Wilcox (Oracle)", "Stuart Herbert, GNQS Maintainer", "Jane Doe via linux-mips") is no
    part of it: the name compares as the person's, as long as what comes before the
    suffix is a full name.

    >>> parse_name("'Lindqvist, Maya (work)' via Kestrel").text
    'maya lindqvist'
    >>> parse_name("Russell King - ARM Linux admin").text
    'russell king'
    >>> parse_name("Stuart Herbert, GNQS Maintainer").text
    'stuart herbert'
    >>> parse_name("Support Team") is None
    True
    """
    if not display_name or "@" in display_name:
        return None
    whole = _words(display_name)
    if whole is None:
        return None
    text = _VIA.sub("", display_name.strip().strip("'\""))
    before = _ROLE_SUFFIX.sub("", _comma_role(text))
    named = _words(before) if before != text else None
    words = named if named is not None and len(named) > 1 else whole
    return PersonName(words, display_name.strip())


def _comma_role(text: str) -> str:
    """A full name with a role after a comma ("Stuart Herbert, GNQS Maintainer", "Enrico
    Weigelt, metux IT consult") without it; "Doe, Jane" and "Van Der Berg, Jan" (family
    name first: one word before the comma, or a given name after it) as they are."""
    if text.count(",") != 1:
        return text
    name, _, role = text.partition(",")
    named, after = _words(name), re.findall(r"[a-z]+", role.lower())
    if named is None or len(named) < 2 or not after or is_given_name(after[0]):
        return text
    return name


def _words(display_name: str) -> tuple[str, ...] | None:
    """A display name's words, lower-case ASCII, titles and a list's suffix gone; None
    when no word is left that names someone."""
    text = _VIA.sub("", display_name.strip().strip("'\""))
    text = _PARENTHESISED.sub(" ", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    if text.count(",") == 1:  # "Lindqvist, Maya"
        last, _, first = text.partition(",")
        text = f"{first} {last}"
    text = _NOT_NAME.sub(" ", text.replace("_", " "))
    words = [w.strip(".'-") for w in re.split(r"[\s.]+", text)]
    words = [w for w in words if w and not w.isdigit() and w not in _TITLES]
    if not words or all(w in GENERIC_NAMES for w in words):
        return None
    return tuple(words)


def shown_name(display_name: str) -> str:
    """A display name as a reader should see it: a list's suffix ("Jane Doe via linux-mips"),
    quotes and runs of spaces gone; "" when what is left names no person. The redactor
    learns this form too, so a name the report shows is one it replaces.

    >>> shown_name("'Jane  Doe' via linux-mips")
    'Jane Doe'
    """
    text = " ".join(_VIA.sub("", display_name.strip()).strip(_QUOTES).split())
    if not text or "@" in text or parse_name(text) is None:
        return ""
    return text


def _alike(a: str, b: str) -> bool:
    """Transliterations and typos of one word: Sergey / Sergei, Averyanov / Alveryanov."""
    if a[0] != b[0] or min(len(a), len(b)) < 4:
        return False
    return SequenceMatcher(None, a, b).ratio() >= 0.8


def _same_given_name(a: str, b: str) -> bool:
    if a == b or _alike(a, b):
        return True
    if len(a) == 1 or len(b) == 1:  # an initial
        return a[0] == b[0]
    return b in nicknames_of(a)


def _same_family_name(a: str, b: str) -> bool:
    if a == b or _alike(a, b):
        return True
    # "Greg KH" for "Greg Kroah-Hartman": the initials of a compound name
    for short, long in ((a, b), (b, a)):
        parts = [p for p in long.split("-") if p]
        if len(parts) > 1 and short == "".join(p[0] for p in parts):
            return True
    return a.replace("-", "") == b.replace("-", "")


class NameMatch:
    """How two names match, strongest first; the levels of the ``display-name`` evidence."""

    FULL = "full-name"  # the same words, two or more
    VARIANT = "name-variant"  # nickname, initial, order, spelling, run-together
    SINGLE = "single-word"  # the same one word ("ralf", "zenghongling")
    FIRST = "first-name"  # one is only the other's given name


def compare_names(a: PersonName, b: PersonName) -> str | None:
    """The :class:`NameMatch` level of two names, or None when they name different people.

    >>> compare_names(parse_name("Andy Isaacson"), parse_name("Andrew Isaacson"))
    'name-variant'
    >>> compare_names(parse_name("Greg KH"), parse_name("Greg Kroah-Hartman"))
    'name-variant'
    """
    if a.words == b.words:
        return NameMatch.FULL if len(a.words) > 1 else NameMatch.SINGLE
    if len(a.words) > 1 and len(b.words) > 1:
        for first, last in ((b.first, b.last), (b.last, b.first)):
            if _same_family_name(a.last, last) and _same_given_name(a.first, first):
                return NameMatch.VARIANT
        if sorted(a.words) == sorted(b.words):
            return NameMatch.VARIANT
        return None
    single, full = (a, b) if len(a.words) == 1 else (b, a)
    word = single.first.replace("-", "")
    if len(full.words) > 1:
        joined = {"".join(full.words), full.last + full.first, full.first + full.last}
        if word in joined:
            return NameMatch.VARIANT
        if word == full.first and word not in GENERIC_NAMES:
            return NameMatch.FIRST
    return None
