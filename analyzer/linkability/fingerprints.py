"""Probabilistic evidence: a fingerprint that two addresses share.

None of these proves one person; each narrows it down, and the model
(:mod:`.model`) says how much, from labelled real pairs. A fingerprint seen on two
messages is visible to a correspondent only when that correspondent saw both;
otherwise it takes someone who sees many messages (a provider, a breach): ``cross``
visibility, resolved by the aggregator.

The blocking rules compare only addresses that share a value (a name word, a local
part, a client build), so they scale with the archive; ``social_overlap`` and
``timing`` compare whole histories and run only on candidate pairs.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from itertools import combinations
from typing import Any

from analyzer.addressing import domain_of, is_public_provider, sibling_domains
from analyzer.linkability.context import (
    GENERIC_LOCAL_PARTS,
    Context,
    Evidence,
    Messages,
    group_pairs,
)
from analyzer.linkability.context_indexes import sender_client_ips
from analyzer.linkability.names import NameMatch, PersonName, compare_names, is_given_name
from analyzer.vocabulary import PARTY_ROLES

__all__ = [
    "MIN_TIMING_MESSAGES",
    "client_fingerprint",
    "client_ip",
    "display_name",
    "local_part",
    "message_id_host",
    "sender_client_ips",
    "sender_count",
    "shared_value_bits",
    "social_overlap",
    "timing",
]

# a value shared by more addresses than this is a commodity (a webmail build, a
# first name, a NAT), compared no further
_MAX_GROUP = 60
MIN_TIMING_MESSAGES = 10
_MACHINE_SUFFIXES = (
    ".local",
    ".lan",
    ".home",
    ".localdomain",
    ".internal",
    ".fritz.box",
    ".home.arpa",
)
_NOT_MACHINES = frozenset({"localhost", "localhost.localdomain", "mail", "smtp", "mx"})
# User-Agents that list servers and their web forms write for whoever posts through them
_MACHINERY_AGENT = re.compile(
    r"hyperkitty|phpmailer|mailman|sympa|listserv|majordomo|ezmlm|google ?groups|"
    r"groups\.google|discourse",
    re.IGNORECASE,
)
# reverse DNS of a shared way out: NAT pools, proxies, gateways, firewalls
_EGRESS_NAME = re.compile(
    r"(?:^|[.-])(?:s?nat|pat|proxy|proxies|gw|gateway|fw|firewall|vpn|egress|outbound|"
    r"guestnat|nat-pool)(?:\d*)(?:[.-]|$)"
)


def _pairs_in_groups(
    groups: dict[Any, dict[str, Sequence[str]]],
    ctx: Context,
    evidence: str,
    *,
    machinery: bool = False,
) -> Iterator[tuple[Any, str, str, dict[str, Sequence[str]]]]:
    """Each pair of person addresses that share a value, with the value's group.

    A value shared by more than ``_MAX_GROUP`` addresses is a commodity: its pairs are
    not compared, and the context remembers who shares it, so that they do not count as
    differing either. A ``machinery`` value (a machine name, a client address, a mail
    client) is also a commodity when most of the archive's senders share it (a
    mailbox's exporter, a list's web form), and each pair remembers how many share it
    (:func:`shared_value_bits`).
    """
    senders = sender_count(ctx)
    sharers = ctx.memo("sharers", dict)
    for value, by_address in sorted(groups.items(), key=lambda item: str(item[0])):
        people = sorted(a for a in by_address if ctx.is_person(a))
        if len(people) > _MAX_GROUP or (machinery and _most_share(len(people), senders)):
            for address in people:
                ctx.commodities[evidence].setdefault(address, set()).add(value)
            continue
        for a, b in combinations(people, 2):
            if machinery:
                key = (evidence, a, b)
                sharers[key] = min(sharers.get(key, len(people)), len(people))
            yield value, a, b, by_address


def sender_count(ctx: Context) -> int:
    """How many people sent mail in this archive (the senders a shared value is among)."""
    return ctx.memo("person_senders", lambda: sum(1 for a in ctx.sent_by if ctx.is_person(a)))


# below this many senders, how many share a value says nothing about the value: a
# small Sent-folder export, where the owner's two addresses are two of three senders
MIN_SENDERS_FOR_SHARING = 20


def _most_share(sharing: int, senders: int) -> bool:
    """More than half of the other senders share it: it tells less than one bit."""
    enough = senders >= MIN_SENDERS_FOR_SHARING
    return enough and sharing > 2 and (sharing - 1) * 2 > max(senders - 1, 1)


def shared_value_bits(ctx: Context, evidence: str, a: str, b: str) -> float | None:
    """At most how many bits a machinery value ``a`` and ``b`` share can tell: log2 of
    how many other senders there are over how many other senders share it.

    Knowing that another address shares a value that k of the archive's N senders
    hold makes it one of k - 1 instead of one of N - 1: the odds that it is the same
    person grow by (N - 1) / (k - 1) at most, however the value was fitted. A web
    form's client, a company's way out, a mailbox exporter's host name: the more
    people share it, the less it says. None when the pair shares no such value.
    """
    sharing = ctx.memo("sharers", dict).get((evidence, a, b) if a < b else (evidence, b, a))
    senders = sender_count(ctx)
    if sharing is None or sharing < 2 or senders < MIN_SENDERS_FOR_SHARING:
        return None
    return math.log2(max(senders - 1, 1) / (sharing - 1))


def display_name(ctx: Context) -> Iterator[Evidence]:
    """The same personal name, or a variant of it, on two addresses.

    Names are compared within blocks that share a word (or a run-together form), so
    "Andy Isaacson" meets "Andrew Isaacson" and "zenghongling" meets "Hongling Zeng".
    A block too big to compare pair by pair (a thousand aliases under the owner's name)
    still joins the addresses that go by exactly the same names, as a star around the
    first of them (:func:`~analyzer.linkability.context.group_pairs`). Levels
    (:class:`~analyzer.linkability.names.NameMatch`): ``full-name``, ``name-variant``,
    ``single-word``, ``first-name``.
    """
    blocks: dict[str, set[str]] = defaultdict(set)
    personas = ctx.persona_names
    for address, by_name in ctx.names.items():
        if not ctx.is_person(address):
            continue
        for name in by_name:
            if name in personas:
                continue
            for word in _block_words(name):
                blocks[word].add(address)
    # each address's blocks compared pair by pair, and its partners in stars: the pairs
    # are gathered address by address, never all at once (blocks of up to 480 make
    # millions of pairs, mostly repeated, in tens of thousands of addresses)
    in_blocks: dict[str, list[set[str]]] = defaultdict(list)
    starred: dict[str, set[str]] = defaultdict(set)
    for addresses in blocks.values():
        if 2 <= len(addresses) <= _MAX_GROUP * 8:
            for address in addresses:
                in_blocks[address].append(addresses)
        elif len(addresses) > _MAX_GROUP * 8:
            alike: dict[frozenset[PersonName], list[str]] = defaultdict(list)
            for address in sorted(addresses):
                names = frozenset(n for n in ctx.names[address] if n not in personas)
                alike[names].append(address)
            for members in alike.values():
                for a, b in group_pairs(members):
                    starred[a].add(b)
    order = (NameMatch.FULL, NameMatch.VARIANT, NameMatch.SINGLE, NameMatch.FIRST)
    for a, b in _pairs_by_first(in_blocks, starred):
        best: tuple[int, PersonName, PersonName] | None = None
        for name_a in ctx.names[a]:
            for name_b in ctx.names[b]:
                if name_a in personas or name_b in personas:
                    continue
                level = compare_names(name_a, name_b)
                if level is not None and (best is None or order.index(level) < best[0]):
                    best = (order.index(level), name_a, name_b)
        if best is None:
            continue
        rank, name_a, name_b = best
        if order[rank] in (NameMatch.SINGLE, NameMatch.FIRST) and _full_names_differ(ctx, a, b):
            continue  # "Alan" is no match for "Alan Hoyt" when the other is "Alan Cox"
        shown = f'"{name_a.written}"'
        if name_b.written != name_a.written:
            shown += f' / "{name_b.written}"'
        yield Evidence(
            a, b, "display-name", order[rank], f"display name {shown}", "cross",
            ctx.side(ctx.names[a][name_a]), ctx.side(ctx.names[b][name_b]),
        )  # fmt: skip


def _pairs_by_first(
    in_blocks: dict[str, list[set[str]]], starred: dict[str, set[str]]
) -> Iterator[tuple[str, str]]:
    """Every pair (a, b), a < b, that shares a block or a star, once, in sorted order:
    the pairs of one address at a time."""
    for a in sorted(in_blocks.keys() | starred.keys()):
        partners = {b for block in in_blocks.get(a, ()) for b in block if b > a}
        partners.update(starred.get(a, ()))  # a star's pairs come as (smaller, larger)
        for b in sorted(partners):
            yield a, b


def _full_names_differ(ctx: Context, a: str, b: str) -> bool:
    """Both go by a full name and no full names match: a shared first word says nothing."""
    full_a = [n for n in ctx.names[a] if len(n.words) > 1]
    full_b = [n for n in ctx.names[b] if len(n.words) > 1]
    return bool(full_a and full_b) and not any(compare_names(x, y) for x in full_a for y in full_b)


def _block_words(name: PersonName) -> set[str]:
    words = {w for w in name.words if len(w) > 1}
    if len(name.words) > 1:
        words |= {"".join(name.words), name.last + name.first}
    return words


def local_part(ctx: Context) -> Iterator[Evidence]:
    """The same user name at two domains: ``adisaacs@mr-happy.com`` and ``adisaacs@mtu.edu``.

    People keep their user name when they change provider or job; role names (info,
    admin, support) and list machinery are nobody's. Levels: ``same-organisation`` at two
    domains of one organisation (``vrd@amazon.com`` / ``vrd@amazon.de``,
    ``x@linux.intel.com`` / ``x@intel.com``: :func:`~analyzer.addressing.sibling_domains`),
    which hands one user name to one person, even a first name; ``same``; ``given-name``
    when the user name is a first name ("john@", "chad@") that many people use; and
    ``names-differ`` when both go by full names that do not match (two Joels).
    """
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for key in ctx.numbers:
        for address, _ in ctx.addresses(key, *PARTY_ROLES):
            local = address.partition("@")[0]
            if len(local) >= 2 and local not in GENERIC_LOCAL_PARTS:
                groups[local][address].append(key)
    # first names people in this archive go by, beside the nickname table's
    given = {name.first for by_name in ctx.names.values() for name in by_name
             if len(name.words) > 1}  # fmt: skip
    for local, a, b, by_address in _pairs_in_groups(groups, ctx, "local-part"):
        domain_a, domain_b = domain_of(a), domain_of(b)
        if domain_a == domain_b:
            continue
        where = f"in {a} and {b}"
        if a in ctx.names and b in ctx.names and _full_names_differ(ctx, a, b):
            level = "names-differ"
        elif sibling_domains(domain_a, domain_b):
            level = "same-organisation"
            where = f"at one organisation's domains, {domain_a} and {domain_b}"
        elif local in given or is_given_name(local):
            level = "given-name"
        else:
            level = "same"
        yield Evidence(
            a, b, "local-part", level, f"the same user name {local!r} {where}", "cross",
            ctx.side(by_address[a]), ctx.side(by_address[b]),
        )  # fmt: skip


def client_addresses(ctx: Context) -> tuple[dict[str, dict[str, list[int]]], set[str]]:
    return ctx.memo("client_addresses", lambda: _client_addresses(ctx))


def _client_addresses(ctx: Context) -> tuple[dict[str, dict[str, list[int]]], set[str]]:
    """Public client addresses per sender (ip → address → messages), and the shared ones.

    An address is the sender's own in an authenticated submission hop (or a HELO with
    no dot) or an X-Originating-IP. It is a shared way out when reverse DNS or HELO says
    nat, proxy, gateway or firewall, or when it carries mail of three or more people
    whose names differ, or of two senders whose full names differ (two engineers
    behind one company's gateway: one machine is no two people's).
    """
    own = ctx.sender_clients()
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    names_of_ip: dict[str, set[str]] = defaultdict(set)
    shared: set[str] = set()
    for address, keys in ctx.sent_by.items():
        for key in keys:
            if key not in own:
                continue
            ip, host, helo = own[key]
            groups[ip][address].append(key)
            if any(_EGRESS_NAME.search(n.lower()) for n in (host, helo) if n):
                shared.add(ip)
            for name in ctx.names.get(address, {}):
                names_of_ip[ip].add(name.last)
    shared |= {ip for ip, names in names_of_ip.items() if len(names) >= 3}
    shared |= {ip for ip, by_address in groups.items() if _two_people(ctx, by_address)}
    return groups, shared


def _two_people(ctx: Context, by_address: dict[str, list[int]]) -> bool:
    """Two of these senders go by full names that do not match: two people."""
    named = sorted(a for a in by_address if ctx.is_person(a) and a in ctx.names)
    return any(_full_names_differ(ctx, a, b) for a, b in combinations(named[:_MAX_GROUP], 2))


def client_ip(ctx: Context) -> Iterator[Evidence]:
    """The sender's own public address (see :func:`client_addresses`).

    Levels: ``client-ip``, or ``shared-egress`` when the address is a company's way out.
    """
    groups, shared = client_addresses(ctx)
    for ip, a, b, by_address in _pairs_in_groups(groups, ctx, "client-ip", machinery=True):
        way_out = ip in shared
        yield Evidence(
            a, b, "client-ip", "shared-egress" if way_out else "client-ip",
            f"the same client address {ip} in the first Received hop"
            + (" (a shared way out)" if way_out else ""),
            "cross", ctx.side(by_address[a]), ctx.side(by_address[b]),
        )  # fmt: skip


def machine_host(message_id: str, sender: str) -> str | None:
    """The machine name after the ``@`` of a Message-ID, when it is a machine's, not a domain."""
    if "@" not in message_id:
        return None
    host = message_id.rpartition("@")[2].strip("<> ").lower()
    if not host or host in _NOT_MACHINES or re.fullmatch(r"[\d.]+", host):
        return None
    sender_domain = domain_of(sender)
    if host == sender_domain or host.endswith("." + sender_domain):
        return None
    if "." not in host or host.endswith(_MACHINE_SUFFIXES):
        return host
    return None


