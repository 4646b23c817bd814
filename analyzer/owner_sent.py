"""Who wrote the mail in the owner's sent folder: the owner, and the people who send for them.

A sent folder (Gmail's Sent label, a folder named Sent, Sent Items, ``X-Folder: …\\Sent
Items``: :mod:`analyzer.extract.folders`) holds what was sent from the mailbox, not only
what its owner wrote: an assistant sends from the boss's mailbox under their own
address, a colleague's one message lands there. Reading every From of it as the owner's
made each assistant "the owner". So one address leads, the owner's (:func:`sent_senders`),
and the others count as the owner's only when their name says so; those who send
repeatedly under another name, or who the Sender header says sent the owner's mail, are
reported as delegates: people who send for the owner, never the owner.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass

import pandas as pd

from analyzer.frames import key_mask
from analyzer.mailing_lists import is_list_role_address
from analyzer.vocabulary import RECEIVING_ROLES, SENT

__all__ = [
    "MIN_DELEGATE_MESSAGES",
    "Delegate",
    "SentSenders",
    "delegates_of",
    "sent_messages",
    "sent_senders",
]

# an address that sent fewer messages than this from the owner's sent folder, under
# another name, is a one-off (a forward, a shared draft), neither the owner nor a delegate
MIN_DELEGATE_MESSAGES = 2
# the owner's address leads among those that sent at least this share of the sent mail
LEADING_SHARE = 0.05
_ON_BEHALF = re.compile(r"\bon behalf of\b", re.IGNORECASE)
_NAME_TOKEN = re.compile(r"[^\W\d_]+")
# words of local parts and names that name no person
_NOT_NAMES = frozenset({"mail", "email", "info", "admin", "office", "the", "and", "jr", "sr"})


@dataclass(frozen=True)
class Delegate:
    """Someone who sends for the owner: from the owner's mailbox, or as the Sender of the
    owner's mail. ``how`` says which, in mxa's words."""

    address: str
    messages: int
    how: str

    def as_dict(self) -> dict[str, object]:
        return {"address": self.address, "messages": self.messages, "how": self.how}


@dataclass(frozen=True)
class SentSenders:
    """The sent mail's senders, sorted: the owner's addresses, delegates, one-offs."""

    owners: Counter[str]  # address → sent messages from it
    delegates: tuple[Delegate, ...]
    one_off: int  # addresses that sent a message or so there, under another name


def sent_messages(messages: pd.DataFrame) -> set[str]:
    """Keys of the messages filed as sent: Gmail's Sent label or a sent folder."""
    labels = messages["gmail_labels"].fillna("").astype(str)
    sent = labels.str.contains(r"(?:^|,)\s*\\?Sent(?:,|$)", regex=True).to_numpy(dtype=bool)
    if "folder_role" in messages:  # a store made before folders were kept has none
        sent = sent | (messages["folder_role"].astype(object) == SENT).to_numpy(dtype=bool)
    return set(messages.loc[sent, "message_key"])


def _tokens(text: str | None) -> set[str]:
    words = _NAME_TOKEN.findall((text or "").casefold())
    return {w for w in words if len(w) >= 3 and w not in _NOT_NAMES}


def _within(some: set[str], other: set[str]) -> bool:
    return bool(some) and all(any(o.startswith(s) or s.startswith(o) for o in other) for s in some)


def _same_words(theirs: set[str], ours: set[str]) -> bool:
    """Every word of one is a word of the other, or the start of one: horton and
    stanley.horton, c..giron and darron.giron, stan and stanley."""
    return _within(theirs, ours) or _within(ours, theirs)


def _named_like(address: str, names: set[str], leader: str, leader_names: set[str]) -> bool:
    """Whether an address's user name or From names say it is the leader's person: c..giron
    and horton for darron.giron and stanley.horton, 'Jane Doe' at two providers."""
    local, leader_local = address.rpartition("@")[0], leader.rpartition("@")[0]
    if _same_words(_tokens(local), _tokens(leader_local)):
        return True
    return any(_same_words(_tokens(n), set().union(*map(_tokens, leader_names))) for n in names)


def _sent_from(
    messages: pd.DataFrame, sent: Collection[str], lists: Collection[str]
) -> tuple[pd.DataFrame, list[tuple[str, object]]]:
    """The sent messages, and their (From address, From name) but a list's."""
    frame = messages[key_mask(messages["message_key"], sent)]
    senders = [
        (a, n)
        for a, n in zip(frame["from_addr"].astype(object), frame["from_name"].astype(object),
                        strict=True)
        if isinstance(a, str) and a not in lists and not is_list_role_address(a)
    ]  # fmt: skip
    return frame, senders


