"""Redaction: outputs one can share, with every other person's details replaced.

What the analysis found stays true; who it is about does not show. Every address that is
not the owner's becomes a keyed pseudonym that keeps its class: ``p-3fa2c1@gmail.com`` at
a public mail provider, ``p-91be04@org-5d2e7a.example`` at an organisation, and
``list-0c77de@lists-8e1f90.example`` for a mailing list. Host names outside public
providers and the owner's own domains become ``org-….example`` (a registrable domain),
``h-….org-….example`` (a name under it) or ``host-….example`` (a bare machine name), IP
addresses are cut to their network (``198.51.100.0/24``, ``2001:db8:85a3::/48``), display
names of others become ``Person 3fa2`` and their user names ``user-…``, Message-IDs
``id-…``, key ids and details ``key-…``, source paths ``source-1``, and subjects are
removed. The pseudonyms are HMAC-SHA256 under a key kept beside the working store, so the
same address gets the same pseudonym in every report made from that store, and nobody
without the key can test a guess.

The redactor works on text: on the values it knows from the frames (names, subjects,
Message-IDs, list ids, key details, paths), and on anything shaped like an address, an IP
address or a host name, wherever it occurs in a string.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ahocorasick
import pandas as pd

from analyzer.addressing import alias_service, domain_of, is_public_provider, registrable_domain
from analyzer.frames import Frames
from analyzer.mailing_lists import list_addresses
from analyzer.owner import Owner

__all__ = ["KEY_NAME", "Redactor", "load_key", "redact_frames", "redact_table", "redact_value"]

KEY_NAME = "redact.key"
SUBJECT_REMOVED = "(removed)"
REDACTION_NOTE = (
    "Redacted for sharing: other people's addresses, names and servers are keyed pseudonyms "
    "(the same one each time), IP addresses are cut to their network and subjects are "
    "removed. The addresses shown as yours are as they are."
)
_MIN_LITERAL = 3  # shorter known values (initials, "Re") are left to the patterns
# an address, also one whose domain has no dot (raju@bhairavi, from old local mail)
_EMAIL = re.compile(r"[\w.+\-=!#$%&'*/?^`{|}~]+@[\w\-]+(?:\.[\w\-]+)*", re.ASCII)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# candidates only: ip() keeps what is no valid address (a time such as 10:30:00)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[Ii][Pp][Vv]6:)?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])"
)  # with the IPv6: tag of an address literal ([IPv6:2001:db8::1] in a HELO)
# a host name, underscores and all; not the local part of an address (followed by @)
_HOST = re.compile(r"(?<![\w\-])(?:[\w\-]{1,63}\.)+[A-Za-z]{2,24}(?![\w\-@])", re.ASCII)
# a machine name with no dot right after an @, as in a Message-ID shown <…@ganymede>
_BARE_AFTER_AT = re.compile(r"(?<=@)[\w\-]{2,63}(?![\w\-.@])", re.ASCII)
# one pass, addresses first: a host name or IP address inside an address is the address's
_SHAPES = re.compile(
    "|".join(f"(?P<{name}>{pattern.pattern})" for name, pattern in
             (("email", _EMAIL), ("ipv4", _IPV4), ("ipv6", _IPV6), ("host", _HOST),
              ("bare", _BARE_AFTER_AT)))
)  # fmt: skip
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
            for value in references if references is not None else ():
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
        for name in people["display_name"].dropna():
            if name not in owner_names:
                for written in (name, name.strip(), name.strip().strip("'\"")):
                    literals.setdefault(written, f"Person {self._digest('name', written)[:4]}")
        for address in people["address"].dropna():
            local = address.rpartition("@")[0]
            if local and not owner.owns(address):  # evidence quotes it: user name 'ariel'
                literals[repr(local)] = repr(f"user-{self._digest('user', local)[:6]}")
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

    def _pseudonym(self, kind: str, value: str) -> str:
        return f"{kind}-{self._digest(kind, value)[:8]}"

    def _message_id(self, value: str) -> str:
        return f"id-{self._digest('id', value)[:12]}"

    @staticmethod
    def _owner_names(frames: Frames, owner: Owner) -> set[str]:
        people = frames.participants
        mine = people["address"].map(lambda a: isinstance(a, str) and owner.owns(a))
        return set(people.loc[mine.astype(bool), "display_name"].dropna())

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
            named = [a for a in (addresses if addresses is not None else ()) if isinstance(a, str)]
            sender = senders.get(key)
            sent = isinstance(sender, str) and owner.owns(sender) and not kind.endswith("recipient")
            if sent or any(owner.owns(a) for a in named):
                owners.add(key_id)
        return set(keys["key_id"]) - owners

    def address(self, address: str) -> str:
        """Another person's address as a pseudonym of the same class; the owner's as it is."""
        lowered = address.lower()
        if self.owner.owns(lowered):
            return address
        local, _, domain = lowered.rpartition("@")
        tag = self._digest("address", lowered)[:6]
        if lowered in self.lists or is_list_address(local):
            return f"list-{tag}@lists-{self._digest('domain', domain)[:6]}.example"
        if is_public_provider(domain) or alias_service(lowered):
            return f"p-{tag}@{domain}"
        if registrable_domain(domain) in self.kept_domains:
            return f"p-{tag}@{domain}"
        return f"p-{tag}@{self._organisation(domain)}"

    def _organisation(self, name: str) -> str:
        """``org-….example`` for an organisation's domain, ``h-….org-….example`` for a name
        under it (so that ``engr.sgi.com`` and ``sgi.com`` stay two names of one place), and
        ``host-….example`` for a bare machine name."""
        if "." not in name:
            return f"host-{self._digest('host', name)[:6]}.example"
        domain = registrable_domain(name)
        organisation = f"org-{self._digest('domain', domain)[:6]}.example"
        return (
            organisation if name == domain else f"h-{self._digest('host', name)[:6]}.{organisation}"
        )

    def host(self, host: str) -> str:
        """A server or domain name: public providers and the owner's own domains stay."""
        lowered = host.lower().rstrip(".")
        domain = registrable_domain(lowered)
        if is_public_provider(domain) or domain in self.kept_domains:
            return host
        if alias_service(f"x@{lowered}"):  # simplelogin.co, mozmail.com: a class as well
            return host
        if domain in PROVIDER_INFRASTRUCTURE:
            return host
        return self._organisation(lowered)

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
        redacted = self.text(name)
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
            if _cuts_word(value, start) or _cuts_word(value, end):
                continue
            found.append((start, -length, replacement))
        done = 0
        for start, negative_length, replacement in sorted(found):
            if start >= done:
                done = start - negative_length
                yield start, done, replacement

    def text_shapes(self, value: str) -> str:
        """Only what is shaped like an address, an IP address or a host name, replaced."""
        return _SHAPES.sub(self._shape, value)

    def _shape(self, match: re.Match[str]) -> str:
        found = match.group()
        if match.lastgroup == "email":
            return self.address(found)
        if match.lastgroup == "host":
            return self.host(found)
        if match.lastgroup == "bare":
            return self.server(found)
        return self.ip(found)


