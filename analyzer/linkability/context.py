"""Indexes over the frames that every evidence rule reads, built once per analysis."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from analyzer.addressing import registrable_domain
from analyzer.frames import Frames
from analyzer.owner import Owner

__all__ = ["Context", "Evidence", "is_public_ip"]

_PARTY_ROLES = ("from", "to", "cc")


_INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "0.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128", "::/128",
    )
)  # fmt: skip


def is_public_ip(text: str | None) -> bool:
    """Not an internal address (RFC 1918, CGNAT, loopback, link-local, ULA).

    The documentation ranges (192.0.2.0/24 and the like) count as public: samples and
    tests use them for the addresses they stand in for.
    """
    if not text:
        return False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not any(
        address in network for network in _INTERNAL_NETWORKS if address.version == network.version
    )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Evidence:
    """One observation that joins two addresses, before aggregation into a link.

    ``visibility`` says who can see it: ``message`` (anyone who sees the one message in
    ``side_a``), ``providers`` (only the relays and mailbox providers in ``observers``),
    ``cross`` (it takes seeing a message of ``side_a`` and one of ``side_b``: a
    correspondent who got both can), or ``inference`` (it takes many messages).
    """

    a: str
    b: str
    evidence: str
    score: float
    detail: str
    visibility: str
    side_a: tuple[str, ...]  # message keys
    side_b: tuple[str, ...] = ()
    observers: tuple[str, ...] = ()


@dataclass
class Context:
    """Per-message views of the frames, keyed by ``message_key``."""

    frames: Frames
    owner: Owner
    message_id: dict[str, str] = field(default_factory=dict)
    date: dict[str, float] = field(default_factory=dict)
    tz: dict[str, int | None] = field(default_factory=dict)
    roles: dict[str, dict[str, list[tuple[str, str | None]]]] = field(default_factory=dict)
    parties: dict[str, frozenset[str]] = field(default_factory=dict)
    providers: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, frames: Frames, owner: Owner) -> Context:
        context = cls(frames, owner)
        messages = frames.messages
        for key, message_id, date, tz in zip(
            messages["message_key"],
            messages["message_id"],
            messages["date_utc"],
            messages["tz_offset_min"],
            strict=True,
        ):
            context.message_id[key] = message_id if isinstance(message_id, str) else key
            context.date[key] = 0.0 if pd.isna(date) else date.timestamp()
            context.tz[key] = None if pd.isna(tz) else int(tz)
        roles: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        people = frames.participants
        for key, role, address, name in zip(
            people["message_key"],
            people["role"],
            people["address"],
            people["display_name"],
            strict=True,
        ):
            roles[key][role].append((address, name if isinstance(name, str) else None))
        context.roles = {k: dict(v) for k, v in roles.items()}
        for key, by_role in context.roles.items():
            party = {a for role in _PARTY_ROLES for a, _ in by_role.get(role, [])}
            context.parties[key] = frozenset(a for a in party if not owner.owns(a))
        providers: dict[str, set[str]] = defaultdict(set)
        hops = frames.hops
        for key, by_host in zip(hops["message_key"], hops["by_host"], strict=True):
            if isinstance(by_host, str) and "." in by_host and not _is_ip(by_host):
                providers[key].add(registrable_domain(by_host))
        context.providers = {k: frozenset(v) for k, v in providers.items()}
        return context

    def addresses(self, key: str, *roles: str) -> list[tuple[str, str | None]]:
        by_role = self.roles.get(key, {})
        return [pair for role in roles for pair in by_role.get(role, [])]

    def header_line(self, key: str, role: str, address: str) -> str:
        """The header line, as it reads, that names ``address`` in ``role``."""
        for candidate, name in self.roles.get(key, {}).get(role, []):
            if candidate == address:
                shown = f"{name} <{address}>" if name else address
                return f"{role.title()}: {shown}"
        return f"{role.title()}: {address}"