def message_id_host(ctx: Context) -> Iterator[Evidence]:
    """A machine's own name after the @ of the Message-ID, never a provider's domain."""
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for address, keys in ctx.sent_by.items():
        for key in keys:
            host = machine_host(ctx.message_id[key] or "", address)
            if host:
                groups[host][address].append(key)
    for host, a, b, by_address in _pairs_in_groups(groups, ctx, "message-id-host", machinery=True):
        yield Evidence(
            a, b, "message-id-host", "machine-name", f"Message-ID: <…@{host}> from both",
            "cross", ctx.side(by_address[a]), ctx.side(by_address[b]),
        )  # fmt: skip


def client_agents(ctx: Context) -> dict[str, dict[tuple[str, int], list[int]]]:
    return ctx.memo("client_agents", lambda: _client_agents(ctx))


def _client_agents(ctx: Context) -> dict[str, dict[tuple[str, int], list[int]]]:
    """Per sender, the (User-Agent or X-Mailer, Date offset) pairs of their mail.

    A list server's web form writes its own User-Agent and its own offset for whoever
    posts through it (:data:`_MACHINERY_AGENT`): those are nobody's client.
    """
    agents = ctx.mail_clients()
    found: dict[str, dict[tuple[str, int], list[int]]] = defaultdict(lambda: defaultdict(list))
    for address, keys in ctx.sent_by.items():
        for key in keys:
            agent, tz = agents.get(key), ctx.tz[key]
            if agent is not None and tz is not None and not _MACHINERY_AGENT.search(agent):
                found[address][(agent, tz)].append(key)
    return found