def sent_senders(
    messages: pd.DataFrame,
    people: pd.DataFrame,
    sent: Collection[str],
    received_by: Collection[str],
    lists: Collection[str],
) -> SentSenders:
    """Sort the From addresses of the ``sent`` messages into the owner's and delegates.

    The owner's address leads: of those that sent a fair share of the sent mail, the one
    the rest of the mail is most addressed to (an assistant may write most of a boss's
    sent mail, the boss still receives it), then the one that sent most. The addresses the
    receiving headers name (``received_by``) and those named like the leader are the
    owner's too; others that sent repeatedly are delegates, the rest one-offs.
    """
    frame, senders = _sent_from(messages, sent, lists)
    counts = Counter(a for a, _ in senders)
    if not counts:
        return SentSenders(Counter(), (), 0)
    names = _names(senders)
    addressed = _addressed_counts(people, sent, set(counts))
    total = sum(counts.values())
    leading = [a for a, n in counts.items() if n >= max(2, LEADING_SHARE * total)] or list(counts)
    leader = max(leading, key=lambda a: (addressed[a], counts[a], a))
    leader_names = names.get(leader, set())
    owners = Counter(
        {
            address: sent_here
            for address, sent_here in counts.items()
            if address == leader
            or address in received_by
            or _named_like(address, names.get(address, set()), leader, leader_names)
        }
    )
    delegates, one_off = _others(frame, people, senders, owners, lists)
    return SentSenders(owners, delegates, one_off)


def delegates_of(
    messages: pd.DataFrame,
    people: pd.DataFrame,
    sent: Collection[str],
    owns: Callable[[str], bool],
    lists: Collection[str],
) -> tuple[Delegate, ...]:
    """The people who send for an owner whose addresses are known (given with --me): an
    address named like one of theirs (horton@ beside stanley.horton@) is none."""
    frame, senders = _sent_from(messages, sent, lists)
    counts = Counter(a for a, _ in senders)
    names = _names(senders)
    mine = [a for a in counts if owns(a)]
    owners = Counter(
        {
            a: n
            for a, n in counts.items()
            if a in mine
            or any(_named_like(a, names.get(a, set()), o, names.get(o, set())) for o in mine)
        }
    )
    return _others(frame, people, senders, owners, lists)[0] if owners else ()


def _names(senders: list[tuple[str, object]]) -> dict[str, set[str]]:
    """Each address's From names, but "X on behalf of Y" (someone else's name in it)."""
    names: dict[str, set[str]] = {}
    for address, name in senders:
        if isinstance(name, str) and name.strip() and not _ON_BEHALF.search(name):
            names.setdefault(address, set()).add(name)
    return names


def _others(
    frame: pd.DataFrame,
    people: pd.DataFrame,
    senders: list[tuple[str, object]],
    owners: Counter[str],
    lists: Collection[str],
) -> tuple[tuple[Delegate, ...], int]:
    """Delegates among the sent mail's other senders, and how many sent a message or so."""
    counts = Counter(a for a, _ in senders)
    behalf = {a for a, n in senders if isinstance(n, str) and _ON_BEHALF.search(n)}
    total = sum(counts.values())
    delegates, one_off = [], 0
    for address, sent_here in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if address in owners:
            continue
        if sent_here >= MIN_DELEGATE_MESSAGES or address in behalf:
            said = "'on behalf of' you" if address in behalf else "under another name than yours"
            how = f"sent {sent_here:,} of the {total:,} messages in your sent mail, {said}"
            delegates.append(Delegate(address, sent_here, how))
        else:
            one_off += 1
    delegates += _senders_for(frame, people, owners, lists, {d.address for d in delegates})
    return tuple(delegates), one_off


def _addressed_counts(people: pd.DataFrame, sent: Collection[str], addresses: set[str]) -> Counter:
    """How many messages outside the sent mail each address receives (To, Cc, Delivered-To)."""
    roles = people["role"].astype(object).isin(("to", "cc", *RECEIVING_ROLES)).to_numpy()
    received = people[roles & ~key_mask(people["message_key"], sent)]
    rows = received[received["address"].astype(object).isin(addresses).to_numpy()]
    pairs = set(zip(rows["message_key"].astype(object), rows["address"].astype(object),
                    strict=True))  # fmt: skip
    return Counter(address for _, address in pairs)


def _senders_for(
    frame: pd.DataFrame,
    people: pd.DataFrame,
    owners: Counter[str],
    lists: Collection[str],
    known: set[str],
) -> list[Delegate]:
    """Delegates the Sender header names on the owner's sent mail (Outlook's "X on behalf
    of Y" is From: Y, Sender: X)."""
    mine = frame[frame["from_addr"].astype(object).isin(set(owners)).to_numpy()]
    rows = people[
        (people["role"].astype(object) == "sender").to_numpy()
        & key_mask(people["message_key"], set(mine["message_key"]))
    ]
    counts = Counter(
        a
        for a in rows["address"].astype(object)
        if isinstance(a, str)
        and a not in owners
        and a not in known
        and a not in lists
        and not is_list_role_address(a)
    )
    return [
        Delegate(a, n, f"the Sender header of {n:,} of your sent messages sent from your address")
        for a, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
