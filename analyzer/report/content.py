"""What the report says, as plain data: built once from a store's analysis, rendered twice.

Everything here is a pure function of the frames and the :class:`~analyzer.linkability.Analysis`
(the object made once per run that findings and graphs also read). The HTML and Markdown
renderers and the figures only lay it out; a notebook can read the same :class:`Report`.
"""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from analyzer.addressing import (
    alias_service,
    base_mailbox,
    domain_of,
    is_public_provider,
    registrable_domain,
)
from analyzer.frames import Frames, key_mask, shared_values
from analyzer.linkability import (
    CATALOG,
    CLAIM,
    KNOWN_TOGETHER,
    SAME_PERSON,
    VISIBILITY_ORDER,
    Analysis,
    Link,
    PairVerdict,
)
from analyzer.linkability.context import PARTY_ROLES, is_person_address
from analyzer.linkability.fingerprints import sender_client_ips
from analyzer.mailing_lists import list_addresses
from analyzer.owner import RECEIVING_ROLES, identity_kind
from analyzer.readable import (
    is_usable,
    iso_day,
    iso_minute,
    readable_frames,
    usable_dates,
    usable_offset,
)

if TYPE_CHECKING:
    from analyzer.owner import Owner

__all__ = [
    "ENCRYPTED",
    "OBSERVER_WORDS",
    "AliasRow",
    "EvidenceShown",
    "Finding",
    "Habits",
    "IdentityRow",
    "LeakShown",
    "MessageRef",
    "ObserverView",
    "Recommendation",
    "Report",
    "build_report",
]

ENCRYPTED = ("smime_encrypted", "pgp_encrypted")
# who each observer class is, in words a person reads
OBSERVER_WORDS = {
    "correspondents": "people you wrote to or heard from",
    "providers": "your mail providers and the servers in between",
    "inference": "anyone who holds enough of your mail to compare it",
}
MESSAGES_PER_EVIDENCE = 5  # messages listed under each piece of evidence
EGO_NEIGHBOURS = 40  # correspondents drawn in the communication graph


@dataclass(frozen=True)
class MessageRef:
    """One message as a reader checks it: when, what about, and its Message-ID."""

    message_id: str
    date: str  # YYYY-MM-DD HH:MM (UTC), or "" when the message has no date
    subject: str
    sender: str
    encrypted: bool


@dataclass(frozen=True)
class EvidenceShown:
    """One kind of evidence behind a finding, with the header line and messages that show it."""

    evidence: str
    summary: str
    question: str
    level: str
    observer_class: str
    observers: tuple[str, ...]
    observers_total: int
    header_line: str
    messages: tuple[MessageRef, ...]
    messages_total: int


@dataclass(frozen=True)
class Finding:
    """A pair of addresses and what ties them: one anchor (``F3``) the report links to."""

    id: str
    a: str
    b: str
    relation: str
    score: float
    confidence: str
    seen_by: str | None  # the most visible class that can claim one person, if any
    by_observer: dict[str, float]
    known_together_by: str | None
    evidence: tuple[EvidenceShown, ...]


@dataclass(frozen=True)
class Person:
    """Addresses of an archive that findings tie together into one person."""

    addresses: tuple[str, ...]
    findings: tuple[str, ...]  # the ids of the findings that join them


@dataclass(frozen=True)
class IdentityRow:
    address: str
    kind: str
    messages: int
    sent: int
    people: int  # distinct correspondents who saw it
    organisations: int  # their domains that are no public mail provider
    domains: int  # their registrable domains
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class ObserverView:
    """What one observer sees of the owner: from the messages it handled or received."""

    title: str
    who: str
    messages: int
    addresses: tuple[str, ...]  # the owner's addresses it saw
    client_addresses: tuple[str, ...]  # public IP addresses of the owner's own machines
    clients: tuple[str, ...]  # User-Agent / X-Mailer of mail the owner sent
    time_zones: tuple[str, ...]  # "+0100 (42 messages)"
    first_seen: str
    last_seen: str
    links: int  # pairs of the owner's addresses this class can claim as one person


