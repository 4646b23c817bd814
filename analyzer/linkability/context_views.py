"""Answers derived from the context's indexes, each remembered once asked.

The aggregator asks the same questions of one side of evidence many times (how many of
its messages each party or provider saw, its oldest messages, its Message-IDs), and the
rules ask the same of one address or one header (is it a person, what name does it go
by there): the answers are kept here, within bounds, over the indexes
(:mod:`.context_indexes`), which they never change.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analyzer.addressing import is_public_provider, plain_form, registrable_domain
from analyzer.linkability.address_kinds import OWN_DOMAIN_LOCAL_PARTS, is_person_address
from analyzer.linkability.context_indexes import ContextIndexes, Messages, spans
from analyzer.linkability.names import PersonName, is_given_name, parse_name

__all__ = ["ContextViews", "is_role_address"]

# words that make a local part an office's or a robot's, not a person's, read from the
# senders of real personal mailboxes (the Enron ones: enron.announcements@,
# public.relations@, office.chairman@, no.address@, enron.payroll@, perfmgmt@ ...)
_ROLE_WORDS = frozenset(
    (
        "announcement", "announcements", "announce", "bulletin", "newsletter", "newsletters",
        "digest", "notification", "notifications", "notify", "alert", "alerts", "update",
        "updates", "reminder", "reminders", "chairman", "relations", "payroll", "administrative",
        "administration", "services", "helpdesk", "desk", "center", "centre", "department", "dept",
        "office", "headquarters", "communications", "corporate", "perfmgmt", "ipayit", "eserver",
        "arsystem", "system", "systems", "server", "daemon", "mailer", "postmaster", "noreply",
        "donotreply", "autoreply", "automated", "robot", "orders", "billing", "invoices",
        "receipts", "subscriptions", "customerservice", "feedback", "registrar", "webmaster",
        "bot", "syzbot", "dependabot",
    )
)  # fmt: skip
# words only a program's mailbox has, whoever's domain it is at
_MACHINE_WORDS = frozenset(
    {"noreply", "donotreply", "autoreply", "daemon", "mailer", "postmaster", "bot", "robot",
     "syzbot", "dependabot"}
)  # fmt: skip
_ROLE_PHRASES = frozenset({("no", "address"), ("no", "reply"), ("do", "not", "reply")})
_MACHINE_HOSTS = ("mailman.", "lists.", "listserv.", "bounce.", "bounces.")
# words of a display name a program sends under ("kernel test robot", "syzbot")
_ROBOT_NAME_WORDS = frozenset({"bot", "robot", "syzbot"})


def is_role_address(address: str) -> bool:
    """An office's or a robot's mailbox: no person's fingerprint, never linked.

    A local part with a program's word (``noreply``, ``syzbot``), or an address at a list
    server's host; at no public provider and with no given name in it, a local part with
    a role word among its parts (``enron.announcements``, ``public.relations``,
    ``no.address``) or that starts with the organisation of its own domain
    (``enron.gss@enron.com``).
    """
    local, _, domain = address.lower().partition("@")
    words = tuple(w for w in re.split(r"[._+-]+", local) if w)
    if not words:
        return False
    if any(w in _MACHINE_WORDS for w in words) or domain.startswith(_MACHINE_HOSTS):
        return True
    # a person's own mailbox may hold such a word (m.office@gmail.com, peter.system@…)
    person = is_public_provider(domain) or any(is_given_name(w) for w in words)
    if not person and (any(w in _ROLE_WORDS for w in words) or words in _ROLE_PHRASES):
        return True
    # the organisation first, then no name: enron.gss@enron.com, not linus.torvalds@torvalds.org
    organisation = registrable_domain(domain).partition(".")[0] if domain else ""
    return len(words) > 1 and len(organisation) >= 3 and words[0] == organisation and not person


# sides of more messages than this have their counted sets remembered, the last so many,
# holding at most so many numbers between them (sides and counts: 64 MB)
_COUNTED_FROM, _COUNTED_SIDES, _COUNTED_NUMBERS = 64, 1024, 1 << 23


@dataclass
class ContextViews(ContextIndexes):
    """The indexes, with the answers derived from them remembered."""

    # evidence id → address → values it shares with too many others to compare
    commodities: dict[str, dict[str, set]] = field(
        default_factory=lambda: defaultdict(dict), repr=False
    )
    # the last sides' counted sets, by identity (many pieces of evidence share a side)
    _sets_on: dict[tuple[str, int], tuple[Messages, tuple[np.ndarray, np.ndarray]]] = field(
        default_factory=dict, repr=False
    )
    _numbers_counted: int = field(default=0, repr=False)  # held in _sets_on
    _people: dict[str, bool] = field(default_factory=dict, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    _named: dict[tuple[int, str], dict[str, str | None]] = field(default_factory=dict, repr=False)

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        """A value derived from the indexes, computed once per analysis."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def share_commodity(self, evidence: str, a: str, b: str) -> bool:
        """Both share a value too common to compare (``commodities``, which rules fill)."""
        found = self.commodities.get(evidence, {})
        return bool(found.get(a, set()) & found.get(b, set()))

    # -- sides of evidence: messages numbered by age -------------------------------
    def side(self, keys: Iterable[int]) -> Messages:
        """Message numbers as a side of evidence: their ranks by age, sorted (repeats kept)."""
        found = self._age_rank[np.fromiter(keys, dtype=np.int64)]
        found.sort()
        return found

    def oldest(self, side: Messages, limit: int) -> tuple[Messages, int]:
        """The ``limit`` oldest of ``side``'s messages that have distinct Message-IDs, and
        how many distinct Message-IDs it has (messages that share one count once)."""
        ranks = np.unique(side)
        if self._ids_unique:
            return ranks[:limit], len(ranks)
        distinct, first = np.unique(self._shown_of[ranks], return_index=True)
        return ranks[np.sort(first)[:limit]], len(distinct)

    def message_ids(self, side: Messages) -> tuple[str, ...]:
        """The distinct Message-IDs of ``side``'s messages (or their keys where they have
        none), sorted."""
        return tuple(self._shown_texts[np.unique(self._shown_of[side])].tolist())

    def parties_on(self, side: Messages, leave_out: Iterable[str] = ()) -> Counter[str]:
        """How many of ``side``'s messages each party (From, To, Cc; not the owner) is on."""
        numbers, times = self._counted("parties", side)
        names = self._party_names
        return Counter(
            {names[n]: t for n, t in zip(numbers.tolist(), times.tolist(), strict=True)
             if names[n] not in leave_out}
        )  # fmt: skip

    def with_parties(self, side: Messages, parties: Iterable[str]) -> Messages:
        """The messages of ``side`` on which one of ``parties`` is a party."""
        number = self._party_number
        wanted = np.fromiter((number[p] for p in parties if p in number), dtype=np.int32)
        messages, on = self._parties_of(side)
        return side[np.unique(messages[np.isin(on, wanted)])]

    def _parties_of(self, side: Messages) -> tuple[np.ndarray, np.ndarray]:
        """Each (index into ``side``, party number) of ``side``'s messages."""
        starts, ends = self._party_starts[side], self._party_starts[side + 1]
        sizes = ends - starts
        at = spans(starts, sizes)
        return np.repeat(np.arange(len(side), dtype=np.int32), sizes), self._party_numbers[at]

    def providers_on(self, side: Messages) -> Counter[str]:
        """How many of ``side``'s messages each provider (a Received hop's domain) handled."""
        counts: Counter[str] = Counter()
        numbers, times = self._counted("providers", side)
        for number, n in zip(numbers.tolist(), times.tolist(), strict=True):
            for provider in self._provider_sets[number]:
                counts[provider] += n
        return counts

    def _counted(self, which: str, side: Messages) -> tuple[np.ndarray, np.ndarray]:
        """Each distinct party or provider set on ``side``'s messages, with on how many.

        Many pieces of evidence share one side (an address's timing with each other
        address): the counts of the last :data:`_COUNTED_SIDES` large sides are kept.
        """
        cached = self._sets_on.get((which, id(side)))
        if cached is not None and cached[0] is side:
            return cached[1]
        if which == "parties":
            values = self._parties_of(side)[1]
        else:
            values = self._provider_set_of[side]
            values = values[values >= 0]
        counted = np.unique(values, return_counts=True)
        if len(side) > _COUNTED_FROM:
            numbers = len(side) + 2 * len(counted[0])
            while self._sets_on and (
                len(self._sets_on) >= _COUNTED_SIDES
                or self._numbers_counted + numbers > _COUNTED_NUMBERS
            ):
                oldest = self._sets_on.pop(next(iter(self._sets_on)))
                self._numbers_counted -= len(oldest[0]) + 2 * len(oldest[1][0])
            self._sets_on[(which, id(side))] = (side, counted)
            self._numbers_counted += numbers
        return counted

    # -- one header, one address ------------------------------------------------------
    def named_in(self, key: int, role: str) -> dict[str, str | None]:
        """Address → display name for one header of one message (its first mention)."""
        index = self._named.get((key, role))
        if index is None:
            index = self._named[(key, role)] = {}
            for address, name in reversed(self.addresses(key, role)):
                index[address] = name
        return index

    def header_line(self, key: int, role: str, address: str) -> str:
        """The header line, as it reads, that names ``address`` in ``role``."""
        name = self.named_in(key, role).get(address)
        shown = f"{name} <{address}>" if name else address
        return f"{role.title()}: {shown}"

    def _robot_named(self, address: str) -> bool:
        """Every name the address goes by is a program's ("kernel test robot", "syzbot")."""
        names = self.names.get(address)
        return bool(names) and all(_ROBOT_NAME_WORDS & set(n.words) for n in names)

    def is_person(self, address: str) -> bool:
        """Can hold personal evidence: no list, role, office or machine address (see
        :func:`is_role_address`), no spam persona."""
        known = self._people.get(address)
        if known is None:
            known = self._people[address] = (
                address not in self.lists
                and plain_form(address) not in self.lists  # list+bounce-tag@: VERP
                and address not in self.spam_senders
                and (is_person_address(address) or self._own_domain_persons.get(address, False))
                and not is_role_address(address)
                and not self._robot_named(address)
            )
        return known

    @property
    def _own_domain_persons(self) -> dict[str, bool]:
        """Generic user names (:data:`OWN_DOMAIN_LOCAL_PARTS`) that are one person's own.

        ``linux@armlinux.org.uk`` is Russell King's: he writes from it under his full
        name, in conversations, at a domain where every sender who gives a name gives his,
        and that is no provider's and no list's. A company's ``info@``, where colleagues
        write under other names, and a scam's hijacked ``info@``, which answers nobody,
        stay nobody's.
        """
        return self.memo("own-domain persons", self._find_own_domain_persons)

    def _find_own_domain_persons(self) -> dict[str, bool]:
        candidates = [
            address for address in self.sent_by
            if address.partition("@")[0] in OWN_DOMAIN_LOCAL_PARTS
            and address in self.in_conversation
        ]  # fmt: skip
        domains = {address.partition("@")[2] for address in candidates}
        given: dict[str, set[PersonName]] = defaultdict(set)  # domain → full names its senders give
        own: dict[str, set[PersonName]] = {}  # each sender's own full names, at those domains
        for address, keys in self.sent_by.items():
            domain = address.partition("@")[2]
            if domain in domains:
                names = {parse_name(self.named_in(key, "from").get(address)) for key in keys}
                own[address] = {n for n in names if n is not None and len(n.words) >= 2}
                given[domain] |= own[address]
        list_domains = {a.partition("@")[2] for a in self.lists}

        def one_persons(address: str, names: set[PersonName]) -> bool:
            domain = address.partition("@")[2]
            return (
                len(names) == 1
                and given[domain] == names
                and not _ROBOT_NAME_WORDS & set(next(iter(names)).words)
                and domain not in list_domains
                and not domain.startswith(_MACHINE_HOSTS)
                and not is_public_provider(registrable_domain(domain))
            )

        return {address: one_persons(address, own[address]) for address in candidates}
