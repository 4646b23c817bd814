"""Probabilistic evidence: a fingerprint that two identities share.

None of these proves one person; each narrows it down, and the score says how much. A
fingerprint seen on two messages is visible to a correspondent only when that
correspondent saw both; otherwise it takes someone who sees many messages (a
provider, a breach): ``cross`` visibility, resolved by the aggregator.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import combinations

from analyzer.addressing import domain_of
from analyzer.linkability.context import Context, Evidence, is_public_ip

__all__ = [
    "client_fingerprint",
    "client_ip",
    "display_name",
    "message_id_host",
    "social_overlap",
    "timing",
]

GENERIC_NAMES = frozenset(
    (
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
    )
)
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


def _sent_by(ctx: Context) -> dict[str, list[str]]:
    """Message keys by From address, for the owner's identities and everyone else."""
    senders: dict[str, list[str]] = defaultdict(list)
    for key in ctx.roles:
        for address, _ in ctx.addresses(key, "from"):
            senders[address].append(key)
    return senders


def _shared(
    groups: dict[str, dict[str, list[str]]],
    ctx: Context,
    evidence: str,
    score_of,
    describe,
    owner_only: bool = True,
) -> Iterator[Evidence]:
    for value, by_address in sorted(groups.items()):
        addresses = sorted(by_address)
        if len(addresses) < 2:
            continue
        score = score_of(value, len(addresses))
        if score <= 0:
            continue
        for a, b in combinations(addresses, 2):
            mine = ctx.owner.owns(a), ctx.owner.owns(b)
            if mine[0] != mine[1] or (owner_only and not mine[0]):
                continue
            yield Evidence(
                a, b, evidence, score, describe(value), "cross",
                tuple(by_address[a]), tuple(by_address[b]),
            )  # fmt: skip


def normalise_name(name: str) -> str | None:
    """A display name reduced for comparison; None when it names nobody in particular."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[\"'()\[\]<>]", " ", text)
    if "," in text:  # "Lindqvist, Maya"
        last, _, first = text.partition(",")
        text = f"{first} {last}"
    text = re.sub(r"[^a-z0-9@. -]", " ", text)
    words = text.split()
    if not words or "@" in text or " ".join(words) in GENERIC_NAMES:
        return None
    if all(word in GENERIC_NAMES for word in words):
        return None
    return " ".join(words)


def display_name(ctx: Context) -> Iterator[Evidence]:
    """The same personal name on two addresses (From, and how others address the owner)."""
    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for key in ctx.roles:
        for role in ("from", "to", "cc"):
            for address, name in ctx.addresses(key, role):
                if not name or (role != "from" and not ctx.owner.owns(address)):
                    continue
                normal = normalise_name(name)
                if normal:
                    groups[normal][address].append(key)

    def score(name: str, count: int) -> float:
        if count > 4 and not any(ctx.owner.owns(a) for a in groups[name]):
            return 0.0  # a name on many addresses is a brand or a role, not a person
        return (0.6 if " " in name else 0.3) / max(1, count - 2) ** 0.5

    yield from _shared(groups, ctx, "display-name", score, lambda n: f'display name "{n}"', False)


def _client_ip(ctx: Context, key: str, hops_by_key) -> str | None:
    hop = hops_by_key.get(key)
    if hop is None:
        return None
    helo, ip, protocol = hop
    submitted = (protocol or "").endswith("A") or (helo and "." not in helo) or protocol == "HTTP"
    return ip if submitted and is_public_ip(ip) else None


def client_ip(ctx: Context) -> Iterator[Evidence]:
    """The sender's own public address: an authenticated submission hop, or X-Originating-IP."""
    hops = ctx.frames.hops
    first = hops[hops["hop"] == 0]
    hops_by_key = {
        k: (h if isinstance(h, str) else None, ip if isinstance(ip, str) else None,
            p if isinstance(p, str) else None)
        for k, h, ip, p in zip(first["message_key"], first["from_helo"], first["from_ip"],
                                first["protocol"], strict=True)
    }  # fmt: skip
    originating = dict(
        zip(
            ctx.frames.messages["message_key"], ctx.frames.messages["x_originating_ip"], strict=True
        )
    )
    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for address, keys in _sent_by(ctx).items():
        for key in keys:
            ip = _client_ip(ctx, key, hops_by_key)
            extra = originating.get(key)
            if ip is None and isinstance(extra, str) and is_public_ip(extra):
                ip = extra
            if ip:
                groups[ip][address].append(key)
    yield from _shared(
        groups, ctx, "client-ip", lambda ip, n: 0.8 if n <= 3 else 0.4,
        lambda ip: f"the same client address {ip} in the first Received hop",
    )  # fmt: skip