@dataclass(frozen=True)
class Habits:
    """When the owner writes, in their own local time, and the offsets they wrote from."""

    by_weekday_hour: tuple[tuple[int, ...], ...]  # 7 rows (Mon..Sun) × 24 hours
    offsets: tuple[tuple[str, int], ...]  # (ISO date, offset minutes) per sent message
    sent: int
    dated: int


@dataclass(frozen=True)
class LeakShown:
    """An organisation that wrote to an address given to another one: ``L1``, ``L2``, …"""

    id: str
    organisation: str
    first: str
    messages_total: int
    senders: tuple[str, ...]
    via: tuple[str, ...]
    messages: tuple[MessageRef, ...]


@dataclass(frozen=True)
class AliasRow:
    """One of the owner's addresses: what it is, whom it was given to, who leaked it."""

    address: str
    kind: str
    dedicated: bool
    given_to: str
    given_on: str
    first_message: MessageRef | None
    parties: int
    strength: str
    leaks: tuple[LeakShown, ...]
    # (UTC date, organisation, whether it is a leak) of each message it got
    timeline: tuple[tuple[str, str, bool], ...] = ()


@dataclass(frozen=True)
class Recommendation:
    title: str
    why: str
    removes: tuple[str, ...]  # finding ids


@dataclass(frozen=True)
class Report:
    """Everything the report shows, in reading order."""

    has_owner: bool
    owner: tuple[str, ...]
    owner_how: str
    sources: tuple[str, ...]
    messages: int
    quarantined: int
    first_date: str
    last_date: str
    verdict: tuple[str, ...]
    identities: tuple[IdentityRow, ...]
    findings: tuple[Finding, ...]
    suggestions: tuple[Finding, ...]
    views: tuple[ObserverView, ...]
    habits: Habits
    encryption: dict[str, int]
    encryption_hid: tuple[str, ...]  # one sentence per section: how much encryption hid
    recommendations: tuple[Recommendation, ...]
    ego_edges: tuple[tuple[str, str, int], ...]  # (you or correspondent, correspondent, messages)
    communities: tuple[tuple[str, ...], ...]
    clusters: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    redaction: str = ""  # what was replaced, when the report is made to be shared
    people: tuple[Person, ...] = ()  # an archive's people with more than one address
    aliases: tuple[AliasRow, ...] = ()
    what_if: dict[str, Any] = field(default_factory=dict)  # findings.json's counterfactual


# -- helpers over the frames ----------------------------------------------------------------
_when, _day = iso_minute, iso_day  # "" for a message without a usable date


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class _Messages:
    """The messages behind the ids links show, looked up when a section asks (a report
    shows a few thousand of a million)."""

    def __init__(self, frames: Frames) -> None:
        messages = frames.messages
        ids = messages["message_id"]
        shown = ids.where(ids.notna() & (ids != ""), messages["message_key"])
        rows = pd.Series(np.arange(len(messages)), index=pd.Index(shown, dtype=object))
        self._row_of_shown = rows[~rows.index.duplicated(keep="first")]
        self._frame = messages

    def refs(self, shown_ids: Iterable[str]) -> list[MessageRef]:
        """The messages behind Message-IDs a link shows, oldest first."""
        wanted = [i for i in shown_ids if i in self._row_of_shown.index]
        found = []
        for shown, row in zip(wanted, self._row_of_shown[wanted].tolist(), strict=True):
            message = self._frame.iloc[row]
            found.append(
                MessageRef(
                    shown, _when(message["date_utc"]), _text(message["subject"]),
                    _text(message["from_addr"]), message["encryption"] in ENCRYPTED,
                )
            )  # fmt: skip
        return sorted(found, key=lambda ref: (ref.date or "9999", ref.message_id))


