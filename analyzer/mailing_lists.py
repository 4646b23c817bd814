"""Mailing lists: their addresses, and the machinery addresses around them.

A list is no person: its address is in To of every post, its server writes
Delivered-To / X-Original-To before it redistributes, and its bounce (VERP) addresses
carry each subscriber's address. None of these may become an owner identity or join
two people. A list names itself in ``List-Post`` (``<mailto:x@y>``) and ``List-Id``
(``<x.y>``); older servers only in ``Sender: owner-x@y``.

The other lists a post was Cc'd to name themselves nowhere: they are recognised by how
the archive shows them (:func:`archive_lists`): they never write, and they sit at a
list host or go by a list's name ("open list:BPF", "Linux Media Mailing List").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping

from analyzer.addressing import registrable_domain
from analyzer.frames import Frames
from analyzer.vocabulary import PARTY_ROLES

__all__ = ["archive_lists", "is_list_role_address", "list_addresses", "more_lists"]

_MAILTO = re.compile(r"mailto:([^\s<>?,;]+@[^\s<>?,;]+)", re.IGNORECASE)
_LIST_ID = re.compile(r"<([^<>\s]+)>")
# owner-x@y, x-owner@y, x-request@y, x-bounces@y: the list x@y's machinery
_ROLE = re.compile(
    r"^(?:owner-(?P<after>.+)|(?P<before>.+?)-(?:owner|request|bounces?|errors|approval))@"
    r"(?P<domain>.+)$"
)
# what get_maintainer and people call a list: "open list:BPF", "Linux Doc Mailing List"
_LIST_NAME = re.compile(
    r"^\W*(?:open|moderated|subscriber-only)\s+list\s*:|\bmail(?:ing|man)?\s+list\b|"
    r"\bmaling\s+list\b",
    re.IGNORECASE,
)
# "Linux USB List", "KVM list": a list, when the local part is spelt in it (linux-usb@)
_ENDS_IN_LIST = re.compile(r"\blist\W*$", re.IGNORECASE)
_LIST_HOST_PREFIXES = ("lists.", "vger.")  # lists.infradead.org, vger.kernel.org
_LIST_HOSTS = frozenset({"googlegroups.com"})


def is_list_role_address(address: str) -> bool:
    """``owner-x@y``, ``x-request@y``, ``x+bounces-…@y`` and the like.

    >>> is_list_role_address("util-linux+bounces-108-me=example.org@vger.kernel.org")
    True
    """
    local = address.partition("@")[0]
    return bool(_ROLE.match(address)) or "+bounces-" in local or local.endswith("-bounces")


def _list_of_role(address: str) -> str | None:
    match = _ROLE.match(address)
    if match is None:
        return None
    return f"{match['after'] or match['before']}@{match['domain']}"


def list_addresses(frames: Frames) -> frozenset[str]:
    """Addresses of the mailing lists in an archive: what List-Post, List-Id and Sender say."""
    found: set[str] = set()
    messages = frames.messages
    for value in messages["list_post"].dropna() if "list_post" in messages else ():
        found.update(address.lower() for address in _MAILTO.findall(value))
    for value in messages["list_id"].dropna():
        match = _LIST_ID.search(value)
        name, dot, domain = (match.group(1) if match else value.strip()).partition(".")
        if dot and name and "." in domain:
            found.add(f"{name}@{domain}".lower())
    people = frames.participants
    machinery = people[people["role"].isin(("sender", "return-path"))]["address"].dropna()
    for address in machinery.unique():
        listed = _list_of_role(address)
        if listed:
            found.add(listed)
    return frozenset(found)


def archive_lists(frames: Frames, is_person: Callable[[str], bool]) -> frozenset[str]:
    """Every mailing list in an archive: the lists that name themselves
    (:func:`list_addresses`) and the lists posts were Cc'd to (:func:`more_lists`).
    ``is_person``: linkability's test of a person's address (it imports this module)."""
    declared = list_addresses(frames)
    people = frames.participants
    parties = people[people["role"].isin(PARTY_ROLES)][["role", "address", "display_name"]]
    senders = set(parties.loc[parties["role"] == "from", "address"].dropna())
    named = parties[["address", "display_name"]].dropna().drop_duplicates()
    names: dict[str, set[str]] = defaultdict(set)
    for address, name in zip(named["address"], named["display_name"], strict=True):
        names[address].add(name)
    seen = parties["address"].dropna().unique()
    return declared | frozenset(more_lists(declared, seen, senders, names, is_person))


def more_lists(
    lists: Collection[str],
    addresses: Iterable[str],
    senders: Collection[str],
    names: Mapping[str, Collection[str]],
    is_person: Callable[[str], bool],
) -> set[str]:
    """Lists the archive's List-Id and List-Post do not name: the copy archived came
    through another list, and the post was Cc'd to these too.

    Each never sent a message, and is at a known list's host where nobody writes from
    (``vger.kernel.org`` serves util-linux and linux-kernel alike; not an organisation's
    own mail domain such as linux-mips.org, where a person who never writes here has a
    mailbox beside the list), at a list host by its name (``lists.``, ``vger.``, Google
    Groups), or goes by a list's name (:func:`_named_as_a_list`).
    """
    written_from = {_domain(a) for a in senders if a not in lists and is_person(a)}
    hosts = {_domain(a) for a in lists} - written_from - {""}
    hosts = {host for host in hosts if registrable_domain(host) != host}
    found = set()
    for address in addresses:
        if address in senders or address in lists:
            continue
        local, _, domain = address.partition("@")
        if (
            domain in hosts
            or domain in _LIST_HOSTS
            or domain.startswith(_LIST_HOST_PREFIXES)
            or any(_named_as_a_list(local, name) for name in names.get(address, ()))
        ):
            found.add(address)
    return found


def _named_as_a_list(local: str, name: str) -> bool:
    """get_maintainer's "open list:…", "… Mailing List", its own hyphenated local part
    spelt out ("Linux MM" <linux-mm@kvack.org>), or "… list" with a word of its hyphenated
    local part in it ("Linux USB List" <linux-usb@…>). A person who goes by their user
    name ("anna" <anna@…>) or is called List is no list."""
    if _LIST_NAME.search(name):
        return True
    spelt = name.lower().strip(" '\"")
    if "-" in local and spelt.replace(" ", "-") == local.lower():
        return True
    if "-" not in local or not _ENDS_IN_LIST.search(spelt):
        return False  # "Jonas List" <jonas.list@…> is a person
    words = {w for w in local.lower().split("-") if len(w) > 1}
    return bool(words & set(re.split(r"[\W_]+", spelt)))


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()