def client_fingerprint(ctx: Context) -> Iterator[Evidence]:
    """The same mail client build in the same time zone.

    Levels: ``rare`` when no other sender of the archive uses that build, in any time
    zone, or ``common`` (``git-send-email 2.26.2`` is many people's). A build and offset
    most of the archive's senders share is nobody's (:func:`_pairs_in_groups`). Level
    ``colleagues`` when both addresses are at one organisation's domains: colleagues
    share a build from one IT setup (two engineers at cdjrlc.com, both on git-send-email
    2.36.1 at +0800), so a shared build says less there, and the fit weighs it apart.
    """
    groups: dict[tuple[str, int], dict[str, Messages]] = defaultdict(dict)
    users: dict[str, set[str]] = defaultdict(set)
    for address, by_value in client_agents(ctx).items():
        for value, keys in by_value.items():
            groups[value][address] = ctx.side(keys)  # one side for all of its pairs
            users[value[0]].add(address)
    for value, a, b, by_address in _pairs_in_groups(
        groups, ctx, "client-fingerprint", machinery=True
    ):
        agent, tz = value
        sign = "+" if tz >= 0 else "-"
        detail = f"User-Agent: {agent} with Date offset {sign}{abs(tz) // 60:02d}{abs(tz) % 60:02d}"
        if _one_organisation(a, b):
            level = "colleagues"
        else:
            level = "rare" if len(users[agent]) <= 2 else "common"
        yield Evidence(a, b, "client-fingerprint", level, detail, "cross",
                       by_address[a], by_address[b])  # fmt: skip


