"""Which service leaked an address: the first organisation it was given to, and every
unrelated one that wrote to it later.

An address made for one service (an alias, a +tag, a catch-all address) should only ever
hear from that service. The first organisation that wrote to it, or that the owner wrote to
from it, is whom it was given to; a later sender from an organisation the headers do not
tie to that one got the address some other way: a sale, a breach, a partner. Mailing
lists, bounces and the owner's own mail are not senders here. An address the owner uses
with many people (a mailbox, a work address) has no single party it was given to, and is
not judged.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

import pandas as pd

from analyzer.aliases.senders import Sender, organisation_of, original_sender
from analyzer.frames import Frames, value_rows
from analyzer.mailing_lists import is_list_role_address
from analyzer.owner import Owner
from analyzer.readable import is_usable, iso_day, text_items
from analyzer.vocabulary import (
    ALIAS_ENVELOPE_ROLES,
    DELIVERY_ROLES,
    RECEIVING_ROLES,
    RECIPIENT_ROLES,
)

__all__ = ["DEDICATED_KINDS", "Exposure", "Leak", "by_role", "find_leaks", "roles_by_message"]

# kinds of address made for one party
DEDICATED_KINDS = ("alias:", "subaddress", "catch-all", "custom-domain", "disposable")
# headers the receiving side writes: a message that names the owner there reached them
_RECEIVED_ROLES = (*RECEIVING_ROLES, *ALIAS_ENVELOPE_ROLES)
# an address the owner wrote to more parties from than this is in use, not given to one
MAX_OWN_PARTIES = 1
SHOWN_MESSAGES = 5


@dataclass(frozen=True)
class Leak:
    """An organisation unrelated to the one an address was given to, writing to it."""

    organisation: str
    first: str  # ISO date of its first message
    messages: int
    senders: tuple[str, ...]
    via: tuple[str, ...]  # platforms or alias services it came through
    message_ids: tuple[str, ...]  # the first few, as evidence
    # who sent each of them, past the alias service that rewrote From to the alias itself
    message_senders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exposure:
    """One identity: whom it was given to, who else wrote to it."""

    address: str
    kind: str
    dedicated: bool  # made for one party, so that a second one is news
    given_to: str | None
    given_on: str | None
    first_message_id: str | None
    parties: int  # organisations that wrote to it
    leaks: tuple[Leak, ...] = field(default_factory=tuple)
    # for an address made for one party: (UTC time, organisation) of each message it got
    received: tuple[tuple[pd.Timestamp, str], ...] = field(default_factory=tuple, repr=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "address": self.address,
            "kind": self.kind,
            "dedicated": self.dedicated,
            "given_to": self.given_to,
            "given_on": self.given_on,
            "first_message_id": self.first_message_id,
            "parties": self.parties,
            "strength": self.strength,
            "leaks": [dataclasses.asdict(leak) for leak in self.leaks],
        }

    @property
    def timeline(self) -> tuple[tuple[str, str], ...]:
        """(UTC day, organisation) of each message it got that has a usable date."""
        return tuple((iso_day(w), o) for w, o in self.received if iso_day(w))

    @property
    def strength(self) -> str:
        """How strong the leak evidence is, in plain words."""
        if not self.leaks:
            return "none"
        messages = sum(leak.messages for leak in self.leaks)
        if len(self.leaks) > 1:
            return f"{len(self.leaks)} unrelated senders, {messages} messages"
        only = self.leaks[0]
        word = "message" if only.messages == 1 else "messages"
        return f"one unrelated sender, {only.messages} {word}"


def roles_by_message(frames: Frames) -> dict[str, tuple[tuple[str, str], ...]]:
    """message key → its (header role, address) pairs: one pass over the participants.

    One tuple per message, of pooled pairs (a million messages name a few thousand
    addresses); :func:`by_role` groups one message's when it is read.
    """
    people = frames.participants.dropna(subset=["address"])
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    pool: dict[tuple[str, str], tuple[str, str]] = {}
    rows = value_rows(people, ("message_key", "role", "address"))
    for key, in_message in groupby(rows, key=itemgetter(0)):  # a message's rows together
        pairs = tuple(pool.setdefault((r, a), (r, a)) for _, r, a in in_message)
        found[key] = found.get(key, ()) + pairs  # rows of a message met again join it
    return found


def by_role(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """One message's (role, address) pairs as role → addresses."""
    grouped: dict[str, list[str]] = {}
    for role, address in pairs:
        grouped.setdefault(role, []).append(address)
    return grouped


# the columns of the messages frame that find_leaks reads
_READ = ("message_key", "message_id", "date_utc", "from_addr", "from_name", "dkim_domains",
         "list_id", "list_post", "content_type")  # fmt: skip


