"""What each of the owner's identities is: a mailbox, a tag on one, an alias, a catch-all.

The domain says most (``mozmail.com`` is Firefox Relay, a public suffix list tells an
organisation's domain), and the headers the services add say the rest: mail to a SimpleLogin
or addy.io alias on the owner's own domain still carries ``X-SimpleLogin-Envelope-To`` or
``X-AnonAddy-Original-To`` naming it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import cache

from analyzer.addressing import (
    alias_service,
    domain_of,
    is_public_provider,
    is_subaddress,
    plain_form,
    registrable_domain,
)
from analyzer.frames import Frames
from analyzer.owner import Owner
from analyzer.vocabulary import ALIAS_SERVICE_OF_ROLE, RECEIVING_ROLES, IdentityKind

__all__ = ["KINDS", "identity_kinds", "is_disposable", "kind_of"]

KINDS = {
    "primary": "the mailbox the others deliver to, or the one most used",
    "mailbox": "another mailbox of the owner's at a public provider",
    "subaddress": "a mailbox with a tag (+shop, Yahoo's -news, Fastmail's shop@you.fastmail.com)",
    "alias": "an address at an alias service, which forwards to a mailbox",
    "catch-all": "an address at a domain of the owner's where every address reaches them",
    "custom-domain": "an address at a domain only the owner uses",
    "work": "an address at an organisation's domain that other people there use too",
    "disposable": "an address at a throwaway-mail domain",
}


@cache
def _disposable_domains() -> frozenset[str]:
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


def is_disposable(address: str) -> bool:
    """At a domain on the maintained disposable-mail list (``disposable-email-domains``)."""
    domain = domain_of(address)
    return domain in _disposable_domains() or registrable_domain(domain) in _disposable_domains()


def kind_of(
    address: str,
    owner: Owner,
    *,
    service: str | None = None,
    colleagues: int = 0,
    primary: str | None = None,
) -> str:
    """One identity's kind: ``alias:<service>``, ``disposable``, ``subaddress``,
    ``catch-all``, ``work``, ``custom-domain``, ``primary`` or ``mailbox``.

    ``service`` is what the headers say (an alias service that forwarded for it),
    ``colleagues`` how many other people's addresses share its organisation's domain.
    """
    service = alias_service(address) or service
    if service:
        return f"{IdentityKind.ALIAS}:{service}"
    if is_disposable(address):
        return IdentityKind.DISPOSABLE
    if is_subaddress(address):
        return IdentityKind.SUBADDRESS
    domain = domain_of(address)
    if domain in owner.domains:
        return IdentityKind.CATCH_ALL
    if not is_public_provider(registrable_domain(domain)):
        return IdentityKind.WORK if colleagues else IdentityKind.CUSTOM_DOMAIN
    return IdentityKind.PRIMARY if address == primary else IdentityKind.MAILBOX


def identity_kinds(frames: Frames, owner: Owner) -> dict[str, str]:
    """The kind of every owner identity, read from its domain and the archive's headers."""
    people = frames.participants
    services: dict[str, str] = {}
    for role, service in ALIAS_SERVICE_OF_ROLE.items():
        for address in people.loc[people["role"] == role, "address"].dropna():
            if owner.owns(address):
                services.setdefault(address, service)
    colleagues: Counter[str] = Counter()
    seen: dict[str, set[str]] = defaultdict(set)
    for address in people["address"].dropna().unique():
        if "@" in address and not owner.owns(address):
            seen[registrable_domain(domain_of(address))].add(address)
    for organisation, addresses in seen.items():
        colleagues[organisation] = len(addresses)
    primary = _primary(frames, owner)
    return {
        address: kind_of(
            address,
            owner,
            service=services.get(address),
            colleagues=colleagues[registrable_domain(domain_of(address))],
            primary=primary,
        )
        for address in owner.identities
    }


def _primary(frames: Frames, owner: Owner) -> str | None:
    """The public-provider mailbox the receiving headers name most: where the aliases and
    tags deliver."""
    people = frames.participants
    receiving = people[people["role"].isin(RECEIVING_ROLES)]["address"].dropna()
    counts = Counter(
        plain_form(a)
        for a in receiving
        if owner.owns(a) and is_public_provider(registrable_domain(domain_of(a)))
    )
    mailboxes = [a for a, _ in counts.most_common() if a in owner.identities]
    return mailboxes[0] if mailboxes else None