def _one_organisation(a: str, b: str) -> bool:
    """Both addresses at one organisation's domains, no mailbox provider's."""
    one, other = domain_of(a), domain_of(b)
    if is_public_provider(one) or is_public_provider(other):
        return False
    return one == other or sibling_domains(one, other)


@cache
def _log_inverse(total: int, count: int) -> float:
    return math.log((total + 1) / (count + 1))


def social_overlap(ctx: Context, pairs: Iterable[tuple[str, str]]) -> Iterator[Evidence]:
    """Two addresses with the same correspondents, weighted by how rare each one is.

    A correspondent everybody writes to (a list's regulars, a maintainer) says little;
    one only these two share says much. Weighted Jaccard over per-address sets, lists
    left out. Levels: ``high`` (≥ 0.5), ``medium`` (≥ 0.25), ``low`` (≥ 0.1).
    """
    everyone = ctx.correspondents
    popularity: Counter[str] = Counter()
    for contacts in everyone.values():
        popularity.update(contacts.keys())
    total = len(everyone)
    weight = {c: _log_inverse(total, n) for c, n in popularity.items()}
    # per address, once: its correspondents and their total weight (an owner address of a
    # million messages has thousands; each pair then costs the smaller of its two sets)
    contacts_of = cache(lambda address: frozenset(everyone.get(address, ())))
    total_of = cache(lambda address: math.fsum(weight[c] for c in contacts_of(address)))
    for a, b in pairs:
        contacts_a, contacts_b = contacts_of(a), contacts_of(b)
        shared = (contacts_a & contacts_b) - {a, b}
        if len(shared) < 2:
            continue
        in_common = math.fsum(weight[c] for c in shared)
        union = (
            total_of(a) - (weight[b] if b in contacts_a else 0.0)
            + total_of(b) - (weight[a] if a in contacts_b else 0.0)
            - in_common
        )  # fmt: skip
        similarity = in_common / union if union > 0 else 0.0
        if similarity < 0.1:
            continue
        level = "high" if similarity >= 0.5 else "medium" if similarity >= 0.25 else "low"
        people = ", ".join(heapq.nsmallest(5, shared, key=lambda c: (-weight[c], c)))
        detail = (
            f"{len(shared)} shared correspondents ({people}), weighted Jaccard {similarity:.2f}"
        )
        # a list of correspondents is not in any one message: it takes many
        yield Evidence(a, b, "social-overlap", level, detail, "inference",
                       _meeting(ctx, a, shared), _meeting(ctx, b, shared))  # fmt: skip


