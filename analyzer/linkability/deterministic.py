"""Deterministic evidence: one message's headers (or one key) join two addresses.

One function per evidence id of the catalog (DESIGN.md), each yielding
:class:`~analyzer.linkability.context.Evidence` for the owner's identities and, where
the rule says the same about anyone, for other people's addresses too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import combinations

from analyzer.addressing import base_mailbox, domain_of, plain_form, registrable_domain
from analyzer.linkability.context import Context, Evidence

__all__ = [
    "autocrypt",
    "co_recipient",
    "forwarding",
    "pgp_key",
    "reply_to",
    "sender",
    "smime_certificate",
    "subaddress",
    "thread",
]

_RECIPIENT_ROLES = ("to", "cc", "bcc")
_FORWARD_TARGET_ROLES = ("delivered-to", "x-forwarded-to")
_FORWARD_SOURCE_ROLES = ("x-original-to", "x-simplelogin-envelope-to", "x-anonaddy-original-to")


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _same_person(ctx: Context, a: str, b: str) -> bool:
    """For other people: both addresses are the owner's, or share a mailbox or a local part."""
    if ctx.owner.owns(a) and ctx.owner.owns(b):
        return True
    if ctx.owner.owns(a) or ctx.owner.owns(b):
        return False
    return base_mailbox(a) == base_mailbox(b) or a.partition("@")[0] == b.partition("@")[0]


def co_recipient(ctx: Context) -> Iterator[Evidence]:
    """Two of the owner's identities among the To/Cc/Bcc of one message."""
    for key in ctx.roles:
        mine = sorted({a for a, _ in ctx.addresses(key, *_RECIPIENT_ROLES) if ctx.owner.owns(a)})
        for a, b in combinations(mine, 2):
            roles = [r for r in _RECIPIENT_ROLES if ctx.addresses(key, r)]
            lines = [ctx.header_line(key, r, x) for x in (a, b) for r in roles
                     if any(x == y for y, _ in ctx.addresses(key, r))]  # fmt: skip
            yield Evidence(a, b, "co-recipient", 1.0, " / ".join(lines), "message", (key,))


def reply_to(ctx: Context) -> Iterator[Evidence]:
    """Reply-To names another identity than From."""
    for key in ctx.roles:
        for sender_address, _ in ctx.addresses(key, "from"):
            for reply, _ in ctx.addresses(key, "reply-to"):
                if reply != sender_address and _same_person(ctx, sender_address, reply):
                    detail = (
                        f"{ctx.header_line(key, 'from', sender_address)} / "
                        f"{ctx.header_line(key, 'reply-to', reply)}"
                    )
                    yield Evidence(
                        *_pair(sender_address, reply), "reply-to", 1.0, detail, "message", (key,)
                    )


def sender(ctx: Context) -> Iterator[Evidence]:
    """Sender: or the envelope Return-Path names another identity than From."""
    for key in ctx.roles:
        for sender_address, _ in ctx.addresses(key, "from"):
            for role in ("sender", "return-path"):
                for other, _ in ctx.addresses(key, role):
                    if other == sender_address or not _same_person(ctx, sender_address, other):
                        continue
                    if base_mailbox(other) == base_mailbox(sender_address):
                        continue
                    detail = (
                        f"{ctx.header_line(key, 'from', sender_address)} / "
                        f"{ctx.header_line(key, role, other)}"
                    )
                    yield Evidence(
                        *_pair(sender_address, other), "sender", 1.0, detail, "message", (key,)
                    )


def forwarding(ctx: Context) -> Iterator[Evidence]:
    """Delivered-To / X-Forwarded-To shows the mailbox behind the alias mail was sent to."""
    for key in ctx.roles:
        targets = {a for a, _ in ctx.addresses(key, *_FORWARD_TARGET_ROLES) if ctx.owner.owns(a)}
        sources = {a for a, _ in ctx.addresses(key, *_FORWARD_SOURCE_ROLES)}
        addressed = {a for a, _ in ctx.addresses(key, "to", "cc") if ctx.owner.owns(a)}
        if not targets & addressed:  # sent to an alias, not to the mailbox itself
            sources |= addressed
        for source in sorted(sources):
            for target in sorted(targets):
                if source == target or not ctx.owner.owns(source):
                    continue
                if base_mailbox(source) == base_mailbox(target):
                    continue  # a sub-address: that is the subaddress rule
                observers = sorted(
                    {registrable_domain(domain_of(source)), registrable_domain(domain_of(target))}
                    | set(ctx.providers.get(key, ()))
                )
                role = next(
                    (r for r in _FORWARD_TARGET_ROLES if ctx.addresses(key, r)), "delivered-to"
                )
                detail = f"{ctx.header_line(key, role, target)} on mail to {source}"
                yield Evidence(
                    *_pair(source, target), "forwarding", 1.0, detail, "providers", (key,),
                    observers=tuple(observers),
                )  # fmt: skip


