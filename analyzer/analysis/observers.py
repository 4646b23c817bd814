"""What each observer sees of the owner: one correspondent, the owner's mail provider, a
relay on the way and a mailing list server, each from the messages it handled."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from analyzer.addressing import base_mailbox, domain_of, registrable_domain
from analyzer.frames import Frames, key_mask
from analyzer.linkability import CLAIM, PairVerdict
from analyzer.linkability.context import is_person_address
from analyzer.linkability.fingerprints import sender_client_ips
from analyzer.owner import Owner
from analyzer.readable import iso_day, text_or_empty, usable_dates, usable_offset
from analyzer.vocabulary import OWN_WORDS, PARTY_ROLES, ObserverClass, Relation

__all__ = ["ObserverView", "observer_views", "offset_text"]


@dataclass(frozen=True)
class ObserverView:
    """What one observer sees of the owner: from the messages it handled or received."""

    title: str = field(metadata=OWN_WORDS)  # "Your mail provider"
    who: str
    messages: int
    addresses: tuple[str, ...]  # the owner's addresses it saw
    client_addresses: tuple[str, ...]  # public IP addresses of the owner's own machines
    clients: tuple[str, ...]  # User-Agent / X-Mailer of mail the owner sent
    time_zones: tuple[str, ...]  # "+0100 (42 messages)"
    first_seen: str
    last_seen: str
    links: int  # pairs of the owner's addresses this class can claim as one person
    observer_class: str = ObserverClass.PROVIDERS


def offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02}{abs(minutes) % 60:02}"


_VIEW_COLUMNS = ["message_key", "date_utc", "user_agent", "x_mailer", "tz_offset_min"]
_SHOWN_ROLES = ("from", "to", "cc", "reply-to", "sender")


@dataclass(frozen=True)
class _Seen:
    """What every view reads: the frames, the owner, their sent mail and machines."""

    frames: Frames
    owner: Owner
    sent: set[str]
    machines: dict[str, tuple]
    owner_pairs: Sequence[PairVerdict]

    def view(
        self,
        title: str,
        who: str,
        keys: set[str],
        roles: Sequence[str] | None = None,
        observer_class: str = ObserverClass.PROVIDERS,
    ) -> ObserverView:
        """What an observer holding the messages ``keys`` learns about the owner."""
        people = self.frames.participants
        named = key_mask(people["message_key"], keys)
        named &= people["address"].map(self.owner.owns).astype(bool)
        if roles is not None:
            named &= people["role"].isin(roles)
        mine = people.loc[named, ["address"]]
        # only the columns read: a provider's view holds most of a million messages
        messages = self.frames.messages[_VIEW_COLUMNS]
        messages = messages[key_mask(messages["message_key"], keys)]
        own_sent = messages[key_mask(messages["message_key"], self.sent)]
        addresses = Counter(
            self.machines[k][0] for k in own_sent["message_key"] if k in self.machines
        )
        clients = Counter(
            text_or_empty(agent) or text_or_empty(mailer)
            for agent, mailer in zip(own_sent["user_agent"], own_sent["x_mailer"], strict=True)
            if text_or_empty(agent) or text_or_empty(mailer)
        )
        zones = Counter(
            z for z in map(usable_offset, own_sent["tz_offset_min"].dropna()) if z is not None
        )
        dates = usable_dates(messages["date_utc"]).dropna()
        links = sum(
            1 for p in self.owner_pairs if p.same_person.by_observer[observer_class] >= CLAIM
        )
        return ObserverView(
            title,
            who,
            len(messages),
            tuple(sorted(set(mine["address"]))),
            tuple(a for a, _ in addresses.most_common()),
            tuple(c for c, _ in clients.most_common()),
            tuple(f"{offset_text(z)} ({n} messages)" for z, n in zones.most_common()),
            iso_day(dates.min()) if len(dates) else "",
            iso_day(dates.max()) if len(dates) else "",
            links,
            str(observer_class),
        )


def observer_views(
    frames: Frames,
    owner: Owner,
    pairs: Sequence[PairVerdict],
    sent: set[str],
    received: set[str],
    lists: frozenset[str],
) -> tuple[ObserverView, ...]:
    """One correspondent, the owner's provider, a relay and a list server, where present."""
    people = frames.participants
    mine_keys = set(people.loc[people["address"].map(owner.owns).astype(bool), "message_key"])
    if not mine_keys:
        return ()
    owner_pairs = [p for p in pairs if p.relation == Relation.OWNER]
    seen = _Seen(frames, owner, sent, _sender_machines(frames, sent), owner_pairs)
    views = []

    # the correspondent who holds the most of the owner's addresses
    person = _best_holder(people, mine_keys, owner, lists)
    if person is not None:
        keys = set(people.loc[_rows_of(people, person, mine_keys), "message_key"])
        views.append(
            seen.view("One correspondent", person, keys, _SHOWN_ROLES,
                      ObserverClass.CORRESPONDENTS)
        )  # fmt: skip

    # the servers, by the registrable domain of each Received "by" host; the owner's
    # provider wrote the topmost Received header of the mail that reached them
    hops = frames.hops[["message_key", "hop", "by_host"]]
    hops = hops[key_mask(hops["message_key"], mine_keys)]
    domains = {
        host: registrable_domain(host)
        for host in hops["by_host"].dropna().unique()
        if "." in host and not _is_ip_literal(host)
    }
    hops = hops.assign(domain=hops["by_host"].map(domains)).dropna(subset=["domain"])
    handled = _handled_by(hops)
    topmost = hops.loc[hops.groupby("message_key")["hop"].idxmax(), ["message_key", "domain"]]
    delivered = topmost[key_mask(topmost["message_key"], received - sent)]
    delivering = Counter(delivered["domain"])
    ranked = hops.groupby("domain")["message_key"].nunique().reset_index()
    ranked = ranked.sort_values(["message_key", "domain"], ascending=[False, True])["domain"]
    provider = min(delivering, key=lambda d: (-delivering[d], d)) if delivering else None
    if provider:
        # it also carries what the owner sends from the mailboxes it delivers to
        delivered_here = set(delivered.loc[delivered["domain"] == provider, "message_key"])
        people_here = people[key_mask(people["message_key"], delivered_here)]
        mailboxes = {
            base_mailbox(a)
            for a in people_here.loc[people_here["role"] == "delivered-to", "address"]
            if owner.owns(a)
        }
        from_mailbox = {
            key
            for key, sender in zip(
                frames.messages["message_key"], frames.messages["from_addr"], strict=True
            )
            if key in sent and isinstance(sender, str) and base_mailbox(sender) in mailboxes
        }
        views.append(seen.view("Your mail provider", provider, handled(provider) | from_mailbox))
    own_domains = {registrable_domain(domain_of(a)) for a in owner.identities}
    relay = next((d for d in ranked if d not in delivering and d not in own_domains), None)
    if relay:
        views.append(seen.view("A relay on the way", relay, handled(relay)))

    messages = frames.messages[key_mask(frames.messages["message_key"], mine_keys)]
    list_ids = messages["list_id"].dropna()
    if len(list_ids):
        top = list_ids.value_counts().index[0]
        keys = set(messages.loc[messages["list_id"] == top, "message_key"])
        views.append(seen.view("A mailing list server", top, keys))
    return tuple(views)


