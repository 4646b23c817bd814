"""Whose mailbox is this? The owner's identities, given or detected, and how.

Given: ``--me ADDR`` (repeatable) and ``--me-domain DOMAIN`` (a catch-all custom
domain: every address at it is the owner's). Detected: the receiving side names the
owner (Delivered-To, X-Original-To, Envelope-To, X-Forwarded-To, alias services'
envelope headers), sent mail names them in From, and an alias-service address that
mail was delivered through is theirs. Sub-addresses of an owner address are the owner's
too. ``Owner.how`` says which of these found what.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from analyzer.addressing import alias_service, base_mailbox, domain_of, plain_form
from analyzer.frames import Frames

__all__ = ["Owner", "detect_owner", "identity_kind"]

_RECEIVING_ROLES = ("delivered-to", "x-original-to", "envelope-to", "x-forwarded-to")
# a mailbox, not a phrase: ezmlm writes "Delivered-To: mailing list x@y", old mail bare names
_ADDR_SPEC = re.compile(r"[^@\s<>()\[\],;:\\\"]+@[^@\s<>()\[\],;:\\\"]+\.[^@\s<>()\[\],;:\\\"]+")
_ALIAS_ROLES = ("x-simplelogin-envelope-to", "x-anonaddy-original-to")


@dataclass(frozen=True)
class Owner:
    identities: tuple[str, ...]
    domains: tuple[str, ...] = ()
    how: str = "given"
    evidence: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_set", frozenset(self.identities))
        object.__setattr__(self, "_bases", frozenset(base_mailbox(a) for a in self.identities))

    def owns(self, address: str) -> bool:
        if address in self._set:  # type: ignore[attr-defined]
            return True
        if self.domains and domain_of(address) in self.domains:
            return True
        return base_mailbox(address) in self._bases  # type: ignore[attr-defined]


_PUBLIC_PROVIDERS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        "fastmail.com",
        "fastmail.fm",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "posteo.de",
        "mailbox.org",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "aol.com",
        "zoho.com",
        "tutanota.com",
        "tuta.io",
    ]
)


def identity_kind(address: str, owner: Owner) -> str:
    """``alias:<service>``, ``catch-all``, ``custom-domain``, ``subaddress`` or ``mailbox``.

    ``custom-domain``: a domain of the owner's own (not a public provider's) under which
    they use more than one address, as a catch-all does.
    """
    service = alias_service(address)
    if service:
        return f"alias:{service}"
    domain = domain_of(address)
    if domain in owner.domains:
        return "catch-all"
    if plain_form(address) != address:
        return "subaddress"
    siblings = [a for a in owner.identities if domain_of(a) == domain]
    if len(siblings) > 1 and domain not in _PUBLIC_PROVIDERS and not domain.startswith("yahoo."):
        return "custom-domain"
    return "mailbox"


def _expand(seeds: Iterable[str], addresses: Iterable[str], domains: tuple[str, ...]) -> set[str]:
    """The seeds, every address at an owner domain, and sub-addresses of the seeds."""
    seeds = {a for a in seeds if _ADDR_SPEC.fullmatch(a)}
    addresses = [a for a in addresses if _ADDR_SPEC.fullmatch(a)]
    bases = {base_mailbox(a) for a in seeds}
    found = set(seeds)
    for address in addresses:
        if domain_of(address) in domains or base_mailbox(address) in bases:
            found.add(address)
    return found


def detect_owner(frames: Frames, me: Iterable[str] = (), me_domains: Iterable[str] = ()) -> Owner:
    """The owner's identities: given, or detected from the headers (see module doc)."""
    people = frames.participants
    domains = tuple(sorted({d.lower().lstrip("@") for d in me_domains}))
    every_address = people["address"].dropna().unique()
    given = [a.strip().lower() for a in me]
    if given or domains:
        seen = set(every_address)
        identities = _expand(given, every_address, domains)
        forwarded = _aliases_forwarding_to(people, identities, domains)
        found = sum(1 for a in given if a in seen)
        how = (
            f"given ({found} of {len(given)} addresses appear in the headers)" if given else "given"
        )
        if domains:
            how += f"; catch-all domains {', '.join(domains)}"
        if forwarded - identities:
            how += f"; plus {len(forwarded - identities)} aliases that forward to them"
        identities = _expand(identities | forwarded, every_address, domains)
        return Owner(tuple(sorted(identities)), domains, how)

    evidence: Counter[str] = Counter()
    seeds: set[str] = set()
    receiving = people[people["role"].isin(_RECEIVING_ROLES + _ALIAS_ROLES)]
    for role, address in zip(receiving["role"], receiving["address"], strict=True):
        seeds.add(address)
        evidence[role] += 1

    sent_keys = _sent_messages(frames.messages)
    senders = people[(people["role"] == "from") & people["message_key"].isin(sent_keys)]
    for address in senders["address"]:
        seeds.add(address)
        evidence["from of sent messages"] += 1

    # an alias-service address the mail to one of the owner's mailboxes was sent to
    delivered = set(receiving["message_key"])
    addressed = people[people["message_key"].isin(delivered) & people["role"].isin(("to", "cc"))]
    for address in addressed["address"]:
        if alias_service(address):
            seeds.add(address)
            evidence["alias-service recipient"] += 1

    identities = _expand(seeds, every_address, domains)
    if len(identities) > len(seeds):
        evidence["sub-addresses of those"] = len(identities) - len(seeds)
    parts = ", ".join(f"{name} ({count})" for name, count in sorted(evidence.items()))
    how = f"detected: {parts}" if parts else "detected: nothing names an owner"
    return Owner(tuple(sorted(identities)), domains, how, dict(evidence))


def _aliases_forwarding_to(
    people: pd.DataFrame, mine: set[str], domains: tuple[str, ...]
) -> set[str]:
    """Alias-service envelope addresses of mail delivered to one of ``mine``."""
    delivered = people[
        (people["role"] == "delivered-to")
        & (people["address"].isin(mine) | people["address"].map(lambda a: domain_of(a) in domains))
    ]
    keys = set(delivered["message_key"])
    named = people[
        people["message_key"].isin(keys) & people["role"].isin((*_ALIAS_ROLES, "x-original-to"))
    ]
    return set(named["address"])


def _sent_messages(messages: pd.DataFrame) -> set[str]:
    labels = messages["gmail_labels"].fillna("")
    sent = labels.str.contains(r"(?:^|,)\s*Sent(?:,|$)", regex=True)
    return set(messages.loc[sent, "message_key"])
