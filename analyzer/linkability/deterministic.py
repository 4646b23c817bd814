"""Deterministic evidence: one message's headers (or one key) join two addresses.

One function per evidence id of the catalog (docs/findings.md), each yielding
:class:`~analyzer.linkability.context.Evidence` for the owner's identities and, where
the rule says the same about anyone, for other people's addresses too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from analyzer.addressing import (
    alias_service,
    base_mailbox,
    domain_of,
    is_public_provider,
    plain_form,
    registrable_domain,
)
from analyzer.linkability.context import Context, Evidence, group_pairs
from analyzer.vocabulary import ALIAS_ENVELOPE_ROLES, PARTY_ROLES, RECIPIENT_ROLES

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

# roles the people a message went to see (Bcc, Delivered-To and the like they do not)
_SHOWN_ROLES = frozenset({"from", "to", "cc", "reply-to", "sender", "return-path",
                          "resent-from", "resent-to", "resent-cc", "resent-sender"})  # fmt: skip
_FORWARD_TARGET_ROLES = ("delivered-to", "x-forwarded-to")
# where mail went first: the address it was sent to, or the alias a service forwarded for
_FORWARD_SOURCE_ROLES = ("x-original-to", *ALIAS_ENVELOPE_ROLES)
# a sender with at most this many messages in the archive is a one-off sender
_ONE_OFF_MESSAGES = 3


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def co_recipient(ctx: Context) -> Iterator[Evidence]:
    """Two of the owner's identities among the To/Cc/Bcc of one message: known together.

    Two colleagues on one Cc line are no one person, so this answers only whether the
    people the message went to hold both addresses. To and Cc are shown to everyone
    the message went to; a Bcc only to its sender and the providers, so a pair that
    needs a Bcc is ``providers`` evidence.
    """
    for key in ctx.numbers:
        shown = {a for a, _ in ctx.addresses(key, "to", "cc") if ctx.owner.owns(a)}
        hidden = {a for a, _ in ctx.addresses(key, "bcc") if ctx.owner.owns(a)} - shown
        # a message to many of them: a star around one that everyone it went to sees
        members = sorted(shown | hidden, key=lambda x: (x in hidden, x))
        for a, b in group_pairs(members):
            lines = [
                ctx.header_line(key, role, x)
                for x in (a, b)
                for role in RECIPIENT_ROLES
                if x in ctx.named_in(key, role)
            ]
            detail = " / ".join(lines)
            if a in hidden or b in hidden:
                senders = {x for x, _ in ctx.addresses(key, "from")}
                observers = tuple(sorted(senders | ctx.providers(key)))
                yield Evidence(a, b, "co-recipient", "bcc", detail, "providers", ctx.side((key,)),
                               observers=observers)  # fmt: skip
            else:
                yield Evidence(a, b, "co-recipient", "shown", detail, "message", ctx.side((key,)))


def _from_versus(ctx: Context, roles: tuple[str, ...], evidence: str) -> Iterator[Evidence]:
    """From against another header naming one person: Reply-To, Sender, Return-Path.

    Lists, bounce and role addresses in those headers are machinery, not a person, and
    so are an alias service's reply addresses: a forward's From is the owner's alias
    and its Reply-To routes answers to the original sender. A sender who never takes
    part in a conversation joins nobody: a scam's Reply-To sends the answers from a
    hijacked account to the scammer. Nor does a one-off sender's redirect to a free-mail
    mailbox that never writes (:func:`_scam_redirect`), even in what looks like a
    conversation: a scam may carry an In-Reply-To, and someone may answer it.
    """
    for key in ctx.numbers:
        for sender_address, _ in ctx.addresses(key, "from"):
            if not ctx.is_person(sender_address):
                continue
            if sender_address not in ctx.in_conversation and not ctx.owner.owns(sender_address):
                continue
            for role in roles:
                for other, _ in ctx.addresses(key, role):
                    if other == sender_address or not ctx.is_person(other):
                        continue
                    forwarded = alias_service(sender_address) or alias_service(other)
                    declared = ctx.owner.owns(sender_address) and ctx.owner.owns(other)
                    if forwarded and not declared:
                        continue
                    if (
                        role == "reply-to"
                        and not declared
                        and _scam_redirect(ctx, sender_address, other)
                    ):
                        continue
                    if base_mailbox(other) == base_mailbox(sender_address):
                        continue  # one mailbox: that is the subaddress rule
                    detail = (
                        f"{ctx.header_line(key, 'from', sender_address)} / "
                        f"{ctx.header_line(key, role, other)}"
                    )
                    pair = _pair(sender_address, other)
                    yield Evidence(*pair, evidence, role, detail, "message", ctx.side((key,)))


def _scam_redirect(ctx: Context, sender_address: str, other: str) -> bool:
    """A one-off sender whose answers go to another free-mail mailbox, one that never
    writes in the archive: "hotten@telkomsa.net" with Reply-To a gmail "claim agent".

    A person who gives their own free-mail address writes from it, or writes often
    enough from the other to be no one-off sender.
    """
    return (
        len(ctx.sent_by.get(sender_address, ())) <= _ONE_OFF_MESSAGES
        and other not in ctx.sent_by
        and is_public_provider(registrable_domain(domain_of(other)))
    )


def reply_to(ctx: Context) -> Iterator[Evidence]:
    """Reply-To names another identity than From."""
    yield from _from_versus(ctx, ("reply-to",), "reply-to")


def sender(ctx: Context) -> Iterator[Evidence]:
    """Sender: or the envelope Return-Path names another identity than From."""
    yield from _from_versus(ctx, ("sender", "return-path"), "sender")


def forwarding(ctx: Context) -> Iterator[Evidence]:
    """Delivered-To / X-Forwarded-To shows the mailbox behind the address mail was sent to.

    The topmost Delivered-To names the mailbox the mail ended in; the address it was
    sent to, X-Original-To, alias services' envelope headers and Delivered-To headers
    lower in the chain (a mailbox that forwarded it on) name where it went first.
    """
    for key in ctx.numbers:
        received = [a for a, _ in ctx.addresses(key, *_FORWARD_TARGET_ROLES) if ctx.owner.owns(a)]
        if not received:
            continue
        targets = set(received[:1])  # the first, topmost, is the final mailbox
        sources = {a for a, _ in ctx.addresses(key, *_FORWARD_SOURCE_ROLES)} | set(received[1:])
        sources |= {a for a, _ in ctx.addresses(key, "to", "cc") if ctx.owner.owns(a)}
        for source in sorted(sources):
            for target in sorted(targets):
                if source == target or not ctx.owner.owns(source):
                    continue
                if base_mailbox(source) == base_mailbox(target):
                    continue  # a sub-address: that is the subaddress rule
                observers = sorted(
                    {registrable_domain(domain_of(source)), registrable_domain(domain_of(target))}
                    | ctx.providers(key)
                )
                role = next(
                    r for r in _FORWARD_TARGET_ROLES
                    if any(a == target for a, _ in ctx.addresses(key, r))
                )  # fmt: skip
                detail = f"{ctx.header_line(key, role, target)} on mail to {source}"
                yield Evidence(
                    *_pair(source, target), "forwarding", role, detail, "providers",
                    ctx.side((key,)), observers=tuple(observers),
                )  # fmt: skip


def subaddress(ctx: Context) -> Iterator[Evidence]:
    """A tagged or respelled address is its mailbox: the tag hides nothing.

    Provider rules (:func:`~analyzer.addressing.base_mailbox`): ``+tag`` at most
    providers, ``-tag`` at Yahoo, Gmail's ignored dots and googlemail.com, Proton's
    equivalent domains, Fastmail's ``tag@user.fastmail.com``. Levels: ``tag`` (a
    sub-address) or ``spelling`` (another spelling of the same mailbox).
    """
    seen: dict[str, bool] = {}  # in order of first mention: the evidence's order
    for mentions in ctx.mentions:
        for _, address, _ in mentions:
            if address not in seen:
                seen[address] = ctx.owner.owns(address) or ctx.is_person(address)
    by_mailbox: dict[str, set[str]] = defaultdict(set)
    for address in [*(a for a, kept in seen.items() if kept), *ctx.owner.identities]:
        by_mailbox[base_mailbox(address)].add(address)
    # Only a mailbox seen in two spellings gives evidence: the places of the millions
    # of other mentions would be collected for nothing.
    respelled = {a for spellings in by_mailbox.values() if len(spellings) > 1 for a in spellings}
    respelled |= {a for a in seen if seen[a] and a != plain_form(a)}
    places: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for key, mentions in zip(ctx.numbers, ctx.mentions, strict=True):
        for role, address, _ in mentions:
            if address in respelled:
                places[address].append((key, role))
    for addresses in by_mailbox.values():
        untagged = sorted(a for a in addresses if a == plain_form(a))
        if untagged:
            mailbox = next((a for a in untagged if a in ctx.owner.identities), untagged[0])
        elif any(ctx.owner.owns(a) for a in addresses):
            mailbox = plain_form(min(addresses))  # the owner's mailbox, seen or not
        else:
            mailbox = min(addresses)  # other people's: only addresses that were seen
        spellings = sorted(addresses | {mailbox})
        if len(spellings) < 2:
            continue
        for address in spellings:
            if address == mailbox:
                continue
            tagged = plain_form(address).partition("@")[0] != address.partition("@")[0]
            level = "tag" if tagged else "spelling"
            for key, role in places.get(address, []):
                detail = f"{ctx.header_line(key, role, address)} (the mailbox is {mailbox})"
                pair = _pair(address, mailbox)
                if role in _SHOWN_ROLES:
                    yield Evidence(*pair, "subaddress", level, detail, "message", ctx.side((key,)))
                else:  # Delivered-To and the like: written by the receiving side
                    observers = tuple(sorted(ctx.providers(key)))
                    yield Evidence(
                        *pair, "subaddress", level, detail, "providers", ctx.side((key,)),
                        observers=observers,
                    )  # fmt: skip


def thread(ctx: Context) -> Iterator[Evidence]:
    """A thread that reached one identity and was answered from another: known together.

    On a list, everyone answers everyone's threads; a correspondent holds both
    addresses, which says nothing by itself about whether they are one person's.
    """
    for key, parent in ctx.parent_of.items():
        repliers = {a for a, _ in ctx.addresses(key, "from") if ctx.owner.owns(a)}
        reached = {a for a, _ in ctx.addresses(parent, *PARTY_ROLES) if ctx.owner.owns(a)}
        for replier in sorted(repliers):
            for other in sorted(reached - {replier}):
                if base_mailbox(other) == base_mailbox(replier):
                    continue
                detail = (
                    f"In-Reply-To: <{ctx.shown_id(parent)}> (to {other}) answered "
                    f"{ctx.header_line(key, 'from', replier)}"
                )
                yield Evidence(
                    *_pair(replier, other), "thread", "answered", detail, "cross",
                    ctx.side((parent,)), ctx.side((key,)),
                )  # fmt: skip


def _ties(ctx: Context, kinds: tuple[str, ...]) -> dict[str, set[str]]:
    """Key id → the addresses key material says hold it.

    A certificate names its addresses; an Autocrypt header names the address of its key
    and subkeys; a signature is its From's. A recipient key id alone says nothing about
    whose it is: mail clients also encrypt to the sender's own key.
    """
    ties: dict[str, set[str]] = defaultdict(set)
    for message_key, kind, key_id, addresses, _ in ctx.key_rows(*kinds):
        if kind.endswith("signer") and not len(addresses):
            ties[key_id] |= {a for a, _ in ctx.addresses(message_key, "from")}
        else:
            ties[key_id] |= set(addresses)
    return ties


def _same_key_under_two_addresses(
    ctx: Context, use_kinds: tuple[str, ...], tie_kinds: tuple[str, ...], evidence: str
) -> Iterator[Evidence]:
    """One key that two addresses hold, each on a message it appears on.

    A key counts for an address on a message only when key material ties it to that
    address and the address is on the message: as From for a signature, as a
    recipient or From for an encryption key.
    """
    ties = _ties(ctx, tie_kinds)
    by_key: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    details: dict[str, str] = {}
    for message_key, kind, key_id, _, detail in ctx.key_rows(*use_kinds):
        roles = ("from",) if kind.endswith("signer") else (*RECIPIENT_ROLES, "from")
        present = {a for a, _ in ctx.addresses(message_key, *roles)}
        for address in sorted(ties.get(key_id, set()) & present):
            by_key[key_id][address].append(message_key)
        details[key_id] = detail
    yield from _held_under_two(
        ctx, by_key, evidence, lambda key_id, a, b: f"{details[key_id]}: under {a} and under {b}"
    )


def _held_under_two(ctx: Context, by_key, evidence: str, describe) -> Iterator[Evidence]:
    """Cross-message evidence for each pair of addresses one key is held under."""
    for key_id, by_address in sorted(by_key.items()):
        people = sorted(a for a in by_address if ctx.owner.owns(a) or ctx.is_person(a))
        for a, b in group_pairs(people):
            yield Evidence(
                a, b, evidence, "same-key", describe(key_id, a, b), "cross",
                ctx.side(by_address[a]), ctx.side(by_address[b]),
            )  # fmt: skip


def smime_certificate(ctx: Context) -> Iterator[Evidence]:
    """A signer certificate naming several addresses, or one certificate under two."""
    for message_key, _, _, addresses, detail in ctx.key_rows("smime-signer"):
        for a, b in group_pairs(sorted(addresses)):
            yield Evidence(a, b, "smime-certificate", "names-both", detail, "message",
                           ctx.side((message_key,)))  # fmt: skip
        # a certificate for one address signing mail From another
        for sender_address, _ in ctx.addresses(message_key, "from"):
            if not ctx.is_person(sender_address):
                continue
            for named in sorted(set(addresses) - {sender_address}):
                yield Evidence(*_pair(sender_address, named), "smime-certificate",
                               "signs-for-other", f"{detail}; signs mail From {sender_address}",
                               "message", ctx.side((message_key,)))  # fmt: skip
    yield from _same_key_under_two_addresses(
        ctx, ("smime-signer",), ("smime-signer",), "smime-certificate"
    )
    yield from _same_key_under_two_addresses(
        ctx, ("smime-recipient",), ("smime-cert",), "smime-certificate"
    )


def pgp_key(ctx: Context) -> Iterator[Evidence]:
    """One OpenPGP key (a PKESK recipient or a signature issuer) under two addresses."""
    yield from _same_key_under_two_addresses(
        ctx, ("pgp-recipient", "pgp-signer"), ("autocrypt-key-id", "pgp-signer"), "pgp-key"
    )


def autocrypt(ctx: Context) -> Iterator[Evidence]:
    """One Autocrypt key announced under two addr values."""
    by_key: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for message_key, _, key_id, addresses, _ in ctx.key_rows("autocrypt"):
        for address in addresses:
            by_key[key_id][address].append(message_key)

    def describe(key_id: str, a: str, b: str) -> str:
        return f"Autocrypt: addr={a}; keydata=… and addr={b}; keydata=… (key {key_id})"

    yield from _held_under_two(ctx, by_key, "autocrypt", describe)