# -- findings -------------------------------------------------------------------------------
_SUMMARY = {rule.evidence: rule.summary for rule in CATALOG}


def _evidence_shown(links: Sequence[Link], messages: _Messages) -> tuple[EvidenceShown, ...]:
    order = {rule.evidence: n for n, rule in enumerate(CATALOG)}
    shown = []
    for link in sorted(links, key=lambda lk: (lk.question != SAME_PERSON, order[lk.evidence])):
        refs = messages.refs(link.messages)
        shown.append(
            EvidenceShown(
                link.evidence,
                _SUMMARY[link.evidence],
                link.question,
                link.level,
                link.observer_class,
                link.observers,
                link.observers_total,
                link.detail,
                tuple(refs[:MESSAGES_PER_EVIDENCE]),
                link.messages_total,
            )
        )
    return tuple(shown)


def _finding(
    number: int, pair: PairVerdict, analysis: Analysis, messages: _Messages, prefix: str = "F"
) -> Finding:
    same = pair.same_person
    return Finding(
        f"{prefix}{number}",
        pair.a,
        pair.b,
        pair.relation,
        same.score,
        same.confidence,
        same.observer_class,
        same.by_observer,
        pair.known_together.observer_class if pair.known_together else None,
        _evidence_shown(analysis.links_of(pair.a, pair.b), messages),
    )


def _findings(analysis: Analysis, messages: _Messages) -> tuple[list[Finding], list[Finding]]:
    """The owner's pairs that anything ties (both questions), then the suggestions."""
    owner_pairs = [
        p
        for p in analysis.pairs_of("owner")
        if p.same_person.evidence or (p.known_together and p.known_together.evidence)
    ]
    if not analysis.owner.identities:
        owner_pairs = list(analysis.pairs_of("others"))
    findings = [_finding(n, p, analysis, messages) for n, p in enumerate(owner_pairs, 1)]
    suggested = [
        _finding(n, p, analysis, messages, prefix="S")
        for n, p in enumerate(analysis.pairs_of("suggestion"), 1)
    ]
    return findings, suggested


def _people(findings: Sequence[Finding]) -> list[Person]:
    """The groups the findings join, largest first: a reader of a list archive asks "who",
    not "which pair"."""
    graph = nx.Graph()
    for finding in findings:
        graph.add_edge(finding.a, finding.b, id=finding.id)
    people = []
    for addresses in nx.connected_components(graph):
        ids = [data["id"] for _, _, data in graph.subgraph(addresses).edges(data=True)]
        ordered = sorted(ids, key=lambda i: int(i[1:]))
        people.append(Person(tuple(sorted(addresses)), tuple(ordered)))
    return sorted(people, key=lambda p: (-len(p.addresses), p.addresses))


# -- the verdict ----------------------------------------------------------------------------
def _groups(analysis: Analysis, question: str, observer_class: str) -> list[tuple[str, ...]]:
    return sorted(
        (
            c.identities
            for c in analysis.clusters
            if c.question == question and c.observer_class == observer_class
        ),
        key=len,
        reverse=True,
    )


def _tied(groups: list[tuple[str, ...]]) -> str:
    joined = sum(len(g) for g in groups)
    if len(groups) == 1:
        return f"{joined}"
    sizes = " and ".join(str(len(g)) for g in groups)
    return f"{joined} (in {len(groups)} groups of {sizes})"


def _people_sentence(people: Sequence[Person]) -> list[str]:
    if not people:
        return []
    addresses = sum(len(p.addresses) for p in people)
    largest = len(people[0].addresses)
    return [
        f"Together they make {len(people)} {'person' if len(people) == 1 else 'people'} "
        f"with {addresses} addresses between them; the one with most has {largest}."
    ]


