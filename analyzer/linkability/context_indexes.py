"""The indexes over the frames that evidence rules read, built once per analysis.

Per message (a message is its row number): who it names in which role, its date and
time zone, who saw it (its parties: the people it went to), which organisations
handled it (its providers: the registrable domains of its Received hops), its sender's
own client address and mail client, and the key material it carries. Per address, built
on first use: the names it goes by, the messages it sent or appears on, the
correspondents it has. Archive-wide: the addresses of mailing lists, which are no
people, and the senders of unauthenticated one-off mail (spam personas), whose names
join nobody.

Only this module reads the frames; the rules read these indexes, and the memoised
answers over them (:mod:`.context_views`), through :class:`~.context.Context`.

A million messages must fit in a few hundred megabytes: per message there are lists and
arrays, not dicts keyed by message, and the messages evidence cites are arrays
(:data:`Messages`), so that counting who saw them is an array operation.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import groupby
from operator import itemgetter
from typing import Any, Self

import numpy as np
import pandas as pd

from analyzer.addressing import registrable_domain
from analyzer.frames import Frames, shared_values, value_rows
from analyzer.linkability.address_kinds import is_ip, is_person_address, is_public_ip
from analyzer.linkability.names import PersonName, parse_name
from analyzer.mailing_lists import archive_lists
from analyzer.owner import Owner
from analyzer.readable import text_items
from analyzer.vocabulary import PARTY_ROLES

__all__ = [
    "BROADCAST_PARTIES",
    "NO_MESSAGES",
    "ClientAddress",
    "ContextIndexes",
    "KeyRow",
    "Mention",
    "Messages",
    "sender_client_ips",
    "spans",
]

# a message with more people in From, To and Cc is a broadcast, not correspondence
BROADCAST_PARTIES = 100
# the headers of someone written to by another (spam writes to itself)
_ADDRESSED_ROLES = ("to", "cc", "delivered-to")

Mention = tuple[str, str, str | None]  # (role, address, display name) in one header
ClientAddress = tuple[str, str | None, str | None]  # (ip, reverse DNS, HELO)
KeyRow = tuple[int, str, str, Any, str]  # (message number, kind, key id, addresses, detail)

# a set of messages, as their positions in the archive's age order (ContextViews.side):
# sorted int32, oldest first. A side of a million messages is 4 MB and joins, counts and
# its oldest messages are array operations.
Messages = np.ndarray
NO_MESSAGES: Messages = np.empty(0, dtype=np.int32)
NO_MESSAGES.flags.writeable = False


def sender_client_ips(frames: Frames) -> dict[str, ClientAddress]:
    """Message key → the sender's own public address: ``(ip, reverse DNS, HELO)``.

    The sender's own is the client of an authenticated submission (ESMTPA, ESMTPSA, HTTP)
    or of a HELO with no dot in the oldest Received hop, or else an X-Originating-IP.
    """
    hops = frames.hops
    first = hops[hops["hop"] == 0]
    found: dict[str, ClientAddress] = {}
    for key, helo, ip, protocol, host in zip(first["message_key"], first["from_helo"],
                                             first["from_ip"], first["protocol"],
                                             first["from_host"], strict=True):  # fmt: skip
        helo, protocol = _text_or_none(helo), _text_or_none(protocol) or ""
        submitted = protocol.endswith("A") or (helo and "." not in helo) or protocol == "HTTP"
        if submitted and is_public_ip(ip):
            found[key] = (ip, _text_or_none(host), helo)
    messages = frames.messages
    for key, extra in zip(messages["message_key"], messages["x_originating_ip"], strict=True):
        if key not in found and isinstance(extra, str) and is_public_ip(extra):
            found[key] = (extra, None, None)
    return found


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _mentions_by_message(
    rows: Iterable[tuple[int, str, str, str | None]], count: int, one: Callable[[Any], Any]
) -> list[tuple[Mention, ...]]:
    """Per message number, its (role, address, display name) mentions, from participant
    rows: one pooled tuple per message, one pooled triple per distinct mention.

    A message's rows come one after the other in the store; rows of a message met again
    later are added to it.
    """
    mentions: list[tuple[Mention, ...]] = [()] * count
    current_key, current = -1, []
    for key, role, address, name in rows:
        if key != current_key:
            if current:
                mentions[current_key] += tuple(current)
            current_key, current = key, []
        current.append(one((role, address, name)))
    if current:
        mentions[current_key] += tuple(current)
    return mentions


def _numbered(values: list[Any], numbers: dict[Any, int]) -> np.ndarray:
    """Each value's number, counting the new distinct values from 0 in order of first
    appearance (``numbers`` may hold some already: ``None`` → -1)."""
    known = len(numbers)
    return np.fromiter(
        (numbers.setdefault(v, len(numbers) - known) for v in values),
        dtype=np.int32,
        count=len(values),
    )


def spans(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] .. starts[i] + sizes[i] - 1`` of every span, one after the
    other (an array's ragged rows gathered without a Python loop)."""
    return np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())