def subaddress(ctx: Context) -> Iterator[Evidence]:
    """A tagged or respelled address is its mailbox: the tag hides nothing.

    Provider rules (:func:`~analyzer.addressing.base_mailbox`): ``+tag`` at most
    providers, ``-tag`` at Yahoo, Gmail's ignored dots and googlemail.com, Proton's
    equivalent domains, Fastmail's ``tag@user.fastmail.com``.
    """
    places: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, by_role in ctx.roles.items():
        for role, pairs in by_role.items():
            for address, _ in pairs:
                if ctx.owner.owns(address):
                    places[address].append((key, role))
    by_mailbox: dict[str, set[str]] = defaultdict(set)
    for address in [*places, *ctx.owner.identities]:
        by_mailbox[base_mailbox(address)].add(address)
    for addresses in by_mailbox.values():
        untagged = sorted(a for a in addresses if a == plain_form(a))
        mailbox = next(
            (a for a in untagged if a in ctx.owner.identities),
            untagged[0] if untagged else plain_form(min(addresses)),
        )
        spellings = sorted(addresses | {mailbox})
        if len(spellings) < 2:
            continue
        for address in spellings:
            if address == mailbox:
                continue
            for key, role in places.get(address, []):
                detail = f"{ctx.header_line(key, role, address)} (the mailbox is {mailbox})"
                yield Evidence(
                    *_pair(address, mailbox), "subaddress", 1.0, detail, "message", (key,)
                )


def thread(ctx: Context) -> Iterator[Evidence]:
    """A thread that reached one identity and was answered from another."""
    messages = ctx.frames.messages
    by_id = {mid: key for key, mid in ctx.message_id.items()}
    parent_of = {}
    for key, in_reply_to, references in zip(
        messages["message_key"], messages["in_reply_to"], messages["references"], strict=True
    ):
        parent = in_reply_to if isinstance(in_reply_to, str) else None
        if parent is None and references is not None and len(references):
            parent = references[-1]
        if parent and parent in by_id:
            parent_of[key] = by_id[parent]
    for key, parent in parent_of.items():
        repliers = {a for a, _ in ctx.addresses(key, "from") if ctx.owner.owns(a)}
        reached = {a for a, _ in ctx.addresses(parent, "to", "cc", "from") if ctx.owner.owns(a)}
        for replier in sorted(repliers):
            for other in sorted(reached - {replier}):
                if base_mailbox(other) == base_mailbox(replier):
                    continue
                detail = (
                    f"In-Reply-To: <{ctx.message_id[parent]}> (to {other}) answered "
                    f"{ctx.header_line(key, 'from', replier)}"
                )
                yield Evidence(
                    *_pair(replier, other), "thread", 1.0, detail, "cross", (parent,), (key,)
                )


def _key_groups(ctx: Context, kinds: tuple[str, ...]):
    keys = ctx.frames.keys
    rows = keys[keys["kind"].isin(kinds)]
    groups: dict[str, list[tuple[str, str, tuple[str, ...], str]]] = defaultdict(list)
    for message_key, kind, key_id, addresses, detail in zip(
        rows["message_key"], rows["kind"], rows["key_id"], rows["addresses"], rows["detail"],
        strict=True,
    ):  # fmt: skip
        groups[key_id].append((message_key, kind, tuple(addresses), detail))
    return groups


def _holders(ctx: Context, message_key: str, kind: str) -> set[str]:
    """Whose key this is on this message: the sender's if it signs, else the recipients'."""
    roles = ("from",) if kind.endswith("signer") else ("to", "cc", "bcc")
    return {a for a, _ in ctx.addresses(message_key, *roles)}


def _same_key_under_two_addresses(
    ctx: Context, kinds: tuple[str, ...], evidence: str, score: float
) -> Iterator[Evidence]:
    for _key_id, uses in sorted(_key_groups(ctx, kinds).items()):
        by_address: dict[str, list[str]] = defaultdict(list)
        details = {}
        for message_key, kind, _, detail in uses:
            holders = _holders(ctx, message_key, kind)
            owned = {a for a in holders if ctx.owner.owns(a)}
            candidates = owned or (holders if len(holders) == 1 else set())
            if len(candidates) != 1:
                continue  # several recipients: the key could be any one's
            (address,) = candidates
            by_address[address].append(message_key)
            details[address] = detail
        for a, b in combinations(sorted(by_address), 2):
            if ctx.owner.owns(a) != ctx.owner.owns(b):
                continue  # the owner's key is not someone else's: the holder guess was wrong
            detail = f"{details[a]} under {a}; the same key under {b}"
            yield Evidence(
                a, b, evidence, score, detail, "cross", tuple(by_address[a]), tuple(by_address[b])
            )


def smime_certificate(ctx: Context) -> Iterator[Evidence]:
    """A signer certificate naming several addresses, or one certificate under two."""
    for key_id, uses in sorted(_key_groups(ctx, ("smime-signer",)).items()):
        del key_id
        for message_key, _, addresses, detail in uses:
            for a, b in combinations(sorted(addresses), 2):
                yield Evidence(a, b, "smime-certificate", 1.0, detail, "message", (message_key,))
    yield from _same_key_under_two_addresses(
        ctx, ("smime-signer", "smime-recipient"), "smime-certificate", 1.0
    )


def pgp_key(ctx: Context) -> Iterator[Evidence]:
    """One OpenPGP key id (recipient or signer) under two addresses."""
    yield from _same_key_under_two_addresses(ctx, ("pgp-recipient", "pgp-signer"), "pgp-key", 1.0)


def autocrypt(ctx: Context) -> Iterator[Evidence]:
    """One Autocrypt key announced under two addr values."""
    for key_id, uses in sorted(_key_groups(ctx, ("autocrypt",)).items()):
        by_address: dict[str, list[str]] = defaultdict(list)
        for message_key, _, addresses, _ in uses:
            for address in addresses:
                by_address[address].append(message_key)
        for a, b in combinations(sorted(by_address), 2):
            if ctx.owner.owns(a) != ctx.owner.owns(b):
                continue
            detail = f"Autocrypt: addr={a}; keydata=… and addr={b}; keydata=… (key {key_id})"
            yield Evidence(
                a, b, "autocrypt", 1.0, detail, "cross", tuple(by_address[a]), tuple(by_address[b])
            )