def _verdict(analysis: Analysis, seen: int, encryption: dict[str, int], findings) -> list[str]:
    if not analysis.owner.identities:
        others = len(analysis.pairs_of("others"))
        return [
            "Nothing in the headers says whose mailbox this is: it reads as an archive of "
            "many people's mail, such as a mailing list.",
            f"{others} pairs of addresses in it look like one person each, by what the "
            "headers alone show."
            if others
            else "No two addresses in it look like one person.",
            *_people_sentence(_people(findings)),
        ]
    sentences = []
    previous = 0
    for observer_class in VISIBILITY_ORDER:
        groups = _groups(analysis, SAME_PERSON, observer_class)
        joined = sum(len(g) for g in groups)
        if joined and joined > previous:
            everyone = joined == seen and len(groups) == 1
            amount = "all" if everyone else _tied(groups)
            sentences.append(
                f"{OBSERVER_WORDS[observer_class].capitalize()} can tie {amount} of your "
                f"{seen} addresses together as one person."
            )
        previous = max(previous, joined)
    if not sentences:
        sentences.append(
            f"Nothing in the headers ties your {seen} addresses together as one person."
        )
    holders = _groups(analysis, KNOWN_TOGETHER, "correspondents")
    if holders:
        sentences.append(
            f"Some of your correspondents hold {max(len(g) for g in holders)} of your addresses "
            "at once, from messages that carry both."
        )
    total = sum(encryption.values())
    encrypted = sum(encryption.get(c, 0) for c in ENCRYPTED)
    if total:
        behind = sum(
            1 for f in findings for e in f.evidence if any(m.encrypted for m in e.messages)
        )
        if encrypted:
            share = f"{encrypted} of your {total} messages ({encrypted / total:.0%}) were encrypted"
            shown = (
                f" ({behind} pieces of evidence are shown by encrypted messages)" if behind else ""
            )
            sentences.append(
                f"Encryption hid none of this: {share}, and every link here comes from headers "
                f"that encryption leaves readable{shown}."
            )
        else:
            sentences.append(
                f"None of your {total} messages was encrypted, and encrypting them would have "
                "hidden none of this: every link here comes from headers, which encryption "
                "leaves readable."
            )
    return sentences


# -- per identity ---------------------------------------------------------------------------
def _identity_rows(frames: Frames, analysis: Analysis, lists: frozenset[str]) -> list[IdentityRow]:
    owner = analysis.owner
    people = frames.participants
    parties = people[people["role"].isin(PARTY_ROLES)][["message_key", "address"]]
    parties = parties.drop_duplicates()
    mine = people[people["address"].isin(owner.identities)][["message_key", "address", "role"]]
    dates = frames.messages[["message_key", "date_utc"]]
    rows = []
    for address in owner.identities:
        own = mine[mine["address"] == address]
        keys = set(own["message_key"].dropna())
        if not keys:
            continue
        met = parties[key_mask(parties["message_key"], keys)]
        others = {
            a
            for a in met["address"]
            if not owner.owns(a) and a not in lists and is_person_address(a)
        }
        domains = {registrable_domain(domain_of(a)) for a in others}
        seen = usable_dates(dates.loc[key_mask(dates["message_key"], keys), "date_utc"]).dropna()
        rows.append(
            IdentityRow(
                address,
                analysis.kinds.get(address) or identity_kind(address, owner),
                len(keys),
                int((own["role"] == "from").sum()),
                len(others),
                sum(1 for d in domains if not is_public_provider(d)),
                len(domains),
                _day(seen.min()) if len(seen) else "",
                _day(seen.max()) if len(seen) else "",
            )
        )
    rows.sort(key=lambda r: (-r.messages, r.address))
    return rows


# -- observer views -------------------------------------------------------------------------
def _is_public_ip(text: object) -> bool:
    try:
        return isinstance(text, str) and ipaddress.ip_address(text).is_global
    except ValueError:
        return False


def _received_keys(frames: Frames, analysis: Analysis) -> set[str]:
    """Messages a receiving header (Delivered-To and the like) says reached the owner."""
    people = frames.participants
    receiving = people[people["role"].isin(RECEIVING_ROLES)]
    owned = receiving["address"].map(analysis.owner.owns).astype(bool)
    return set(receiving.loc[owned, "message_key"])


