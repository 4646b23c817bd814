"""Redaction: outputs one can share, with every other person's details replaced.

What the analysis found stays true; who it is about does not show. Every address that is
not the owner's becomes a keyed pseudonym that keeps its class: ``p-3fa2c1@gmail.com`` at
a public mail provider, ``p-91be04@org-5d2e7a.example`` at an organisation, and
``list-0c77de@lists-8e1f90.example`` for a mailing list. Host names outside public
providers and the owner's own domains become ``org-….example`` (a registrable domain),
``h-….org-….example`` (a name under it) or ``host-….example`` (a bare machine name), IP
addresses are cut to their network (``198.51.100.0/24``, ``2001:db8:85a3::/48``), display
names of others become ``Person 3fa2c1d0`` and their user names ``user-…``, UUCP paths
(``uunet!host!user``) pseudonyms like addresses, host names that spell an IP address
(``c-73-47-72-35.hsd1.nh.comcast.net``) ``h-….comcast.net``, Message-IDs ``id-…``, key ids
and details ``key-…``, source paths ``source-1``, and subjects are removed. The pseudonyms
are HMAC-SHA256 under a key kept beside the working store, so the same address gets the
same pseudonym in every report made from that store, and nobody without the key can test a
guess. Two values never share a label: a clash gets a longer one (:meth:`Redactor._label`).

Whoever holds copies of the messages must not be able to look them up: every id derived
from a message (its store key, Received ids) is keyed too, times are cut to the hour (UTC),
time zone offsets are kept only on the owner's own messages, sizes become a power of two
and mbox byte offsets are dropped. docs/redaction.md says what that does and does not hide.

The redactor works on text: on the values it knows from the frames (names, subjects,
Message-IDs, list ids, key details, server names, paths), and on anything shaped like an
address, a UUCP path, an IP address, a host name, a message key or a date and time,
wherever it occurs in a string.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import ipaddress
import math
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ahocorasick
import pandas as pd

from analyzer.addressing import alias_service, domain_of, is_public_provider, registrable_domain
from analyzer.errors import OutputError
from analyzer.frames import Frames
from analyzer.linkability.names import shown_name
from analyzer.mailing_lists import list_addresses
from analyzer.owner import Owner
from analyzer.readable import text_items
from analyzer.redact_shapes import SHAPES, cuts_word, embeds_ip, to_the_hour
from analyzer.vocabulary import OWN_WORD_KEYS, Said

__all__ = [
    "KEY_NAME",
    "LABEL_LENGTHS",
    "Redactor",
    "embeds_ip",
    "load_key",
    "redact_frames",
    "redact_table",
    "redact_value",
]

KEY_NAME = "redact.key"
SUBJECT_REMOVED = "(removed)"
REDACTION_NOTE = (
    "Redacted for sharing: other people's addresses, names and servers are keyed pseudonyms "
    "(the same one each time), IP addresses are cut to their network, times to the hour "
    "(UTC), and subjects are removed. The addresses shown as yours are as they are."
)
# hex digits of a label: at 16 bits, two of 650 names shared one. A clash between two
# values is still possible at any length; the second gets a longer label (Redactor._label).
LABEL_LENGTHS = {"name": 8, "address": 6, "user": 6, "host": 6, "domain": 6}
ID_LENGTH = 16  # ids (message keys, Message-IDs, Received lines): 64 bits, no clash expected
_MIN_LITERAL = 3  # shorter known values (initials, "Re") are left to the patterns
# the servers of big mail providers and senders: a class, not a person
PROVIDER_INFRASTRUCTURE = frozenset({
    "google.com", "googlemail.com", "outlook.com", "hotmail.com", "microsoft.com",
    "office365.com", "yahoo.com", "yahoodns.net", "icloud.com", "apple.com", "me.com",
    "amazonses.com", "sendgrid.net", "mailgun.org", "mailchimp.com", "mcsv.net",
    "messagingengine.com", "fastmail.com", "protonmail.ch", "proton.me", "gmx.net", "web.de",
    "zoho.com", "mail.ru", "yandex.net", "aol.com", "comcast.net",
})  # fmt: skip


# names that every machine may give itself: they point at nobody
GENERIC_SERVER_NAMES = frozenset({"localhost", "localhost.localdomain", "unknown", "user", ""})


def load_key(store: str | os.PathLike[str]) -> bytes:
    """The store's redaction key, made on first use: the same pseudonyms every time."""
    path = Path(store) / KEY_NAME
    if not path.exists():
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


