"""Who really sent a message: the organisation behind it, past alias services and platforms.

An alias service rewrites From (SimpleLogin: ``"Shop - news at shop.com" <x@simplelogin.co>``,
Firefox Relay: ``"news@shop.com [via Relay]" <mask@mozmail.com>``) and keeps the original
sender in headers of its own; a bulk platform (Mailchimp, SendGrid, Amazon SES) sends in the
name of its customer from its own servers. Either way the party an address was given to is
the customer's organisation: the registrable domain of the original sender, or, where that
is a public mailbox provider, the sender's own address (every Gmail user is a party of
their own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.addressing import (
    alias_service,
    domain_of,
    is_public_provider,
    registrable_domain,
)

__all__ = [
    "BULK_PLATFORMS",
    "REVERSE_ALIAS_DOMAINS",
    "Sender",
    "is_platform",
    "organisation_of",
    "original_sender",
    "party_behind",
]

# registrable domains of platforms that send in their customers' names (docs/providers.md)
BULK_PLATFORMS: dict[str, str] = {
    "mcsv.net": "Mailchimp", "mcdlv.net": "Mailchimp", "rsgsv.net": "Mailchimp",
    "mailchimpapp.net": "Mailchimp", "mandrillapp.com": "Mailchimp Transactional",
    "list-manage.com": "Mailchimp",
    "sendgrid.net": "SendGrid", "sendgrid.com": "SendGrid",
    "amazonses.com": "Amazon SES",
    "exacttarget.com": "Salesforce Marketing Cloud", "exct.net": "Salesforce Marketing Cloud",
    "mailgun.org": "Mailgun", "mailgun.net": "Mailgun",
    "mailjet.com": "Mailjet", "mjt.lu": "Mailjet",
    "sparkpostmail.com": "SparkPost",
    "mtasv.net": "Postmark", "pmbounces.com": "Postmark",
    "hubspotemail.net": "HubSpot", "hubspotstarter.net": "HubSpot",
    "klaviyomail.com": "Klaviyo", "klaviyodns.com": "Klaviyo",
    "sendinblue.com": "Brevo", "brevo.com": "Brevo", "sendibm1.com": "Brevo",
    "constantcontact.com": "Constant Contact", "ccsend.com": "Constant Contact",
    "createsend.com": "Campaign Monitor", "cmail19.com": "Campaign Monitor",
    "cmail20.com": "Campaign Monitor",
    "mktomail.com": "Marketo", "mktdns.com": "Marketo",
    "rsys2.net": "Oracle Responsys", "rsys5.net": "Oracle Responsys",
    "braze.com": "Braze", "customeriomail.com": "Customer.io",
    "campaign-archive.com": "Mailchimp", "mandrill.com": "Mailchimp Transactional",
    "sendgrid.info": "SendGrid", "postgun.com": "Mailgun", "postmarkapp.com": "Postmark",
    "sender-sib.com": "Brevo", "mailin.fr": "Brevo", "marketo.org": "Marketo",
    "hubspotlinks.com": "HubSpot", "rs6.net": "Constant Contact",
}  # fmt: skip
# platforms whose own domain is in From: each sender there is a party of its own
# (every Substack publication writes from name@substack.com)
PUBLISHING_PLATFORMS = frozenset({"substack.com"})

# what alias services write where the original sender was (and Resent-From, Firefox Relay)
ORIGINAL_SENDER_ROLES = (
    "x-simplelogin-original-from",
    "duck-original-from",
    "x-anonaddy-original-from-header",
    "x-anonaddy-original-sender",
    "resent-from",
    "x-simplelogin-envelope-from",
    "x-anonaddy-original-envelope-from",
)
# the sender inside a rewritten From: "Shop - news at shop.com" (SimpleLogin),
# "Shop <news@shop.com> [via Relay]" or "news@shop.com [via Relay]" (Firefox Relay),
# alias+news=shop.com@… (addy.io), news_at_shop.com_alias@duck.com (DuckDuckGo)
_SIMPLELOGIN_NAME = re.compile(r"(?:^|\s-\s)([\w.+\-]+) at ([\w\-]+(?:\.[\w\-]+)+)\s*$")
_RELAY_NAME = re.compile(r"<?([\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+)>? \[via Relay\]$")
_ADDY_LOCAL = re.compile(r"^[^+@]+\+([\w.\-]+)=([\w\-]+(?:\.[\w\-]+)+)@")
_DUCK_LOCAL = re.compile(r"^([\w.+\-]+)_at_([\w\-]+(?:\.[\w\-]+)+)_[^_@]+@duck\.com$")
# where an alias service gives each contact a stand-in address of its own (a reverse
# alias), which names the contact only in its display name, if at all
REVERSE_ALIAS_DOMAINS = frozenset({"simplelogin.co", "relay.firefox.com"})


@dataclass(frozen=True)
class Sender:
    """The party behind one received message."""

    organisation: str  # a registrable domain, or an address at a public provider
    address: str  # the original sender's address, as far as the headers show it
    via: str  # "" or the alias service / platform the message came through
    related: frozenset[str]  # every organisation the message's own headers tie to it


def is_platform(domain: str) -> bool:
    return registrable_domain(domain) in BULK_PLATFORMS


def organisation_of(address: str) -> str:
    """The party an address stands for: its registrable domain, or the address itself at a
    public mailbox provider."""
    domain = registrable_domain(domain_of(address))
    if is_public_provider(domain) or domain in PUBLISHING_PLATFORMS:
        return address.lower()
    return domain


def _from_rewritten(from_addr: str, from_name: str) -> str | None:
    """The original sender that an alias service wrote into its rewritten From."""
    name = (from_name or "").strip().strip('"')
    match = _RELAY_NAME.search(name)
    if match:
        return match.group(1).lower()
    match = _SIMPLELOGIN_NAME.search(name)
    if match:
        return f"{match.group(1)}@{match.group(2)}".lower()
    match = _ADDY_LOCAL.match(from_addr) or _DUCK_LOCAL.match(from_addr)
    if match:
        return f"{match.group(1)}@{match.group(2)}".lower()
    return None


def party_behind(address: str, display_name: str | None = None) -> str | None:
    """The party an alias service's stand-in address speaks for, so that a graph or a
    count shows who wrote, not the service's address: the organisation of the sender
    the service wrote into the address or its display name
    (``news_at_shop.example_1f@duck.com`` → ``shop.example``); for a reverse alias that
    names nobody, the service's relay marked as such (``simplelogin.co (relay)``); None
    for any other address, a person's own alias included."""
    if not alias_service(address):
        return None
    rewritten = _from_rewritten(address.lower(), display_name or "")
    if rewritten and not alias_service(rewritten):
        return organisation_of(rewritten)
    domain = domain_of(address)
    return f"{domain} (relay)" if domain in REVERSE_ALIAS_DOMAINS else None