def _cuts_word(text: str, index: int) -> bool:
    """Whether ``index`` falls inside a word, or inside a name joined by ``.@-+`` such as
    ``sgi.engr.sgi.com``: a display name "sgi" is not replaced there (the host name is)."""
    if not 0 < index < len(text):
        return False
    before, after = text[index - 1], text[index]
    if _is_word(before) and _is_word(after):
        return True
    if after in _JOINERS and _is_word(before):
        return index + 1 < len(text) and _is_word(text[index + 1])
    if before in _JOINERS and _is_word(after):
        return index >= 2 and _is_word(text[index - 2])
    return False


_JOINERS = ".@-+"


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def is_list_address(local: str) -> bool:
    return local.endswith(("-request", "-owner", "-bounces")) or local.startswith("owner-")


def redact_value(value: Any, redactor: Redactor) -> Any:
    """Any value made of dataclasses, dicts, lists, tuples and strings, redacted throughout.

    Fields and keys named ``subject`` are emptied. Numbers, booleans and None stay.
    """
    if isinstance(value, str):
        return redactor.text(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars, as Arrow columns give them
        return redact_value(value.tolist(), redactor)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: SUBJECT_REMOVED
            if f.name == "subject"
            else redact_value(getattr(value, f.name), redactor)
            for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, dict):
        return {
            redact_value(k, redactor): SUBJECT_REMOVED
            if k == "subject"
            else redact_value(v, redactor)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item, redactor) for item in value)
    return value


_SERVER_COLUMNS = ("from_helo", "from_host", "by_host")


def redact_table(frame: pd.DataFrame, redactor: Redactor) -> pd.DataFrame:
    """One frame with every text, list and struct column redacted and subjects dropped."""
    copy = frame.copy()
    for column in copy.columns:
        if column == "subject":
            copy[column] = None
        elif column == "message_key":
            continue  # a hash of the header bytes: says nothing by itself
        elif column in _SERVER_COLUMNS:
            copy[column] = copy[column].map(redactor.server, na_action="ignore")
        elif copy[column].dtype == object or str(copy[column].dtype) in ("str", "string"):
            copy[column] = copy[column].map(lambda v: redact_value(v, redactor), na_action="ignore")
    return copy


def redact_frames(frames: Frames, redactor: Redactor) -> Frames:
    """The frames with every text column redacted and subjects dropped."""
    return Frames(
        messages=redact_table(frames.messages, redactor),
        participants=redact_table(frames.participants, redactor),
        hops=redact_table(frames.hops, redactor),
        keys=redact_table(frames.keys, redactor),
    )