class Redactor:
    """Maps what identifies other people to stable pseudonyms; keeps the owner's own."""

    def __init__(self, frames: Frames, owner: Owner, key: bytes, sources: Iterable[str] = ()):
        self.key = key
        self.owner = owner
        self._holders: dict[str, tuple[str, str]] = {}  # label → the value it stands for
        # known values, none yet: what text() meets while they are gathered (a machine name
        # in a delivery address) goes by its shape alone
        self.exact: dict[str, str] = {}
        self.literals: dict[str, str] = {}
        self.message_keys = self._keyed_message_keys(frames)
        self.lists = list_addresses(frames)
        self.kept_domains = {registrable_domain(domain_of(a)) for a in owner.identities}
        self.kept_domains |= set(owner.domains)
        owner_names = self._owner_names(frames, owner)
        literals: dict[str, str] = {}
        messages = frames.messages
        for value in messages["subject"].dropna():
            literals[value] = SUBJECT_REMOVED
        for column in ("message_id", "in_reply_to"):
            for value in messages[column].dropna():
                literals[value] = self._message_id(value)
        for references in messages["references"]:
            for value in text_items(references):  # a hand edit leaves None among them
                literals[value] = self._message_id(value)
        for column in ("list_id", "list_post", "list_unsubscribe"):
            for value in messages[column].dropna():
                literals[value] = self._pseudonym("list", value)
        for column in ("gm_thrid", "gmail_labels", "auth_results", "date_raw"):
            for value in messages[column].dropna():
                literals[value] = self._pseudonym("value", value)
        people = frames.participants
        for address in people["address"].dropna():  # also those no pattern sees: raju@bhairavi
            literals[address] = self.address(address)
        for column in ("for_addr", "envelope_from"):
            for value in frames.hops[column].dropna():
                literals.setdefault(value, self.text_shapes(value))
        names = (*people["display_name"].dropna(), *messages["from_name"].dropna())
        for name in names:  # From's name too: its participant row may be damaged
            if name not in owner_names:
                # as written, and as the report shows it (shown_name: no list suffix)
                for written in (name, name.strip(), name.strip().strip("'\""), shown_name(name)):
                    if written:
                        literals.setdefault(written, self.name(name))
        for address in people["address"].dropna():
            local = address.rpartition("@")[0]
            if local and not owner.owns(address):  # evidence quotes it: user name 'ariel'
                literals[repr(local)] = repr(self._label("user", local, "user-"))
        for column in _SERVER_COLUMNS:  # evidence quotes a HELO name: johns-laptop
            for value in frames.hops[column].dropna().unique():
                if _is_machine_name(value) and value not in literals:
                    redacted = self._server(value, self.text_shapes(value))
                    if redacted != value:
                        literals[value] = redacted
        for detail in frames.keys["detail"].dropna():
            literals[detail] = self._pseudonym("key", detail)
        for key_id in self._others_keys(frames, owner):  # a key id finds its holder on a keyserver
            literals[key_id] = self._pseudonym("key", key_id)
        for hop_raw in frames.hops["raw"].dropna():
            literals[hop_raw] = self._pseudonym("received", hop_raw)
        for number, source in enumerate(sorted(set(sources)), 1):
            literals[source] = f"source-{number}"
        for value in messages["source"].dropna():
            literals.setdefault(value, self._pseudonym("source", value))
        for value in messages["offset"].dropna():
            if not value.isdigit():  # a one-message file: its path
                literals[value] = self._pseudonym("file", value)
        # a whole value is always looked up; inside longer text, a one-word subject
        # ("Mozilla", "help") is an ordinary word and is not searched for
        self.exact = literals
        one_word = {s for s in messages["subject"].dropna() if len(s.split()) == 1 and len(s) < 16}
        self.literals = {
            k: v for k, v in literals.items() if len(k) >= _MIN_LITERAL and k not in one_word
        }
        # Aho-Corasick: one scan finds every known value, however many thousands there are
        self._known = ahocorasick.Automaton()
        for literal, replacement in self.literals.items():
            self._known.add_word(literal, (len(literal), replacement))
        self._known.make_automaton()

    # -- pseudonyms -------------------------------------------------------------------------
    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self.key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()

    def _label(self, kind: str, value: str, prefix: str = "", suffix: str = "") -> str:
        """``prefix + label + suffix``, the label as many hex digits of the keyed digest as
        ``LABEL_LENGTHS`` says, or more where another value already holds that pseudonym:
        two people are never one ``Person 350a``. The first value seen keeps the short one."""
        digest = self._digest(kind, value)
        length = LABEL_LENGTHS.get(kind, ID_LENGTH)
        while True:
            pseudonym = f"{prefix}{digest[:length]}{suffix}"
            holder = self._holders.setdefault(pseudonym, (kind, value))
            if holder == (kind, value):
                return pseudonym
            if length >= len(digest):  # an HMAC-SHA256 collision: never seen
                raise OutputError(f"cannot redact: {value!r} and {holder[1]!r} share a digest")
            length += 1

    def _pseudonym(self, kind: str, value: str) -> str:
        return f"{kind}-{self._digest(kind, value)[:ID_LENGTH]}"

    def _message_id(self, value: str) -> str:
        return f"id-{self._digest('id', value)[:ID_LENGTH]}"

    def name(self, name: str) -> str:
        """Another person's display name, however it was quoted, as ``Person 3fa2c1d0``."""
        return self._label("name", name.strip().strip("'\"").strip(), "Person ")

    def _keyed_message_keys(self, frames: Frames) -> dict[str, str]:
        """Each message key (an unkeyed hash of the header bytes: anyone holding the message
        computes it) → a keyed one, which still joins the frames."""
        keys = pd.unique(frames.messages["message_key"].dropna())
        keyed = {key: self._digest("message", key)[:ID_LENGTH] for key in keys}
        if len(set(keyed.values())) < len(keyed):
            raise OutputError("cannot redact: two message keys have one keyed key")
        return keyed

    def message_key(self, key: str) -> str:
        return self.message_keys.get(key) or self._digest("message", key)[:ID_LENGTH]

    @staticmethod
    def _owner_names(frames: Frames, owner: Owner) -> set[str]:
        names = set()
        for frame, address, name in ((frames.participants, "address", "display_name"),
                                     (frames.messages, "from_addr", "from_name")):  # fmt: skip
            mine = frame[address].map(lambda a: isinstance(a, str) and owner.owns(a))
            names |= set(frame.loc[mine.astype(bool), name].dropna())
        return names

    @staticmethod
    def _others_keys(frames: Frames, owner: Owner) -> set[str]:
        """Key ids that are not the owner's: naming no owner address, and neither signing nor
        announced (Autocrypt) in what the owner sent. A key mail was encrypted to is
        someone else's unless it is also known as the owner's."""
        keys = frames.keys.dropna(subset=["key_id"])
        senders = frames.messages.set_index("message_key")["from_addr"]
        owners = set()
        rows = zip(
            keys["message_key"], keys["kind"], keys["key_id"], keys["addresses"], strict=True
        )
        for key, kind, key_id, addresses in rows:
            named = text_items(addresses)
            sender = senders.get(key)
            sent = (  # a key of unknown kind may be a recipient's: redacted
                isinstance(sender, str)
                and owner.owns(sender)
                and isinstance(kind, str)
                and not kind.endswith("recipient")
            )
            if sent or any(owner.owns(a) for a in named):
                owners.add(key_id)
        return set(keys["key_id"]) - owners

    def address(self, address: str) -> str:
        """Another person's address as a pseudonym of the same class; the owner's as it is."""
        lowered = address.lower()
        if self.owner.owns(lowered):
            return address
        local, _, domain = lowered.rpartition("@")
        if not local and "!" in domain:  # a UUCP path: the user at the last host of it
            machine = domain.rpartition("!")[0].rpartition("!")[2]
            return self._label("address", lowered, "p-", f"@{self.host(machine)}")
        if lowered in self.lists or is_list_address(local):
            lists = self._label("domain", domain, "lists-", ".example")
            return self._label("address", lowered, "list-", f"@{lists}")
        if is_public_provider(domain) or alias_service(lowered):
            return self._label("address", lowered, "p-", f"@{domain}")
        if registrable_domain(domain) in self.kept_domains:
            return self._label("address", lowered, "p-", f"@{domain}")
        return self._label("address", lowered, "p-", f"@{self._organisation(domain)}")

    def _organisation(self, name: str) -> str:
        """``org-….example`` for an organisation's domain, ``h-….org-….example`` for a name
        under it (so that ``engr.sgi.com`` and ``sgi.com`` stay two names of one place), and
        ``host-….example`` for a bare machine name."""
        if "." not in name:
            return self._label("host", name, "host-", ".example")
        domain = registrable_domain(name)
        organisation = self._label("domain", domain, "org-", ".example")
        if name == domain:
            return organisation
        return self._label("host", name, "h-", f".{organisation}")

    def host(self, host: str) -> str:
        """A server or domain name: public providers and the owner's own domains stay, but
        not a machine name under them that spells its IP address (``c-73-47-72-35.hsd1.nh.
        comcast.net`` becomes ``h-….comcast.net``: a Comcast customer, not which one)."""
        lowered = host.lower().rstrip(".")
        domain = registrable_domain(lowered)
        kept = (
            is_public_provider(domain)
            or domain in self.kept_domains
            or alias_service(f"x@{lowered}") is not None  # simplelogin.co: a class as well
            or domain in PROVIDER_INFRASTRUCTURE
        )
        if not kept:
            return self._organisation(lowered)
        if lowered != domain and embeds_ip(lowered[: len(lowered) - len(domain)]):
            return self._label("host", lowered, "h-", f".{domain}")
        return host

    @staticmethod
    def ip(text: str) -> str:
        """The network, not the machine: /24 for IPv4, /48 for IPv6."""
        tag, bare = ("IPv6:", text[5:]) if text[:5].lower() == "ipv6:" else ("", text)
        try:
            address = ipaddress.ip_address(bare)
        except ValueError:
            return text
        prefix = 24 if address.version == 4 else 48
        return tag + str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))

    def server(self, name: str) -> str:
        """A name a server or client gave itself (HELO, reverse DNS): host, IP, or bare label.

        A bare label such as ``johns-laptop`` names a machine as surely as a host name does.
        """
        return self._server(name, self.text(name))

    def _server(self, name: str, redacted: str) -> str:
        if redacted != name or name.strip("[]").lower() in GENERIC_SERVER_NAMES:
            return redacted
        return self.host(name)

    def text(self, value: str) -> str:
        """Free text with every known value, address, IP address and host name replaced."""
        if not value:
            return value
        exact = self.exact.get(value)
        if exact is not None:
            return exact
        pieces, done = [], 0
        for start, end, replacement in self._known_spans(value):
            pieces += [self.text_shapes(value[done:start]), replacement]
            done = end
        pieces.append(self.text_shapes(value[done:]))
        return "".join(pieces)

    def _known_spans(self, value: str) -> Iterable[tuple[int, int, str]]:
        """Where known values occur, leftmost and longest first, as whole words only (the
        name "Ann" is not replaced inside "annual"); a replacement is never scanned again."""
        if not self.literals:
            return
        found = []
        for last, (length, replacement) in self._known.iter(value):
            start, end = last + 1 - length, last + 1
            if cuts_word(value, start) or cuts_word(value, end):
                continue
            found.append((start, -length, replacement))
        done = 0
        for start, negative_length, replacement in sorted(found):
            if start >= done:
                done = start - negative_length
                yield start, done, replacement

    def text_shapes(self, value: str) -> str:
        """Only what is shaped like an address, a UUCP path, an IP address, a host name, a
        message key or a date and time, replaced."""
        return SHAPES.sub(self._shape, value)

    def _shape(self, match: re.Match[str]) -> str:
        found, shape = match.group(), match.lastgroup
        if shape in ("email", "uucp"):
            return self.address(found)
        if shape == "host":
            return self.host(found)
        if shape == "bare":
            return self.server(found)
        if shape == "dashed":
            return self._organisation(found.lower()) if embeds_ip(found.lower()) else found
        if shape == "key":
            return self.message_keys.get(found, found)
        if shape == "time":
            return to_the_hour(found)
        return self.ip(found)