def _sent_keys(frames: Frames, analysis: Analysis) -> set[str]:
    """Messages the owner wrote: From is theirs, and it is no alias service's rewritten
    From on mail the service forwarded to them."""
    owner = analysis.owner
    received = _received_keys(frames, analysis)
    messages = frames.messages
    sent = set()
    for key, sender in zip(messages["message_key"], messages["from_addr"], strict=True):
        forwarded = isinstance(sender, str) and alias_service(sender) and key in received
        if isinstance(sender, str) and owner.owns(sender) and not forwarded:
            sent.add(key)
    return sent


_VIEW_COLUMNS = ["message_key", "date_utc", "user_agent", "x_mailer", "tz_offset_min"]


def _view(
    title: str,
    who: str,
    keys: set[str],
    frames: Frames,
    analysis: Analysis,
    sent: set[str],
    roles: Sequence[str] | None,
    observer_class: str,
    machines: dict[str, tuple[str, str | None, str | None]],
) -> ObserverView:
    """What an observer holding the messages ``keys`` learns about the owner."""
    owner = analysis.owner
    people = frames.participants
    named = key_mask(people["message_key"], keys) & people["address"].map(owner.owns).astype(bool)
    if roles is not None:
        named &= people["role"].isin(roles)
    mine = people.loc[named, ["address"]]
    # only the columns read: a provider's view holds most of a million messages
    messages = frames.messages[_VIEW_COLUMNS]
    messages = messages[key_mask(messages["message_key"], keys)]
    own_sent = messages[key_mask(messages["message_key"], sent)]
    addresses = Counter(machines[k][0] for k in own_sent["message_key"] if k in machines)
    clients = Counter(
        _text(agent) or _text(mailer)
        for agent, mailer in zip(own_sent["user_agent"], own_sent["x_mailer"], strict=True)
        if _text(agent) or _text(mailer)
    )
    zones = Counter(
        z for z in map(usable_offset, own_sent["tz_offset_min"].dropna()) if z is not None
    )
    dates = usable_dates(messages["date_utc"]).dropna()
    links = sum(
        1 for p in analysis.pairs_of("owner") if p.same_person.by_observer[observer_class] >= CLAIM
    )
    return ObserverView(
        title,
        who,
        len(messages),
        tuple(sorted(set(mine["address"]))),
        tuple(a for a, _ in addresses.most_common()),
        tuple(c for c, _ in clients.most_common()),
        tuple(f"{_offset(z)} ({n} messages)" for z, n in zones.most_common()),
        _day(dates.min()) if len(dates) else "",
        _day(dates.max()) if len(dates) else "",
        links,
    )


def _offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02}{abs(minutes) % 60:02}"