def _handled_by(hops: pd.DataFrame) -> Callable[[str], set[str]]:
    def handled(domain: str) -> set[str]:
        return set(hops.loc[hops["domain"] == domain, "message_key"])

    return handled


def _sender_machines(frames: Frames, sent: set[str]) -> dict[str, tuple]:
    """:func:`sender_client_ips` of the owner's own messages only."""
    messages, hops = frames.messages, frames.hops
    return sender_client_ips(
        Frames(
            messages=messages.loc[key_mask(messages["message_key"], sent), ["message_key",
                                                                       "x_originating_ip"]],
            participants=frames.participants.iloc[:0],
            hops=hops[(hops["hop"] == 0) & key_mask(hops["message_key"], sent)],
            keys=frames.keys.iloc[:0],
        )
    )  # fmt: skip


def _rows_of(people: pd.DataFrame, address: str, keys: set[str]) -> pd.Series:
    """The rows that name ``address`` in From, To or Cc of one of ``keys``."""
    return (
        (people["address"] == address)
        & people["role"].isin(PARTY_ROLES)
        & key_mask(people["message_key"], keys)
    )


def _best_holder(
    people: pd.DataFrame, mine_keys: set[str], owner: Owner, lists: frozenset[str]
) -> str | None:
    """The correspondent (From, To or Cc) who saw the most of the owner's addresses on the
    same messages, then on the most messages; by joins, not a set per message."""
    parties = people[key_mask(people["message_key"], mine_keys) & people["role"].isin(PARTY_ROLES)]
    parties = parties[["message_key", "address"]].dropna().drop_duplicates()
    owned = parties["address"].map(owner.owns).astype(bool)
    person = parties["address"].map(lambda a: a not in lists and is_person_address(a)).astype(bool)
    others = parties[~owned & person]
    if others.empty:
        return None
    held = others.merge(parties[owned], on="message_key", suffixes=("", "_owned"))
    pairs = held[["address", "address_owned"]].drop_duplicates()
    holders = {a: n for a, n in pairs["address"].value_counts().items() if n > 0}
    messages = others["address"].value_counts().to_dict()
    return min(holders, key=lambda a: (-holders[a], -messages[a], a)) if holders else None


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False