def _is_machine_name(value: str) -> bool:
    """A server name that names a machine, not a word of mxa's prose ("mail", "unknown")."""
    return (
        len(value) >= _MIN_LITERAL
        and value.strip("[]").lower() not in GENERIC_SERVER_NAMES
        and any(c.isdigit() or c in "-_." for c in value)
    )


def is_list_address(local: str) -> bool:
    return local.endswith(("-request", "-owner", "-bounces")) or local.startswith("owner-")


def redact_value(value: Any, redactor: Redactor) -> Any:
    """Any value made of dataclasses, dicts, lists, tuples and strings, redacted throughout.

    Fields and keys named ``subject`` are emptied. Numbers, booleans and None stay, and so
    do mxa's own words: fields marked :data:`~analyzer.vocabulary.OWN_WORDS` and text under
    the keys :data:`~analyzer.vocabulary.OWN_WORD_KEYS` (a section title, a fix).
    """
    if isinstance(value, Said):  # mxa's words stay, the values from mail are replaced
        return Said(value.words, tuple(redactor.text(v) for v in value.values))
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, datetime.datetime):  # pd.Timestamp too
        return _to_hour(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars, as Arrow columns give them
        return redact_value(value.tolist(), redactor)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: SUBJECT_REMOVED
            if f.name == "subject"
            else redact_value(getattr(value, f.name), redactor)
            for f in dataclasses.fields(value)
            if not f.metadata.get("own_words")  # mxa's prose: nobody's address in it
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, dict):
        return {
            redact_value(k, redactor): SUBJECT_REMOVED
            if k == "subject"
            else v
            if k in OWN_WORD_KEYS and isinstance(v, str)
            else redact_value(v, redactor)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item, redactor) for item in value)
    return value