def _meeting(ctx: Context, address: str, shared: frozenset[str]) -> Messages:
    """The messages of ``address`` on which one of ``shared`` is a party."""
    appearances = ctx.memo("appearances-sides", dict)
    side = appearances.get(address)
    if side is None:
        side = appearances[address] = ctx.side(ctx.appearances.get(address, ()))
    return ctx.with_parties(side, shared)


def sending_hours(ctx: Context, address: str) -> Counter[int]:
    hours: Counter[int] = Counter()
    for key in ctx.sent_by.get(address, ()):
        stamp, tz = ctx.date[key], ctx.tz[key] or 0
        if stamp:
            hours[int((stamp / 3600 + tz / 60) % 24)] += 1
    return hours


def timing(ctx: Context, pairs: Iterable[tuple[str, str]]) -> Iterator[Evidence]:
    """Two addresses that send at the same local hours (cosine of hour histograms).

    Needs :data:`MIN_TIMING_MESSAGES` dated messages from each. Levels: ``alike``
    (cosine ≥ 0.8) or ``similar`` (≥ 0.6).
    """
    sent = cache(lambda address: ctx.side(ctx.sent_by[address]))  # one side per address
    hours = cache(lambda address: sending_hours(ctx, address))
    for a, b in pairs:
        hours_a, hours_b = hours(a), hours(b)
        if min(sum(hours_a.values()), sum(hours_b.values())) < MIN_TIMING_MESSAGES:
            continue
        dot = sum(hours_a[h] * hours_b[h] for h in range(24))
        norm = math.sqrt(sum(v * v for v in hours_a.values())) * math.sqrt(
            sum(v * v for v in hours_b.values())
        )
        similarity = dot / norm if norm else 0.0
        if similarity < 0.6:
            continue
        level = "alike" if similarity >= 0.8 else "similar"
        detail = f"sending hours alike (cosine {similarity:.2f} over local hour of day)"
        yield Evidence(a, b, "timing", level, detail, "inference", sent(a), sent(b))
