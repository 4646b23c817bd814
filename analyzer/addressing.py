"""What an address says by itself: its mailbox under provider rules, and its service.

Sub-addressing and provider equivalences decide when two strings are one mailbox:
``maya.lindqvist+shop@gmail.com`` and ``mayalindqvist@googlemail.com`` both deliver to
``maya.lindqvist@gmail.com``. ``docs/providers.md`` lists the rules and their sources.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from publicsuffixlist import PublicSuffixList

__all__ = [
    "ALIAS_SERVICES",
    "PUBLIC_PROVIDERS",
    "alias_service",
    "base_mailbox",
    "domain_of",
    "has_known_suffix",
    "is_public_provider",
    "is_subaddress",
    "plain_form",
    "registrable_domain",
    "sibling_domains",
]

_IP_LITERAL = re.compile(r"[\d.]+|\[?[0-9a-f:.]*:[0-9a-f:.]*\]?|\[.*\]")
_GMAIL = {"gmail.com", "googlemail.com"}
_PROTON = {"proton.me", "protonmail.com", "protonmail.ch", "pm.me"}
_YAHOO_PREFIXES = ("yahoo.", "ymail.com", "rocketmail.com")
_FASTMAIL = {"fastmail.com", "fastmail.fm", "fastmail.net", "fastmail.org", "messagingengine.com"}

# alias domains and the service behind them (docs/providers.md)
ALIAS_SERVICES: dict[str, str] = {
    "mozmail.com": "firefox-relay",
    "relay.firefox.com": "firefox-relay",
    "duck.com": "duckduckgo",
    "simplelogin.com": "simplelogin",
    "simplelogin.co": "simplelogin",  # its servers and reverse aliases (a contact's stand-in)
    "aleeas.com": "simplelogin",
    "slmails.com": "simplelogin",
    "8alias.com": "simplelogin",
    "8shield.net": "simplelogin",
    "silomails.com": "simplelogin",
    "simplelogin.fr": "simplelogin",
    "simplelogin.io": "simplelogin",
    "slmail.me": "simplelogin",
    "dralias.com": "simplelogin",
    "passmail.net": "proton-pass",  # Proton Pass aliases run on SimpleLogin
    "passmail.com": "proton-pass",
    "passinbox.com": "proton-pass",
    "passfwd.com": "proton-pass",
    "anonaddy.com": "addy.io",
    "anonaddy.me": "addy.io",
    "addy.io": "addy.io",
    "addymail.com": "addy.io",
    "4wrd.cc": "addy.io",
    "mailer.me": "addy.io",
    "privaterelay.appleid.com": "apple-hide-my-email",
}


# mailbox providers anyone can sign up with: an address there names no organisation
PUBLIC_PROVIDERS = frozenset(
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


def is_public_provider(domain: str) -> bool:
    """A mailbox provider anyone can sign up with (Gmail, Outlook, Yahoo, …), not an
    organisation's own domain."""
    return domain in PUBLIC_PROVIDERS or domain.startswith(_YAHOO_PREFIXES)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


@lru_cache(maxsize=1 << 16)
def registrable_domain(host: str) -> str:
    """The domain one registrant holds, by the public suffix list (bundled offline by the
    ``publicsuffixlist`` package): ``mail.sgi.com`` → ``sgi.com``, ``bdg.centrin.net.id``
    → ``centrin.net.id``, ``foo.github.io`` → ``foo.github.io``. A name that is itself a
    public suffix, a bare machine name or an IP address comes back as it is."""
    name = ".".join(label for label in host.lower().strip(".").split(".") if label)
    if not name or _IP_LITERAL.fullmatch(name):
        return name
    return _suffixes().privatesuffix(name) or name


def has_known_suffix(domain: str) -> bool:
    """Whether a mail domain ends in a suffix the public suffix list knows: ``enron.com``
    does, a mistyped ``enron.c`` or two addresses run together (``pdq.net.kristi.giron``)
    do not."""
    name = domain.lower().strip(".")
    return bool(name) and _suffixes().publicsuffix(name, accept_unknown=False) is not None


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


@cache
def _icann_suffixes() -> PublicSuffixList:
    return PublicSuffixList(only_icann=True)