def _to_hour(value: datetime.datetime) -> datetime.datetime:
    """A time cut to its hour: a correspondent cannot look their messages up by Date."""
    if isinstance(value, pd.Timestamp):
        return value.floor("h") if value is not pd.NaT else value
    return value.replace(minute=0, second=0, microsecond=0)


_LARGEST_SIZE_CLASS = 1 << 62  # the largest power of two the store's size column holds


def _size_class(size: int) -> int | None:
    """The power of two nearest a size: how big, not which message. A negative size, which
    only a damaged store holds, is none."""
    if size <= 0:
        return None if size < 0 else 0
    return min(1 << round(math.log2(size)), _LARGEST_SIZE_CLASS)


_SERVER_COLUMNS = ("from_helo", "from_host", "by_host")
# what finds one message among copies of it, and says nothing the shared copy needs: the
# Date as written (date_utc and tz_offset_min keep what it says) and the byte offset in an mbox
_DROPPED = ("date_raw", "offset")
_KEYED_IDS = ("smtp_id", "dkim_selectors")  # a Received id; a DKIM selector names its sender


def redact_table(frame: pd.DataFrame, redactor: Redactor) -> pd.DataFrame:
    """One frame with every text, list and struct column redacted, subjects, written dates
    and offsets dropped, message keys keyed, times cut to the hour and sizes to a class."""
    copy = frame.copy()
    for column in copy.columns:
        values = copy[column]
        if column in ("subject", *_DROPPED):
            copy[column] = None
        elif column == "message_key":
            keyed = values.map(redactor.message_keys)  # a dict: one look-up per row
            unknown = keyed.isna() & values.notna()
            keyed[unknown] = values[unknown].map(redactor.message_key)
            copy[column] = keyed
        elif column == "size":
            copy[column] = values.map(_size_class, na_action="ignore").astype(values.dtype)
        elif column in _KEYED_IDS:
            kind = column.partition("_")[0]  # smtp-…, dkim-…
            copy[column] = values.map(lambda v, k=kind: _keyed(redactor, k, v), na_action="ignore")
        elif isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype.kind == "M":
            copy[column] = values.dt.floor("h")
        elif column in _SERVER_COLUMNS:
            copy[column] = values.map(redactor.server, na_action="ignore")
        elif values.dtype == object or str(values.dtype) in ("str", "string"):
            copy[column] = values.map(lambda v: redact_value(v, redactor), na_action="ignore")
    return copy


def _keyed(redactor: Redactor, kind: str, value: Any) -> Any:
    if isinstance(value, str):
        return redactor._pseudonym(kind, value)
    return [redactor._pseudonym(kind, v) if isinstance(v, str) else None for v in value.tolist()]


def redact_frames(frames: Frames, redactor: Redactor) -> Frames:
    """The frames with every text column redacted and subjects dropped (see
    :func:`redact_table`). Time zone offsets stay on the owner's own messages (the report
    is about where they wrote from) and go from everyone else's and from Received hops."""
    messages = redact_table(frames.messages, redactor)
    senders = frames.messages["from_addr"]
    mine = senders.map(lambda a: isinstance(a, str) and redactor.owner.owns(a)).astype(bool)
    messages["tz_offset_min"] = frames.messages["tz_offset_min"].where(mine.to_numpy(), None)
    hops = redact_table(frames.hops, redactor)
    hops["tz_offset_min"] = pd.Series(
        pd.NA, index=hops.index, dtype=frames.hops["tz_offset_min"].dtype
    )
    return Frames(
        messages=messages,
        participants=redact_table(frames.participants, redactor),
        hops=hops,
        keys=redact_table(frames.keys, redactor),
    )