def _set_numbers(sets: list[frozenset[str]]) -> tuple[list[frozenset[str]], np.ndarray]:
    """The distinct non-empty sets, and each one's number among them (-1: empty)."""
    numbers: dict[frozenset[str], int] = {frozenset(): -1}
    of = _numbered(sets, numbers)
    distinct = [s for s, n in sorted(numbers.items(), key=lambda item: item[1]) if n >= 0]
    return distinct, of


def _epoch_seconds(dates: pd.Series) -> np.ndarray:
    """Seconds since the epoch of a column of timestamps, 0.0 where there is none (in
    whole seconds, as the store keeps them: no nanoseconds, whose range ends in 1677 and
    2262)."""
    seconds = dates.dt.as_unit("s").array.asi8.astype(float)
    seconds[dates.isna().to_numpy()] = 0.0
    return seconds


class _Pool(dict):
    """Equal immutable values (tuples, frozensets) kept once: ``pool(value)`` is the first
    one seen."""

    def __call__(self, value: Any) -> Any:
        return self.setdefault(value, value)


@dataclass
class ContextIndexes:
    """Per-message indexes of the frames, and per-address ones built on first use.

    A message is its number: its row in ``frames.messages``. The rules iterate messages
    in that order (the store's). A side of evidence numbers its messages by age instead
    (:meth:`~.context_views.ContextViews.side`), so that its oldest come first.
    """

    _frames: Frames = field(repr=False)  # read here only, while building the indexes
    owner: Owner
    message_id: list[str | None] = field(default_factory=list)  # None: it has none
    date: np.ndarray = field(default_factory=lambda: np.empty(0))  # epoch seconds, 0 undated
    tz: list[int | None] = field(default_factory=list)
    mentions: list[tuple[Mention, ...]] = field(default_factory=list)
    lists: frozenset[str] = frozenset()
    # one int object per message number, shared by every list of messages
    numbers: list[int] = field(default_factory=list, repr=False)
    # message number → its rank by age (oldest first, undated last); per rank: which
    # distinct Message-ID (numbered in text order), party set and provider set (-1: none)
    _age_rank: np.ndarray = field(default_factory=lambda: NO_MESSAGES, repr=False)
    _shown_of: np.ndarray = field(default_factory=lambda: NO_MESSAGES, repr=False)
    _shown_texts: np.ndarray = field(default_factory=lambda: NO_MESSAGES, repr=False)
    _ids_unique: bool = field(default=False, repr=False)  # no two messages share one
    # per rank: its parties (From, To, Cc but the owner's) as numbers of ``_party_names``,
    # ``_party_numbers[_party_starts[rank]:_party_starts[rank + 1]]``
    _party_starts: np.ndarray = field(default_factory=lambda: NO_MESSAGES, repr=False)
    _party_numbers: np.ndarray = field(default_factory=lambda: NO_MESSAGES, repr=False)
    _party_names: list[str] = field(default_factory=list, repr=False)
    _party_number: dict[str, int] = field(default_factory=dict, repr=False)
    _provider_set_of: np.ndarray = field(default_factory=lambda: NO_MESSAGES, repr=False)
    _provider_sets: list[frozenset[str]] = field(default_factory=list, repr=False)
    _providers: list[frozenset[str]] = field(default_factory=list, repr=False)  # by number
    _key_numbers: pd.Index = field(default_factory=lambda: pd.Index([]), repr=False)

    @classmethod
    def build(cls, frames: Frames, owner: Owner) -> Self:
        context = cls(frames, owner, lists=archive_lists(frames, is_person_address))
        messages = frames.messages
        count = len(messages)
        context.numbers = list(range(count))
        context._key_numbers = pd.Index(messages["message_key"])
        context.message_id = [m if isinstance(m, str) else None for m in messages["message_id"]]
        context.date = _epoch_seconds(messages["date_utc"])
        context.tz = shared_values(messages["tz_offset_min"])
        people = frames.participants
        one = _Pool()  # a million messages name a few thousand addresses: one object each
        numbers = context.numbers_of(people["message_key"])
        rows = value_rows(people, ("role", "address", "display_name"), first=numbers)
        context.mentions = _mentions_by_message(rows, count, one)
        owned = {a: owner.owns(a) for a in people["address"].dropna().unique()}
        # the parties of each message but the owner, as numbers of addresses, end to end
        address_number: dict[str, int] = {}
        parties, party_counts = array("i"), array("q")
        for found in context.mentions:
            before = len(parties)
            parties.extend(
                address_number.setdefault(a, len(address_number))
                for a in dict.fromkeys(a for role, a, _ in found if role in PARTY_ROLES)
                if not owned.get(a, False)
            )
            party_counts.append(len(parties) - before)
        context._party_names = list(address_number)
        context._party_number = address_number
        hops = frames.hops
        domains = {
            host: registrable_domain(host)
            for host in hops["by_host"].dropna().unique()
            if "." in host and not is_ip(host)
        }
        context._providers = [one(frozenset())] * count
        rows = value_rows(hops, ("by_host",), first=context.numbers_of(hops["message_key"]))
        for key, in_message in groupby(rows, key=itemgetter(0)):  # a message's hops together
            found = {domains[host] for _, host in in_message if host in domains}
            if found:
                context._providers[key] = one(context._providers[key] | found)
        context._number_by_age(
            messages["message_key"], np.frombuffer(parties, dtype=np.int32),
            np.frombuffer(party_counts, dtype=np.int64),
        )  # fmt: skip
        return context

    def numbers_of(self, message_keys: pd.Series) -> np.ndarray:
        """The message numbers of a column of message keys (-1 for a key not in messages)."""
        if isinstance(message_keys.dtype, pd.CategoricalDtype):
            found = self._key_numbers.get_indexer(message_keys.cat.categories)
            return np.where(message_keys.cat.codes >= 0, found[message_keys.cat.codes], -1)
        return self._key_numbers.get_indexer(message_keys)

    def _number_by_age(
        self, message_keys: pd.Series, parties: np.ndarray, party_counts: np.ndarray
    ) -> None:
        """Rank the messages by age (then Message-ID), and number each rank's Message-ID,
        party set and provider set."""
        shown = pd.Series(
            [m if m is not None else k for m, k in zip(self.message_id, message_keys, strict=True)],
            dtype=object,
        )
        # numbered in the order of their text, so that sorted numbers are sorted Message-IDs
        shown_numbers, texts = pd.factorize(shown, sort=True)
        undated_last = np.where(self.date == 0.0, np.inf, self.date)
        by_age = np.lexsort((shown_numbers, undated_last))  # message numbers, oldest first
        self._age_rank = np.empty(len(by_age), dtype=np.int32)
        self._age_rank[by_age] = np.arange(len(by_age), dtype=np.int32)
        self._shown_of = shown_numbers.astype(np.int32)[by_age]
        self._shown_texts = np.asarray(texts)
        self._ids_unique = len(texts) == len(shown_numbers)
        starts = np.cumsum(party_counts) - party_counts  # by message number
        counts = party_counts[by_age]
        self._party_starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self._party_starts[1:])
        self._party_numbers = parties[spans(starts[by_age], counts)]
        self._provider_sets, self._provider_set_of = _set_numbers(
            [self._providers[i] for i in by_age]
        )

    # -- per message ----------------------------------------------------------------
    def addresses(self, key: int, *roles: str) -> list[tuple[str, str | None]]:
        """A message's (address, display name) pairs in ``roles``, role by role."""
        found = self.mentions[key]
        return [(a, n) for role in roles for r, a, n in found if r == role]

    def providers(self, key: int) -> frozenset[str]:
        """The providers (registrable domains of its Received hops) that handled a message."""
        return self._providers[key]

    def shown_id(self, key: int) -> str:
        """A message's Message-ID, or its key where it has none."""
        return self.message_id[key] or self._key_numbers[key]

    def key_rows(self, *kinds: str) -> Iterator[KeyRow]:
        """The key material of ``kinds`` (every kind if none) the messages carry, in the
        store's order: (message number, kind, key id, addresses it names, detail)."""
        keys = self._frames.keys
        rows = keys[keys["kind"].isin(kinds)] if kinds else keys
        return zip(
            self.numbers_of(rows["message_key"]).tolist(), rows["kind"], rows["key_id"],
            rows["addresses"], rows["detail"], strict=True,
        )  # fmt: skip

    def sender_clients(self) -> dict[int, ClientAddress]:
        """Message number → its sender's own public address (:func:`sender_client_ips`).

        Made on each call, and not kept: the rule that reads it keeps what it derives.
        """
        by_key = sender_client_ips(self._frames)
        numbers = self.numbers_of(pd.Series(list(by_key), dtype=object)).tolist()
        return dict(zip(numbers, by_key.values(), strict=True))

    def mail_clients(self) -> dict[int, str]:
        """Message number → the mail client that wrote it: its User-Agent, else X-Mailer.

        Made on each call, and not kept: the rule that reads it keeps what it derives.
        """
        agents = {}
        for key, user_agent, mailer in self._frame_columns("user_agent", "x_mailer"):
            agent = user_agent if isinstance(user_agent, str) else mailer
            if isinstance(agent, str) and agent:
                agents[key] = agent
        return agents

    # -- per address, built on first use ---------------------------------------------
    @cached_property
    def sent_by(self) -> dict[str, list[int]]:
        """Message numbers by From address; a From naming several people is nobody's own."""
        senders: dict[str, list[int]] = defaultdict(list)
        for key in self.numbers:
            authors = self.addresses(key, "from")
            if len(authors) == 1:
                senders[authors[0][0]].append(key)
        return dict(senders)

    @cached_property
    def appearances(self) -> dict[str, list[int]]:
        """Message numbers by address, for every address in From, To or Cc."""
        found: dict[str, list[int]] = defaultdict(list)
        for key in self.numbers:
            for address in {a for a, _ in self.addresses(key, *PARTY_ROLES)}:
                found[address].append(key)
        return dict(found)

    @cached_property
    def names(self) -> dict[str, dict[PersonName, list[int]]]:
        """The personal names each address goes by, with the messages that show them.

        What a person calls themselves (From) and how others address them (To, Cc); not
        Reply-To or Sender, where a scam or an assistant writes someone else's name.
        """
        found: dict[str, dict[PersonName, list[int]]] = defaultdict(lambda: defaultdict(list))
        for key in self.numbers:
            for address, name in self.addresses(key, *PARTY_ROLES):
                parsed = parse_name(name)
                if parsed is not None and address not in self.lists:
                    found[address][parsed].append(key)
        return {address: dict(by_name) for address, by_name in found.items()}

    @cached_property
    def parent_of(self) -> dict[int, int]:
        """Each reply's nearest ancestor held in the archive: its In-Reply-To, else the last
        of its References the archive holds."""
        by_id = {mid: key for key, mid in zip(self.numbers, self.message_id, strict=True) if mid}
        found = {}
        for key, in_reply_to, references in self._frame_columns("in_reply_to", "references"):
            candidates = [in_reply_to] if isinstance(in_reply_to, str) else []
            candidates += reversed(text_items(references))
            parent = next((by_id[m] for m in candidates if m in by_id and by_id[m] != key), None)
            if parent is not None:
                found[key] = parent
        return found

    @cached_property
    def threaded(self) -> frozenset[int]:
        """Messages in a conversation: a reply to, or replied to by, another sender here.

        References that lead to no message of the archive prove nothing (spam carries
        made-up ones); a parent in the archive from someone else does.
        """
        sender = dict(self._frame_columns("from_addr"))
        conversation: set[int] = set()
        for key, parent in self.parent_of.items():
            if sender.get(parent) != sender.get(key):
                conversation.update((key, parent))
        return frozenset(conversation)

    @cached_property
    def failed_authentication(self) -> frozenset[int]:
        """Messages whose receiver says the sender's domain did not vouch for them.

        ``dmarc=fail`` or ``spf=fail`` in the Authentication-Results the receiving server
        wrote. A missing signature is no failure: old mail and many small domains sign
        nothing, and mailing lists break the signatures they pass on.
        """
        failing = re.compile(r"\b(?:dmarc|spf)=fail\b", re.IGNORECASE)
        return frozenset(
            key
            for key, results in self._frame_columns("auth_results")
            if isinstance(results, str) and failing.search(results)
        )

    @cached_property
    def spam_senders(self) -> frozenset[str]:
        """Senders that never take part in a conversation and fail their domain's authentication.

        Their mail says nothing about who they are: the From of such mail is forged or
        hijacked, and its names, Reply-To and machines are somebody else's.
        """
        failed = self.failed_authentication
        return frozenset(
            address
            for address, keys in self.sent_by.items()
            if address not in self.in_conversation and all(key in failed for key in keys)
        )

    @cached_property
    def in_conversation(self) -> frozenset[str]:
        """Addresses that take part in a conversation.

        On a message of a conversation found in the archive, or the sender of a reply
        (In-Reply-To) to mail the archive may not hold: a sample of a list keeps a
        developer's answers without the questions.
        """
        found = {
            address for key in self.threaded for address, _ in self.addresses(key, *PARTY_ROLES)
        }
        for _, sender, in_reply_to in self._frame_columns("from_addr", "in_reply_to"):
            if isinstance(in_reply_to, str) and isinstance(sender, str):
                found.add(sender)
        return frozenset(found)

    @cached_property
    def key_holders(self) -> frozenset[str]:
        """Addresses that sign mail or announce a key: a lasting identity, no throwaway."""
        found: set[str] = set()
        for key, kind, _, addresses, _ in self.key_rows():
            if kind.endswith("signer") and not len(addresses):
                found.update(a for a, _ in self.addresses(key, "from"))
            elif kind in ("autocrypt", "smime-signer"):
                found.update(addresses)
        return frozenset(found)

    @cached_property
    def persona_names(self) -> frozenset[PersonName]:
        """Names a spam persona writes under: two or more mailboxes, no conversation.

        One persona ("Tayeb Souami") writes from many victims' or throwaway accounts,
        and hijacked accounts pass their domain's authentication; what gives it away is
        one name on several mailboxes that nobody writes to, that answer nobody and that
        sign nothing.
        """
        lasting = set(self.in_conversation | self.key_holders)
        for mentions in self.mentions:  # written to by someone else (spam writes to itself)
            senders = {a for role, a, _ in mentions if role == "from"}
            lasting.update(
                a for role, a, _ in mentions if role in _ADDRESSED_ROLES and a not in senders
            )
        holders: dict[PersonName, set[str]] = defaultdict(set)
        talking: set[PersonName] = set()
        for address, by_name in self.names.items():
            if address not in self.sent_by:
                continue
            for name in by_name:
                holders[name].add(address)
                if address in lasting:
                    talking.add(name)
        return frozenset(n for n, a in holders.items() if len(a) >= 2 and n not in talking)

    @cached_property
    def correspondents(self) -> dict[str, Counter[str]]:
        """For each address, the people it exchanged mail with, by messages (no lists).

        A broadcast (more than :data:`BROADCAST_PARTIES` in From, To and Cc) is no
        correspondence: it says little about anyone's circle, and counting its pairs
        would grow with the square of its recipients.
        """
        found: dict[str, Counter[str]] = defaultdict(Counter)
        for mentions in self.mentions:
            present = {a for role, a, _ in mentions if role in PARTY_ROLES}
            if len(present) > BROADCAST_PARTIES:
                continue
            people = {a for a in present if a not in self.lists and is_person_address(a)}
            for address in present:
                for other in people - {address}:
                    found[address][other] += 1
        return dict(found)

    def _frame_columns(self, *columns: str) -> Iterator[tuple[Any, ...]]:
        """(message number, the message's value in each of ``columns``), message by message."""
        messages = self._frames.messages
        return zip(self.numbers, *(messages[c] for c in columns), strict=True)