@cache
def _provider_names() -> frozenset[str]:
    """The registered names of public providers (``gmail``, ``hotmail``, ``yahoo``): under
    any suffix (``hotmail.de``, ``gmail.de``) they are a mailbox service or someone else."""
    names = {registrable_domain(d).partition(".")[0] for d in PUBLIC_PROVIDERS}
    return frozenset(names | {p.rstrip(".").partition(".")[0] for p in _YAHOO_PREFIXES})


def _is_registered(name: str) -> bool:
    """A domain someone registered under a public suffix (not an IP or a suffix itself)."""
    return not _IP_LITERAL.fullmatch(name) and _suffixes().privatesuffix(name) == name


@lru_cache(maxsize=1 << 16)
def sibling_domains(one: str, other: str) -> bool:
    """Two different mail domains of one organisation, which hands one user name to one
    person: subdomains of one registrable domain (``linux.intel.com`` / ``intel.com``), or
    one registered name under two public suffixes (``amazon.com`` / ``amazon.de`` /
    ``amazon.co.uk``). A public provider's domains are not one organisation's (anyone
    can sign up at ``gmail.com``, ``gmail.de`` is someone else), nor are names under a
    private suffix (``foo.github.io`` / ``foo.gitlab.io``: two platforms' users)."""
    one, other = one.lower().strip("."), other.lower().strip(".")
    if one == other:
        return False
    mine, theirs = registrable_domain(one), registrable_domain(other)
    if not (_is_registered(mine) and _is_registered(theirs)):
        return False  # an IP address, a bare machine name, a public suffix itself
    name, other_name = mine.partition(".")[0], theirs.partition(".")[0]
    if {name, other_name} & _provider_names() or any(
        is_public_provider(d) for d in (one, other, mine, theirs)
    ):
        return False
    if mine == theirs:
        return True
    if name != other_name:
        return False
    # each registered directly under an ICANN suffix, not under a platform's
    return all(_icann_suffixes().privatesuffix(d) == d for d in (mine, theirs))


def alias_service(address: str) -> str | None:
    """The alias service an address belongs to (its domain or a user subdomain of it)."""
    return _service_of(domain_of(address))


@lru_cache(maxsize=1 << 16)
def _service_of(domain: str) -> str | None:
    for suffix, service in ALIAS_SERVICES.items():
        if domain == suffix or domain.endswith("." + suffix):
            return service
    return None


def plain_form(address: str) -> str:
    """The address without its tag, as the provider spells the mailbox.

    Unlike :func:`base_mailbox` it keeps what the owner wrote (Gmail dots stay), so it
    can be shown: ``maya.lindqvist+shop@gmail.com`` → ``maya.lindqvist@gmail.com``,
    ``jane-news@yahoo.com`` → ``jane@yahoo.com``, ``shop@jane.fastmail.com`` →
    ``jane@fastmail.com``.
    """
    local, _, domain = address.lower().rpartition("@")
    if not local:
        return address.lower()
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain.startswith(_YAHOO_PREFIXES):
        return f"{local.split('-', 1)[0]}@{domain}"
    parts = domain.split(".")
    if len(parts) == 3 and ".".join(parts[1:]) in _FASTMAIL:
        return f"{parts[0]}@{'.'.join(parts[1:])}"
    return f"{local.split('+', 1)[0]}@{domain}"


def is_subaddress(address: str) -> bool:
    """Whether the address carries a tag under its provider's rules (``+shop``, Yahoo's
    ``-news``, Fastmail's ``shop@jane.fastmail.com``); ``x@googlemail.com`` does not."""
    local, _, domain = address.lower().rpartition("@")
    plain_local, _, plain_domain = plain_form(address).rpartition("@")
    return bool(local) and (local != plain_local or domain.split(".", 1)[-1] == plain_domain)


def base_mailbox(address: str) -> str:
    """The mailbox an address delivers to under its provider's rules, for comparing.

    :func:`plain_form` without the tag, then Gmail's ignored dots and Proton's one
    domain: ``maya.lindqvist+shop@googlemail.com`` → ``mayalindqvist@gmail.com``.
    """
    plain = plain_form(address)
    local, _, domain = plain.rpartition("@")
    if not local:
        return plain
    if domain in _GMAIL:
        return f"{local.replace('.', '')}@gmail.com"
    if domain in _PROTON:
        return f"{local}@proton.me"
    return plain