def _machine_host(message_id: str, sender: str) -> str | None:
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
    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for address, keys in _sent_by(ctx).items():
        for key in keys:
            host = _machine_host(ctx.message_id.get(key, ""), address)
            if host:
                groups[host][address].append(key)
    yield from _shared(
        groups, ctx, "message-id-host", lambda host, n: 0.9 if n <= 3 else 0.5,
        lambda host: f"Message-ID: <…@{host}> from both",
    )  # fmt: skip


def client_fingerprint(ctx: Context) -> Iterator[Evidence]:
    """The same mail client build in the same time zone."""
    messages = ctx.frames.messages
    agents = {}
    for key, user_agent, mailer in zip(
        messages["message_key"], messages["user_agent"], messages["x_mailer"], strict=True
    ):
        agent = user_agent if isinstance(user_agent, str) else mailer
        if isinstance(agent, str) and agent:
            agents[key] = agent
    groups: dict[tuple[str, int], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    everyone: dict[tuple[str, int], set[str]] = defaultdict(set)
    for address, keys in _sent_by(ctx).items():
        for key in keys:
            agent, tz = agents.get(key), ctx.tz.get(key)
            if agent is None or tz is None:
                continue
            groups[(agent, tz)][address].append(key)
            everyone[(agent, tz)].add(address)

    def score(value, count: int) -> float:
        senders = len(everyone[value])
        return 0.0 if senders > 10 else (0.6 if senders <= 3 else 0.3)

    def describe(value) -> str:
        agent, tz = value
        sign = "+" if tz >= 0 else "-"
        return f"User-Agent: {agent} with Date offset {sign}{abs(tz) // 60:02d}{abs(tz) % 60:02d}"

    yield from _shared(groups, ctx, "client-fingerprint", score, describe)


def _correspondents(ctx: Context) -> dict[str, set[str]]:
    """For each owner identity, the people it exchanged mail with (sets, not pairs)."""
    found: dict[str, set[str]] = defaultdict(set)
    for key, parties in ctx.parties.items():
        mine = {a for a, _ in ctx.addresses(key, "from", "to", "cc") if ctx.owner.owns(a)}
        for address in mine:
            found[address] |= parties
    return found


def social_overlap(ctx: Context) -> Iterator[Evidence]:
    """Two identities with similar sets of correspondents (Jaccard over per-identity sets).

    Each identity's correspondents are collected once; only identity pairs are
    compared, never pairs of messages.
    """
    sets = _correspondents(ctx)
    for a, b in combinations(sorted(sets), 2):
        shared = sets[a] & sets[b]
        union = sets[a] | sets[b]
        if len(shared) < 2 or not union:
            continue
        jaccard = len(shared) / len(union)
        if jaccard < 0.1:
            continue
        people = ", ".join(sorted(shared)[:5])
        detail = f"{len(shared)} shared correspondents ({people}), Jaccard {jaccard:.2f}"
        keys_a = tuple(k for k, p in ctx.parties.items() if p & shared and _has(ctx, k, a))
        keys_b = tuple(k for k, p in ctx.parties.items() if p & shared and _has(ctx, k, b))
        # a list of correspondents is not in any one message: it takes many
        yield Evidence(a, b, "social-overlap", round(min(0.8, jaccard), 3), detail, "inference",
                       keys_a, keys_b)  # fmt: skip


def _has(ctx: Context, key: str, address: str) -> bool:
    return any(a == address for a, _ in ctx.addresses(key, "from", "to", "cc"))


def timing(ctx: Context) -> Iterator[Evidence]:
    """Two identities that send at the same hours of the day (cosine of hour histograms)."""
    hours: dict[str, Counter[int]] = defaultdict(Counter)
    keys: dict[str, list[str]] = defaultdict(list)
    for address, sent in _sent_by(ctx).items():
        if not ctx.owner.owns(address):
            continue
        for key in sent:
            stamp, tz = ctx.date.get(key), ctx.tz.get(key) or 0
            if stamp:
                hours[address][int((stamp / 3600 + tz / 60) % 24)] += 1
                keys[address].append(key)
    for a, b in combinations(sorted(hours), 2):
        if sum(hours[a].values()) < 5 or sum(hours[b].values()) < 5:
            continue
        dot = sum(hours[a][h] * hours[b][h] for h in range(24))
        norm = math.sqrt(sum(v * v for v in hours[a].values())) * math.sqrt(
            sum(v * v for v in hours[b].values())
        )
        similarity = dot / norm if norm else 0.0
        if similarity >= 0.6:
            detail = f"sending hours alike (cosine {similarity:.2f} over local hour of day)"
            yield Evidence(a, b, "timing", round(0.3 * similarity, 3), detail, "inference",
                           tuple(keys[a]), tuple(keys[b]))  # fmt: skip