def _views(frames: Frames, analysis: Analysis, lists: frozenset[str]) -> list[ObserverView]:
    """One correspondent, the owner's provider, a relay and a list server, where present."""
    owner = analysis.owner
    people = frames.participants
    mine_keys = set(people.loc[people["address"].map(owner.owns).astype(bool), "message_key"])
    if not mine_keys:
        return []
    sent = _sent_keys(frames, analysis)
    machines = _sender_machines(frames, sent)

    def view(
        title: str,
        who: str,
        keys: set[str],
        roles: Sequence[str] | None = None,
        observer_class: str = "providers",
    ) -> ObserverView:
        return _view(title, who, keys, frames, analysis, sent, roles, observer_class, machines)

    views = []
    shown_roles = ("from", "to", "cc", "reply-to", "sender")

    # the correspondent who holds the most of the owner's addresses
    person = _best_holder(people, mine_keys, owner, lists)
    if person is not None:
        keys = set(people.loc[_rows_of(people, person, mine_keys), "message_key"])
        views.append(view("One correspondent", person, keys, shown_roles, "correspondents"))

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

    def handled(domain: str) -> set[str]:
        return set(hops.loc[hops["domain"] == domain, "message_key"])

    topmost = hops.loc[hops.groupby("message_key")["hop"].idxmax(), ["message_key", "domain"]]
    received = _received_keys(frames, analysis) - sent
    delivered = topmost[key_mask(topmost["message_key"], received)]
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
        views.append(view("Your mail provider", provider, handled(provider) | from_mailbox))
    own_domains = {registrable_domain(domain_of(a)) for a in owner.identities}
    relay = next((d for d in ranked if d not in delivering and d not in own_domains), None)
    if relay:
        views.append(view("A relay on the way", relay, handled(relay)))

    messages = frames.messages[key_mask(frames.messages["message_key"], mine_keys)]
    list_ids = messages["list_id"].dropna()
    if len(list_ids):
        top = list_ids.value_counts().index[0]
        keys = set(messages.loc[messages["list_id"] == top, "message_key"])
        views.append(view("A mailing list server", top, keys))
    return views


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


# -- habits and the communication graph -----------------------------------------------------
def _habits(frames: Frames, sent: set[str]) -> Habits:
    messages = frames.messages[key_mask(frames.messages["message_key"], sent)]
    grid = [[0] * 24 for _ in range(7)]
    offsets = []
    dated = 0
    for date, offset in zip(messages["date_utc"], messages["tz_offset_min"], strict=True):
        minutes = usable_offset(offset)
        if not is_usable(date) or minutes is None:
            continue
        local = date + pd.Timedelta(minutes=minutes)
        grid[local.weekday()][local.hour] += 1
        offsets.append((_day(date), minutes))
        dated += 1
    offsets.sort()
    return Habits(tuple(tuple(row) for row in grid), tuple(offsets), len(messages), dated)


def _ego(frames: Frames, analysis: Analysis, lists: frozenset[str]):
    """The owner (all identities as one node, "you") and the people mail went between."""

    owner = analysis.owner
    people = frames.participants
    parties = people[people["role"].isin(PARTY_ROLES)][["message_key", "address"]].dropna()
    parties = parties.sort_values("message_key", kind="stable")  # each message's rows together
    keys, addresses = shared_values(parties["message_key"]), shared_values(parties["address"])
    node = {}  # address → its node ("you" for the owner's), None for no person
    for address in parties["address"].unique():
        if owner.owns(address):
            node[address] = "you"
        elif address not in lists and is_person_address(address):
            node[address] = address
        else:
            node[address] = None
    weights: Counter[tuple[str, str]] = Counter()
    for _, in_message in groupby(zip(keys, addresses, strict=True), key=itemgetter(0)):
        present = {address for _, address in in_message}
        if len(present) > 100:
            continue  # a broadcast is no relationship
        named = sorted({node[a] for a in present} - {None})
        for i, a in enumerate(named):
            for b in named[i + 1 :]:
                weights[(a, b)] += 1
    if owner.identities:
        near = Counter(
            {(b if a == "you" else a): n for (a, b), n in weights.items() if "you" in (a, b)}
        )
    else:
        near = Counter()
        for (a, b), n in weights.items():
            near[a] += n
            near[b] += n
    kept = {a for a, _ in sorted(near.items(), key=lambda kv: (-kv[1], kv[0]))[:EGO_NEIGHBOURS]}
    kept |= {"you"} if owner.identities else set()
    edges = [(a, b, n) for (a, b), n in sorted(weights.items()) if a in kept and b in kept]
    graph = nx.Graph()
    graph.add_weighted_edges_from(edges)
    others = graph.subgraph([n for n in graph if n != "you"])
    communities = (
        nx.community.louvain_communities(others, weight="weight", seed=1) if len(others) else []
    )
    ordered = sorted((tuple(sorted(c)) for c in communities), key=lambda c: (-len(c), c))
    return edges, ordered