def find_leaks(frames: Frames, owner: Owner, kinds: dict[str, str]) -> list[Exposure]:
    """Every owner identity with whom it was given to and, where it was made for one party,
    the unrelated organisations that wrote to it, oldest first."""
    roles = roles_by_message(frames)
    received: dict[str, list[tuple[pd.Timestamp, str, Sender]]] = defaultdict(list)
    written_to: dict[str, list[tuple[pd.Timestamp, str]]] = defaultdict(list)
    senders: dict[Sender, Sender] = {}
    for row in _oldest_first(frames.messages, _READ):
        key, sender_address = row.message_key, _text(row.from_addr)
        named = by_role(roles.get(key, ()))
        if (
            isinstance(sender_address, str)
            and owner.owns(sender_address)
            and not (any(owner.owns(a) for r in _RECEIVED_ROLES for a in named.get(r, ())))
        ):
            for role in RECIPIENT_ROLES:
                for other in named.get(role, ()):
                    if not owner.owns(other):
                        written_to[sender_address].append((row.date_utc, organisation_of(other)))
            continue
        if _is_machinery(row, named):
            continue
        sender = original_sender(sender_address, _text(row.from_name), named,
                                 _list(row.dkim_domains), _text(row.message_id))  # fmt: skip
        if sender is None:
            continue
        sender = senders.setdefault(sender, sender)  # a few thousand, for a million messages
        delivered = {a for r in DELIVERY_ROLES for a in named.get(r, ()) if owner.owns(a)}
        for address in delivered:
            received[address].append((row.date_utc, row.message_id, sender))
    return [
        _exposure(address, kinds.get(address, ""), received[address], written_to[address])
        for address in owner.identities
    ]


def _oldest_first(messages: pd.DataFrame, columns: Sequence[str], slice_rows: int = 100_000):
    """The rows of ``columns`` by date (undated last), as named tuples, a slice at a time."""
    order = messages["date_utc"].reset_index(drop=True).sort_values(kind="stable").index
    for start in range(0, len(order), slice_rows):
        part = messages.iloc[order[start : start + slice_rows]][list(columns)]
        yield from part.itertuples(index=False)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


_list = text_items


def _is_machinery(row: object, by_role: dict[str, list[str]]) -> bool:
    """Mailing-list traffic and bounces: nobody was given the address by them."""
    if isinstance(row.list_id, str) or isinstance(row.list_post, str):
        return True
    sender = row.from_addr if isinstance(row.from_addr, str) else ""
    if sender and (
        is_list_role_address(sender) or sender.startswith(("mailer-daemon@", "postmaster@"))
    ):
        return True
    return isinstance(row.content_type, str) and row.content_type.startswith("multipart/report")


def _exposure(
    address: str,
    kind: str,
    received: list[tuple[pd.Timestamp, str, Sender]],
    written_to: list[tuple[pd.Timestamp, str]],
) -> Exposure:
    given_by_owner = {organisation for _, organisation in written_to}
    dedicated = kind.startswith(DEDICATED_KINDS) and len(given_by_owner) <= MAX_OWN_PARTIES
    firsts = [(when, mid, s.organisation) for when, mid, s in received]
    firsts += [(when, None, organisation) for when, organisation in written_to]
    firsts = [f for f in firsts if is_usable(f[0])]
    firsts.sort(key=lambda f: f[0])
    parties = {s.organisation for _, _, s in received}
    if not firsts:
        return Exposure(address, kind, dedicated, None, None, None, len(parties))
    given_on, first_id, given_to = firsts[0]
    known = {given_to} | given_by_owner
    for _, _, sender in received:  # what the headers tie to the first party is that party
        if sender.organisation in known or known & sender.related:
            known |= sender.related | {sender.organisation}
    leaks = _leaks(received, known) if dedicated else []
    timeline = tuple((w, s.organisation) for w, _, s in received if is_usable(w))
    return Exposure(address, kind, dedicated, given_to, iso_day(given_on), first_id,
                    len(parties), tuple(leaks), timeline if dedicated else ())  # fmt: skip


def _leaks(received: list[tuple[pd.Timestamp, str, Sender]], known: set[str]) -> list[Leak]:
    unrelated: dict[str, list[tuple[pd.Timestamp, str, Sender]]] = defaultdict(list)
    for when, message_id, sender in received:
        if sender.organisation in known:
            continue
        unrelated[sender.organisation].append((when, message_id, sender))
    leaks = []
    for organisation, seen in unrelated.items():
        dated = [w for w, _, _ in seen if is_usable(w)]
        shown = [(w, m, s) for w, m, s in seen[:SHOWN_MESSAGES] if isinstance(m, str)]
        leaks.append(
            Leak(
                organisation,
                iso_day(min(dated)) if dated else "",
                len(seen),
                tuple(sorted({s.address for _, _, s in seen if s.address})),
                tuple(sorted({s.via for _, _, s in seen if s.via})),
                tuple(m for _, m, _ in shown),
                tuple(s.address or s.organisation for _, _, s in shown),
            )
        )
    return sorted(leaks, key=lambda leak: (leak.first, leak.organisation))