def original_sender(
    from_addr: str | None,
    from_name: str | None,
    roles: dict[str, list[str]],
    dkim_domains: Iterable[str] = (),
    message_id: str | None = None,
) -> Sender | None:
    """The party behind a message, from its From, the alias services' own headers
    (``roles``: role → addresses in the participants), Return-Path and DKIM ``d=``, in
    that order of trust, and the Message-ID host when there is nothing else. The
    organisations those name together are ``related``: a shop's own bounce domain is the
    shop; a platform's domain joins no two customers."""
    via = ""
    candidates: list[str] = []
    for role in ORIGINAL_SENDER_ROLES:
        candidates += roles.get(role, [])
    if from_addr and alias_service(from_addr):
        via = alias_service(from_addr) or ""
        rewritten = _from_rewritten(from_addr, from_name or "")
        if rewritten:
            candidates.insert(0, rewritten)
    elif from_addr:
        candidates.insert(0, from_addr)
    candidates = [c for c in candidates if "@" in c and not alias_service(c)]
    return_paths = [a for a in roles.get("return-path", []) if "@" in a]
    signals = [domain_of(a) for a in (*candidates, *return_paths)]
    signals += list(dkim_domains)
    own = [s for s in signals if s and not is_platform(s) and not alias_service(f"x@{s}")]
    if not own and message_id and "@" in message_id:  # the last resort, never a tie
        host = message_id.rpartition("@")[2]
        if "." in host and not is_platform(host) and not alias_service(f"x@{host}"):
            own = [host]
    if not candidates and not own:
        return None
    address = candidates[0] if candidates else ""
    if address and not is_platform(domain_of(address)):
        organisation = organisation_of(address)
    elif own:
        organisation = registrable_domain(own[0])
    else:
        organisation = organisation_of(address)
    platforms = {BULK_PLATFORMS[registrable_domain(s)] for s in signals if s and is_platform(s)}
    via = ", ".join([via] * bool(via) + sorted(platforms))
    related = {registrable_domain(s) for s in own if not is_public_provider(registrable_domain(s))}
    related.add(organisation)
    return Sender(organisation, address, via, frozenset(related))
