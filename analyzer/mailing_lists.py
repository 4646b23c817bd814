"""Mailing lists: their addresses, and the machinery addresses around them.

A list is no person: its address is in To of every post, its server writes
Delivered-To / X-Original-To before it redistributes, and its bounce (VERP) addresses
carry each subscriber's address. None of these may become an owner identity or join
two people. A list names itself in ``List-Post`` (``<mailto:x@y>``) and ``List-Id``
(``<x.y>``); older servers only in ``Sender: owner-x@y``.
"""

from __future__ import annotations

import re

from analyzer.frames import Frames

__all__ = ["is_list_role_address", "list_addresses"]

_MAILTO = re.compile(r"mailto:([^\s<>?,;]+@[^\s<>?,;]+)", re.IGNORECASE)
_LIST_ID = re.compile(r"<([^<>\s]+)>")
# owner-x@y, x-owner@y, x-request@y, x-bounces@y: the list x@y's machinery
_ROLE = re.compile(
    r"^(?:owner-(?P<after>.+)|(?P<before>.+?)-(?:owner|request|bounces?|errors|approval))@"
    r"(?P<domain>.+)$"
)


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