# -- encryption and recommendations ---------------------------------------------------------
def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _encryption_hid(
    findings: Sequence[Finding],
    views: Sequence[ObserverView],
    habits: Habits,
    encryption: dict[str, int],
) -> list[str]:
    total = sum(encryption.values())
    encrypted = sum(encryption.get(c, 0) for c in ENCRYPTED)
    if not total:
        return []
    pieces = [e for f in findings for e in f.evidence]
    behind = [e for e in pieces if any(m.encrypted for m in e.messages)]
    whose = "your addresses" if views else "addresses"
    lines = [
        f"{encrypted} of {total} messages ({encrypted / total:.0%}) were encrypted "
        "(S/MIME or OpenPGP): their bodies are hidden, their headers are not."
        if encrypted
        else f"None of the {total} messages was encrypted (S/MIME or OpenPGP); had they been, "
        "their bodies would be hidden, their headers would not.",
        f"Links between {whose}: {_count(len(pieces), 'piece')} of evidence, "
        f"{len(behind)} of them shown by encrypted messages too. Encryption hid none.",
    ]
    if views:
        lines.append(
            "What observers see: addresses, client IP addresses, mail clients and time zones "
            "all come from headers. Encryption hid none."
        )
    if habits.dated:
        lines.append(
            f"Your habits: {habits.dated} dated messages you sent, encrypted or not, give "
            "your hours and time zones. Encryption hid none."
        )
    return lines


_ONE_KEY = (
    "One key per identity",
    "One OpenPGP key under two addresses (as a recipient, a signer or in an Autocrypt "
    "header) is one person to anyone who sees it.",
)
# evidence → the change that removes it (title, why)
_ADVICE: dict[str, tuple[str, str]] = {
    "subaddress": (
        "An alias per service, not a +tag",
        "A +tag or another spelling delivers to the same mailbox, and anyone can "
        "strip it. A separate alias per service shows nothing of the mailbox.",
    ),
    "co-recipient": (
        "Never address one message to two of your identities",
        "Everyone who receives it holds both addresses at once.",
    ),
    "thread": (
        "Answer from the address that was written to",
        "Replying from another identity shows whoever wrote that both are yours.",
    ),
    "reply-to": (
        "No Reply-To or Sender naming another of your addresses",
        "The header names both addresses in one message.",
    ),
    "sender": (
        "No Reply-To or Sender naming another of your addresses",
        "The header names both addresses in one message.",
    ),
    "forwarding": (
        "A separate mailbox for identities that must stay apart",
        "Forwarding writes the mailbox an alias delivers to into the headers your "
        "providers and relays read (Delivered-To).",
    ),
    "client-ip": (
        "A client or provider that hides your IP address",
        "Your machine's address in the first Received hop or X-Originating-IP is "
        "the same under several identities. Webmail, a VPN or a provider that "
        "strips it removes it.",
    ),
    "message-id-host": (
        "A Message-ID without a host name",
        "Your client writes your machine's name after the @ of every "
        "Message-ID. Most clients can be set to use the mail domain instead.",
    ),
    "timing": (
        "UTC dates",
        "Your Date header gives your time zone and, over many messages, your hours. "
        "A client set to UTC gives neither.",
    ),
    "client-fingerprint": (
        "A common mail client, or one that sends no User-Agent",
        "A rare client build in your time zone marks your messages under every identity.",
    ),
    "display-name": (
        "No name on an alias",
        "The same name on two addresses ties them. An alias with no name, or "
        "another one, does not.",
    ),
    "local-part": (
        "A different user name per identity",
        "The same name before the @ at two domains ties them.",
    ),
    "pgp-key": _ONE_KEY,
    "autocrypt": _ONE_KEY,
    "smime-certificate": (
        "One certificate per identity",
        "A certificate names its addresses; one certificate under two addresses is one person.",
    ),
    "social-overlap": (
        "Keep each identity's correspondents apart",
        "The same rare correspondents on two addresses suggest one person.",
    ),
}


