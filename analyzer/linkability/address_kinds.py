"""What an address is: a person's mailbox or machinery's, a public IP or an internal one.

Rules ask the context (:meth:`~analyzer.linkability.context.Context.is_person`, which
also leaves out the archive's lists and spam personas); the analysis asks
:func:`is_person_address` the same without an archive.
"""

from __future__ import annotations

import ipaddress

from analyzer.mailing_lists import is_list_role_address

__all__ = [
    "GENERIC_LOCAL_PARTS",
    "OWN_DOMAIN_LOCAL_PARTS",
    "is_ip",
    "is_person_address",
    "is_public_ip",
]

_INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "0.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128", "::/128",
    )
)  # fmt: skip

GENERIC_LOCAL_PARTS = frozenset(
    [
        "mailer-daemon",
        "postmaster",
        "noreply",
        "no-reply",
        "no_reply",
        "donotreply",
        "do-not-reply",
        "bounce",
        "bounces",
        "info",
        "support",
        "admin",
        "root",
        "abuse",
        "webmaster",
        "listserv",
        "majordomo",
        "mailman",
        "newsletter",
        "news",
        "notifications",
        "notification",
        "mail",
        "contact",
        "help",
        "hello",
        "sales",
        "billing",
        "office",
        "team",
        "service",
        "security",
        "marketing",
        "updates",
        "alerts",
        "account",
        "accounts",
        "nobody",
        "daemon",
        "lkml",
        "linux",
        "list",
        "lists",
        "ml",
        "mailinglist",
        "mailinglists",
        "kernel",
        "devel",
        "patches",
    ]
)

# generic user names one person may take at a domain of their own: Russell King's
# linux@armlinux.org.uk, Guenter Roeck's linux@roeck-us.net, WANG Xuerui's kernel@xen0n.name.
# The archive decides (:meth:`~analyzer.linkability.context_views.ContextViews.is_person`);
# offices (support@, sales@) and machinery (postmaster@, noreply@) are never one person's.
OWN_DOMAIN_LOCAL_PARTS = frozenset(
    ["linux", "lkml", "kernel", "devel", "patches", "ml", "mail", "info", "contact", "hello"]
)


def is_person_address(address: str) -> bool:
    """An addr-spec that can belong to a person: no role, robot or list-machinery address.

    Machine-made local parts (VERP and SRS bounces, BATV tags: anything with ``=``,
    ``batv+…@…srs…``) and role names (postmaster, noreply, ``owner-…``, ``…-request``)
    name no person.
    """
    local, at, domain = address.partition("@")
    if not at or not local or not domain:
        return False
    return not (
        local in GENERIC_LOCAL_PARTS
        or "=" in local
        or local.startswith(("bounce", "srs0", "srs1", "batv+", "prvs"))
        or ".srs." in f".{domain}"
        or is_list_role_address(address)
    )


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


def is_ip(text: str) -> bool:
    """An IP address, bracketed or not: a host name that names no organisation."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True
