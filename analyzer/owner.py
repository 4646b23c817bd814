"""Whose mailbox is this? The owner's identities, given or detected, and how.

Given: ``--me ADDR`` (repeatable) and ``--me-domain DOMAIN`` (a catch-all custom
domain: every address at it is the owner's). Detected: the receiving side names the
owner (Delivered-To, X-Original-To, Envelope-To, X-Forwarded-To, alias services'
envelope headers), sent mail names them in From, and an alias-service address that
mail was delivered through is theirs. Sub-addresses of an owner address are the owner's
too. ``Owner.how`` says which of these found what. When those addresses make more
mailboxes than one person has (:data:`MAX_MAILBOXES`: a server's Maildir, a journal, a
bounce collection), the archive is read as many people's mail, with no owner, as a
mailing list's is, and ``Owner.how`` says so in one line.

Only the receiving headers the owner's own mailbox provider wrote count: the topmost
block, above the Received header of the last hop. A mailing list writes Delivered-To
and X-Original-To lower in the chain before it redistributes; those name the list,
and list addresses (List-Post, List-Id, bounce addresses) are never the owner's.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.addressing import (
    alias_service,
    base_mailbox,
    domain_of,
    plain_form,
)
from analyzer.errors import UsageError
from analyzer.frames import Frames, key_mask
from analyzer.mailing_lists import is_list_role_address, list_addresses
from analyzer.owner_names import named_like_owner
from analyzer.owner_sent import Delegate, delegates_of, sent_messages, sent_senders
from analyzer.readable import readable_frames
from analyzer.vocabulary import ALIAS_ENVELOPE_ROLES, RECEIVING_ROLES

__all__ = [
    "MAX_MAILBOXES",
    "Candidates",
    "Delegate",
    "Owner",
    "detect_owner",
    "owner_candidates",
    "received_keys",
    "sent_keys",
]

# a mailbox, not a phrase: ezmlm writes "Delivered-To: mailing list x@y", old mail bare names
_ADDR_SPEC = re.compile(r"[^@\s<>()\[\],;:\\\"]+@[^@\s<>()\[\],;:\\\"]+\.[^@\s<>()\[\],;:\\\"]+")
# the final mailbox a message was delivered to (X-Original-To names the address before)
_FINAL_ROLES = ("delivered-to", "envelope-to", "x-forwarded-to")
# detection keeps at most this many addresses, those most often named the owner's
MAX_DETECTED = 100
# more mailboxes than this are many people's mail, not one person's: one person receives
# at a handful (the sample mailbox: 2, with 7 addresses; real mail sets of many people
# from 13 up, benchmarks/README.md)
MAX_MAILBOXES = 10
# a detected mailbox keeps a list's archive when at least this share of the mail came
# through lists and it wrote at most this share itself (of at least this many messages)
LIST_ARCHIVE_SHARE = 0.5
MAX_ARCHIVER_SHARE = 0.01
MIN_ARCHIVE_MESSAGES = 20


@dataclass(frozen=True)
class Owner:
    identities: tuple[str, ...]
    domains: tuple[str, ...] = ()
    how: str = "given"
    evidence: dict[str, int] = field(default_factory=dict)
    # the mailboxes that receive mail here, when more than one person has (no owner then)
    mailboxes: int = 0
    # given addresses no header names, each with the closest addresses the headers do name
    unseen: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the mailbox that keeps a list's archive, detected as such (no owner then)
    archived_by: tuple[str, ...] = ()
    # read as an archive because the user asked (--archive)
    archive_asked: bool = False
    # people who send for the owner (from the owner's sent mail, or as its Sender): never
    # the owner's identities (analyzer.owner_sent)
    delegates: tuple[Delegate, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_set", frozenset(self.identities))
        object.__setattr__(self, "_bases", frozenset(base_mailbox(a) for a in self.identities))
        object.__setattr__(self, "_answers", {})

    def owns(self, address: str) -> bool:
        answers: dict[str, bool] = self._answers  # type: ignore[attr-defined]
        known = answers.get(address)
        if known is None:
            known = answers[address] = (
                address in self._set  # type: ignore[attr-defined]
                or bool(self.domains and domain_of(address) in self.domains)
                or base_mailbox(address) in self._bases  # type: ignore[attr-defined]
            )
        return known


def _expand(
    seeds: Iterable[str],
    addresses: Iterable[str],
    domains: tuple[str, ...],
    lists: frozenset[str] = frozenset(),
) -> set[str]:
    """The seeds, every address at an owner domain, and sub-addresses of the seeds.

    Addresses of mailing lists and their bounce machinery are nobody's identity.
    """

    def usable(address: str) -> bool:
        return bool(_ADDR_SPEC.fullmatch(address)) and not (
            address in lists or plain_form(address) in lists or is_list_role_address(address)
        )

    seeds = {a for a in seeds if usable(a)}
    addresses = [a for a in addresses if usable(a)]
    bases = {base_mailbox(a) for a in seeds}
    found = set(seeds)
    for address in addresses:
        if domain_of(address) in domains or base_mailbox(address) in bases:
            found.add(address)
    return found


def _closest(address: str, addresses: Iterable[str]) -> tuple[str, ...]:
    """The addresses the headers name that look most like one given (a typo's fix)."""
    return tuple(difflib.get_close_matches(address, list(addresses), n=3, cutoff=0.8))


def _not_seen(address: str, closest: tuple[str, ...]) -> str:
    if not closest:
        return address
    return f"{address} (did you mean {' or '.join(closest)}?)"


ARCHIVE_GIVEN = "given: --archive, read as an archive of many people's mail"


def detect_owner(
    frames: Frames,
    me: Iterable[str] = (),
    me_domains: Iterable[str] = (),
    *,
    archive: bool = False,
) -> Owner:
    """The owner's identities: given, or detected from the headers (see module doc).

    ``archive`` reads the mail as many people's, with no owner, whatever the headers say.
    """
    me, me_domains = tuple(me), tuple(me_domains)
    if archive:
        if me or me_domains:
            raise UsageError("--archive reads the mail as nobody's: give it without --me")
        return Owner((), (), ARCHIVE_GIVEN, archive_asked=True)
    frames = readable_frames(frames)
    people = frames.participants
    domains = tuple(sorted({d.lower().lstrip("@") for d in me_domains}))
    every_address = people["address"].dropna().unique()
    lists = list_addresses(frames)
    receiving = _topmost_receiving(people)
    given = [a.strip().lower() for a in me]
    if given or domains:
        seen = set(every_address)
        identities = _expand(given, every_address, domains)
        forwarded = _expand(_aliases_forwarding_to(receiving, identities, domains), (), (), lists)
        found = sum(1 for a in given if a in seen)
        # a mailbox shows through its tags too (jane+shop@ for jane@)
        shown = {base_mailbox(a) for a in identities if a in seen}
        unseen = tuple(
            (a, _closest(a, every_address)) for a in given if base_mailbox(a) not in shown
        )
        if given and len(unseen) == len(given) and not (identities & seen):
            raise UsageError(
                "none of the addresses given with --me appears in any header of this mail: "
                + "; ".join(_not_seen(a, near) for a, near in unseen)
            )
        how = (
            f"given ({found} of {len(given)} addresses appear in the headers)" if given else "given"
        )
        if unseen:
            how += "; not seen: " + "; ".join(_not_seen(a, near) for a, near in unseen)
        if domains:
            how += f"; catch-all domains {', '.join(domains)}"
        if forwarded - identities:
            how += f"; plus {len(forwarded - identities)} aliases that forward to them"
        # what the user names is theirs, even an old dotless "raju@bhairavi"
        named = {a for a in given if re.fullmatch(r"[^@\s]+@[^@\s]+", a)}
        identities = _expand(identities | forwarded, every_address, domains) | named
        owner = Owner(tuple(sorted(identities)), domains, how, unseen=unseen)
        sent = sent_messages(frames.messages)
        found = delegates_of(frames.messages, people, sent, owner.owns, lists)
        delegates = _not_theirs(found, owner)
        return dataclasses.replace(owner, delegates=delegates) if delegates else owner

    candidates = _candidates(frames, people, receiving, lists)
    seeds, evidence = candidates.seeds, candidates.evidence
    if candidates.mailboxes > MAX_MAILBOXES:
        # mail of many people (a server's Maildir, a journal, a bounce collection), not
        # one person's with thousands of addresses: read as an archive, as a list's is
        how = (
            f"detected: {candidates.mailboxes:,} mailboxes receive mail here, too many for "
            "one person: read as an archive of many people's mail (name yours with --me)"
        )
        return Owner((), domains, how, dict(evidence), candidates.mailboxes)
    if len(seeds) > MAX_DETECTED:
        # hundreds of addresses of a handful of mailboxes (a catch-all domain): keep the
        # most named, say so
        left_out = len(seeds) - MAX_DETECTED
        seeds = Counter(dict(sorted(seeds.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_DETECTED]))
        evidence["more addresses on fewer messages, left out (name yours with --me)"] = left_out

    identities = _expand(seeds, every_address, domains, lists)
    if len(identities) > len(seeds):
        evidence["sub-addresses of those"] = len(identities) - len(seeds)
    archive = _list_archive(frames.messages, identities)
    if archive:
        return Owner((), domains, archive, dict(evidence), archived_by=tuple(sorted(identities)))
    parts = ", ".join(f"{name} ({count})" for name, count in sorted(evidence.items()))
    how = f"detected: {parts}" if parts else "detected: nothing names an owner"
    owner = Owner(tuple(sorted(identities)), domains, how, dict(evidence))
    return dataclasses.replace(owner, delegates=_not_theirs(candidates.delegates, owner))


def _not_theirs(delegates: Iterable[Delegate], owner: Owner) -> tuple[Delegate, ...]:
    """Delegates that are not the owner: Gmail's "send mail as" writes the owner's own
    mailbox into Sender, which is no one sending for them."""
    return tuple(d for d in delegates if owner.identities and not owner.owns(d.address))


def _list_archive(messages: pd.DataFrame, identities: set[str]) -> str:
    """Why the detected mailbox keeps a list's archive rather than its owner's mail ("" when
    it does not): most of the mail came through mailing lists, and the mailbox never
    writes (a public-inbox mirror, lfdr.de's subscriber)."""
    total = len(messages)
    if not identities or total < MIN_ARCHIVE_MESSAGES:
        return ""
    listed = int((messages["list_id"].notna() | messages["list_post"].notna()).sum())
    senders = messages["from_addr"].astype(object)
    sent = int(senders.isin(identities).sum())
    if listed < LIST_ARCHIVE_SHARE * total or sent > MAX_ARCHIVER_SHARE * total:
        return ""
    return (
        f"detected: {', '.join(sorted(identities)[:3])} received this mail, {listed:,} of "
        f"{total:,} messages through mailing lists, and wrote {sent:,} of them: read as a "
        "mailing list's archive that mailbox keeps (name yours with --me)"
    )


@dataclass(frozen=True)
class Candidates:
    """What the headers name the owner's, before detection decides."""

    seeds: Counter[str]  # address → messages that name it the owner's
    evidence: Counter[str]  # what named them → how many times
    mailboxes: int  # how many mailboxes, people's or machines', those addresses make
    delegates: tuple[Delegate, ...] = ()  # people who send for the owner, not the owner


def owner_candidates(frames: Frames) -> Candidates:
    """The addresses the receiving headers, sent mail and alias services name the owner's.

    Addresses of one mailbox count as one: sub-addresses of it, and, on one delivered
    message, the addresses it came through (X-Original-To, an alias service's) with the
    one mailbox it was delivered to (Delivered-To, Envelope-To, X-Forwarded-To).
    """
    frames = readable_frames(frames)
    people = frames.participants
    return _candidates(frames, people, _topmost_receiving(people), list_addresses(frames))


def _candidates(
    frames: Frames, people: pd.DataFrame, receiving: pd.DataFrame, lists: frozenset[str]
) -> Candidates:
    evidence: Counter[str] = Counter()
    seeds: Counter[str] = Counter()
    kept = []
    for role, address in zip(receiving["role"], receiving["address"], strict=True):
        listed = address in lists or is_list_role_address(address)
        kept.append(not listed)
        if listed:
            evidence[f"{role} of a list, left out"] += 1
            continue
        seeds[address] += 1
        evidence[role] += 1

    # sent mail (a Sent label or folder) names the owner in From: the leading address and
    # those named like it, not every assistant who sent from the mailbox
    written = sent_messages(frames.messages)
    senders = sent_senders(frames.messages, people, written, set(seeds), lists)
    for address, count in senders.owners.items():
        seeds[address] += count
        evidence["from of sent messages"] += count
    if senders.delegates:
        evidence["people who send for the owner, left out"] = len(senders.delegates)
    if senders.one_off:
        evidence["one-off senders of sent messages, left out"] = senders.one_off

    # the owner's other addresses by the name in them: a home address that writes to them
    # (these join the owner's mailboxes, so they count as no mailbox of their own)
    named = named_like_owner(frames.messages, people, set(seeds), written, lists)
    for address, count in named.items():
        seeds[address] += count
        evidence["named like the owner, mail passes between them"] += count

    # an alias-service address the mail to one of the owner's mailboxes was sent to
    delivered = set(receiving["message_key"])
    to_or_cc = people["role"].isin(("to", "cc"))
    addressed = people[key_mask(people["message_key"], delivered) & to_or_cc]
    aliases = []
    for address in addressed["address"]:
        aliases.append(bool(alias_service(address)))
        if aliases[-1]:
            seeds[address] += 1
            evidence["alias-service recipient"] += 1

    columns = ["message_key", "address"]
    kept_rows = receiving[np.array(kept, dtype=bool)]
    final = kept_rows["role"].isin(_FINAL_ROLES).to_numpy()
    came_through = pd.concat(
        [kept_rows.loc[~final, columns], addressed.loc[np.array(aliases, dtype=bool), columns]]
    )
    mailboxes = _mailboxes(
        (a for a in seeds if a not in named), kept_rows.loc[final, columns], came_through
    )
    return Candidates(seeds, evidence, mailboxes, senders.delegates)


def _mailboxes(
    addresses: Iterable[str], delivered_to: pd.DataFrame, came_through: pd.DataFrame
) -> int:
    """How many mailboxes ``addresses`` make (connected components, union-find).

    One mailbox: an address and its sub-addresses; a message's one final mailbox and the
    addresses it came through (a catch-all's X-Original-To, an alias). A message
    delivered to several mailboxes at once (a journal's Envelope-To) joins none of them.
    Both frames hold (message_key, address) rows.
    """
    parent: dict[str, str] = {}

    def root(address: str) -> str:
        top = address
        while parent.setdefault(top, top) != top:
            top = parent[top]
        while parent[address] != top:  # path halving keeps the trees flat
            parent[address], address = top, parent[address]
        return top

    def join(a: str, b: str) -> None:
        parent[root(a)] = root(b)

    addresses = list(addresses)
    for address in addresses:
        join(address, base_mailbox(address))
    finals = delivered_to.drop_duplicates()
    one_final = finals[~finals.duplicated("message_key", keep=False)]
    joined = came_through.merge(one_final, on="message_key", suffixes=("", "_final"))
    for address, final in (
        joined[["address", "address_final"]].drop_duplicates().itertuples(index=False)
    ):
        join(address, final)
    return len({root(a) for a in addresses})


def _topmost_receiving(people: pd.DataFrame) -> pd.DataFrame:
    """Receiving headers the owner's providers wrote, and alias services' headers.

    Per message, the Delivered-To / X-Original-To / Envelope-To / X-Forwarded-To with the
    fewest Received headers above them: those of the owner's own mailbox provider. A
    mailbox lower in the chain counts when the message says it was forwarded from there
    (X-Forwarded-For / X-Forwarded-To name it, as Gmail writes when it forwards); a
    list's own Delivered-To says no such thing.
    """
    receiving = people[people["role"].isin(RECEIVING_ROLES)]
    above = receiving["received_above"].fillna(0).astype(int)
    topmost = above == above.groupby(receiving["message_key"]).transform("min")
    forwarding = people[people["role"].isin(("x-forwarded-for", "x-forwarded-to"))]
    forwarded = set(zip(forwarding["message_key"], forwarding["address"], strict=True))
    named = pd.Series(
        [(k, a) in forwarded for k, a in zip(receiving["message_key"], receiving["address"],
                                              strict=True)],
        index=receiving.index, dtype=bool,
    )  # fmt: skip
    aliases = people[people["role"].isin(ALIAS_ENVELOPE_ROLES)]
    return pd.concat([receiving[topmost | named], aliases])


def _aliases_forwarding_to(
    receiving: pd.DataFrame, mine: set[str], domains: tuple[str, ...]
) -> set[str]:
    """Alias addresses of mail that the owner's provider delivered to one of ``mine``."""
    ours = [a in mine or domain_of(a) in domains for a in receiving["address"]]
    delivered = receiving[(receiving["role"] == "delivered-to") & pd.Series(ours, receiving.index)]
    keys = set(delivered["message_key"])
    named = receiving[
        key_mask(receiving["message_key"], keys)
        & receiving["role"].isin((*ALIAS_ENVELOPE_ROLES, "x-original-to"))
    ]
    return set(named["address"])


# -- the owner's mail ---------------------------------------------------------------------
def received_keys(frames: Frames, owner: Owner) -> set[str]:
    """Messages a receiving header (Delivered-To and the like) says reached the owner."""
    people = frames.participants
    receiving = people[people["role"].isin(RECEIVING_ROLES)]
    owned = receiving["address"].map(owner.owns).astype(bool)
    return set(receiving.loc[owned, "message_key"])


def sent_keys(frames: Frames, owner: Owner) -> set[str]:
    """Messages the owner wrote: From is theirs, and it is no alias service's rewritten
    From on mail the service forwarded to them."""
    received = received_keys(frames, owner)
    messages = frames.messages
    sent = set()
    for key, sender in zip(messages["message_key"], messages["from_addr"], strict=True):
        if not isinstance(sender, str) or not owner.owns(sender):
            continue
        if alias_service(sender) and key in received:
            continue  # forwarded to the owner, not written by them
        sent.add(key)
    return sent