def _recommendations(findings: Sequence[Finding]) -> list[Recommendation]:
    removes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for finding in findings:
        for piece in finding.evidence:
            advice = _ADVICE.get(piece.evidence)
            if advice and finding.id not in removes[advice]:
                removes[advice].append(finding.id)
    ranked = sorted(removes.items(), key=lambda kv: (-len(kv[1]), kv[0][0]))
    return [Recommendation(title, why, tuple(ids)) for (title, why), ids in ranked]


# -- the report -----------------------------------------------------------------------------
def build_report(frames: Frames, analysis: Analysis, findings_document: dict[str, Any]) -> Report:
    """Every section of the report, from one run's frames, analysis and findings."""
    frames = readable_frames(frames)
    messages = _Messages(frames)
    lists = list_addresses(frames)
    found, suggested = _findings(analysis, messages)
    identity_rows = _identity_rows(frames, analysis, lists)
    # the owner's addresses the mail shows, and those it implies (the mailbox of a +tag)
    seen = {row.address for row in identity_rows}
    seen |= {a for f in found if f.relation == "owner" for a in (f.a, f.b)}
    encryption = {k: int(v) for k, v in findings_document.get("encryption", {}).items()}
    sent = _sent_keys(frames, analysis)
    habits = _habits(frames, sent)
    views = _views(frames, analysis, lists)
    edges, communities = _ego(frames, analysis, lists)
    dates = usable_dates(frames.messages["date_utc"]).dropna()
    document_input = findings_document.get("input", {})
    return Report(
        has_owner=bool(analysis.owner.identities),
        owner=tuple(row.address for row in identity_rows) or analysis.owner.identities,
        owner_how=analysis.owner.how,
        sources=tuple(document_input.get("sources", ())),
        messages=len(frames.messages),
        quarantined=int(document_input.get("messages_quarantined", 0)),
        first_date=_day(dates.min()) if len(dates) else "",
        last_date=_day(dates.max()) if len(dates) else "",
        verdict=tuple(_verdict(analysis, len(seen), encryption, found)),
        identities=tuple(identity_rows),
        findings=tuple(found),
        suggestions=tuple(suggested),
        views=tuple(views),
        habits=habits,
        encryption=encryption,
        encryption_hid=tuple(_encryption_hid(found, views, habits, encryption)),
        # advice is for the owner: an archive's readers cannot act on other people's mail
        recommendations=tuple(_recommendations(found)) if analysis.owner.identities else (),
        ego_edges=tuple(edges),
        communities=tuple(communities),
        clusters=tuple(c.as_dict() for c in analysis.clusters),
        people=() if analysis.owner.identities else tuple(_people(found)),
        aliases=tuple(_alias_rows(analysis, messages)),
        what_if=dict(findings_document.get("counterfactual") or {}),
    )


# -- aliases --------------------------------------------------------------------------------
def _alias_rows(analysis: Analysis, messages: _Messages) -> list[AliasRow]:
    rows, number = [], 0
    for exposure in analysis.exposures:
        leaks = []
        for leak in exposure.leaks:
            number += 1
            leaks.append(
                LeakShown(f"L{number}", leak.organisation, leak.first, leak.messages,
                          leak.senders, leak.via, tuple(messages.refs(leak.message_ids)))
            )  # fmt: skip
        leaking = {leak.organisation for leak in exposure.leaks}
        first = messages.refs([exposure.first_message_id] if exposure.first_message_id else [])
        rows.append(
            AliasRow(
                exposure.address,
                exposure.kind,
                exposure.dedicated,
                exposure.given_to or "",
                exposure.given_on or "",
                first[0] if first else None,
                exposure.parties,
                exposure.strength,
                tuple(leaks),
                tuple((_day(w), o, o in leaking) for w, o in exposure.received if _day(w)),
            )
        )
    return rows
