"""What aliases would change: the same mail, as if each organisation had its own alias.

Every address of the owner's that a correspondent sees (From, To, Cc, Reply-To and the
rest) is rewritten to one alias per organisation the message went to or came from; the
receiving side (Delivered-To, Envelope-To) keeps the real mailbox, since the provider still
delivers there. Everything else stays: names, clients, machines, keys, time zones. The
linkability analysis then runs again on the rewritten frames, and what it still finds is
what aliases alone cannot remove.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from analyzer.addressing import alias_service
from analyzer.aliases.leaks import by_role, roles_by_message
from analyzer.aliases.senders import organisation_of, original_sender
from analyzer.frames import Frames, key_mask
from analyzer.linkability import CLAIM, Linkability, analyze
from analyzer.linkability.advice import ADVICE
from analyzer.memory import release_freed_memory
from analyzer.owner import Owner, sent_keys
from analyzer.vocabulary import PARTY_ROLES, RECIPIENT_ROLES, Question

__all__ = ["Counterfactual", "OrganisationView", "View", "counterfactual"]

ALIAS_DOMAIN = "alias.invalid"
_KEPT_ROLES = ("delivered-to", "envelope-to")


@dataclass(frozen=True)
class Side:
    """One side of the comparison: the numbers the README and the report show."""

    identities: int
    pairs: int  # pairs of those identities
    same_person_pairs: int
    largest_same_person: int
    known_together_pairs: int
    largest_known_together: int
    know_primary: int  # parties that saw the primary address in From, To or Cc

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class View:
    """What one organisation sees of the owner, now or with one alias each: the owner's
    addresses in From, To or Cc of the messages it is on, and how many of them it can tie."""

    addresses: tuple[str, ...]
    tied: int  # the largest group of those it can tie as one person; 0 when none
    knows_primary: bool  # the real mailbox is among them
    matched: bool  # another organisation sees one of them, or one it can tie to one of them

    def as_dict(self) -> dict[str, Any]:
        return {
            "addresses": len(self.addresses),
            "tied": self.tied,
            "knows_primary": self.knows_primary,
            "matched": self.matched,
        }


@dataclass(frozen=True)
class OrganisationView:
    """One organisation the owner exchanges mail with, now and with one alias each: the
    same organisation and the same messages on both sides."""

    organisation: str
    messages: int  # messages it is on that show one of the owner's addresses
    now: View
    after: View

    def as_dict(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "messages": self.messages,
            "addresses_now": list(self.now.addresses),
            "now": self.now.as_dict(),
            "after": self.after.as_dict(),
        }


MAX_ORGANISATION_ROWS = 200  # findings.json lists the worst this many; the totals count all


def _totals(views: list[View]) -> dict[str, int]:
    return {
        "see_several": sum(len(v.addresses) >= 2 for v in views),
        "tie_several": sum(v.tied >= 2 for v in views),
        "know_primary": sum(v.knows_primary for v in views),
        "matched": sum(v.matched for v in views),
    }


@dataclass(frozen=True)
class Counterfactual:
    before: Side
    after: Side
    primary: str | None
    aliases: int
    remaining: dict[str, int] = field(default_factory=dict)  # evidence id → pairs it ties
    organisations: tuple[OrganisationView, ...] = ()  # the worst first

    def as_dict(self) -> dict[str, Any]:
        return {
            "primary": self.primary,
            "aliases": self.aliases,
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
            "remaining": [
                {"evidence": evidence, "pairs": pairs, "fix": ADVICE[evidence].fix}
                for evidence, pairs in sorted(self.remaining.items(), key=lambda kv: -kv[1])
            ],
            # like with like: the same organisations, now and with one alias each
            "organisations": {
                "total": len(self.organisations),
                "now": _totals([o.now for o in self.organisations]),
                "after": _totals([o.after for o in self.organisations]),
            },
            "by_organisation": [o.as_dict() for o in self.organisations[:MAX_ORGANISATION_ROWS]],
        }


def _alias(organisation: str) -> str:
    return f"a-{hashlib.sha256(organisation.encode()).hexdigest()[:10]}@{ALIAS_DOMAIN}"


def _message_organisations(frames: Frames, owner: Owner) -> dict[str, str]:
    """For each message, the organisation on the other side: the sender's for mail
    received, the first recipient's for mail the owner sent."""
    roles = roles_by_message(frames)
    sent = sent_keys(frames, owner)  # not an alias service's forward, From the alias
    found = {}
    for row in frames.messages[["message_key", "from_addr", "from_name"]].itertuples(index=False):
        named = by_role(roles.get(row.message_key, ()))
        sender = row.from_addr if isinstance(row.from_addr, str) else None
        if row.message_key in sent:
            others = [a for r in RECIPIENT_ROLES for a in named.get(r, ()) if not owner.owns(a)]
            if others:
                found[row.message_key] = organisation_of(others[0])
            continue
        party = original_sender(sender, row.from_name if isinstance(row.from_name, str) else None,
                                named)  # fmt: skip
        if party is not None:
            found[row.message_key] = party.organisation
    return found


def with_aliases(
    frames: Frames, owner: Owner, primary: str | None, organisations: dict[str, str]
) -> tuple[Frames, Owner]:
    """The frames with each owner address a correspondent sees replaced by the alias of
    the message's organisation (``organisations``: message key → organisation), and the
    owner of those aliases (and the real mailbox)."""
    alias = cache(_alias)  # one string per organisation, not one per message
    alias_of = {key: alias(organisation) for key, organisation in organisations.items()}
    unknown = alias("unknown")
    people, messages = frames.participants, frames.messages
    # owner.owns once per distinct address, not once per row of millions
    mine = [a for a in {*_distinct(people["address"]), *_distinct(messages["from_addr"])}
            if owner.owns(a)]  # fmt: skip
    owned = people["address"].isin(mine).to_numpy()
    kept = people["role"].isin(_KEPT_ROLES).to_numpy()
    seen = owned & ~kept
    given = people["message_key"][seen].astype(object).map(alias_of).fillna(unknown).to_numpy()
    addresses = _replaced(people["address"], seen, given)
    if primary:
        addresses = _replaced(addresses, owned & kept, np.full((owned & kept).sum(), primary))
    from_mine = messages["from_addr"].isin(mine).to_numpy()
    senders = messages["message_key"][from_mine].astype(object).map(alias_of).fillna(unknown)
    # new columns on the same frames: the other columns are not copied
    people = people.assign(address=addresses)
    messages = messages.assign(
        from_addr=_replaced(messages["from_addr"], from_mine, senders.to_numpy(dtype=object))
    )
    identities = tuple(sorted(set(given) | ({primary} if primary else set())))
    return (
        Frames(messages=messages, participants=people, hops=frames.hops, keys=frames.keys),
        Owner(identities, how="counterfactual: one alias per organisation"),
    )


def _distinct(column: pd.Series) -> list[str]:
    return [v for v in column.dropna().unique() if isinstance(v, str)]


def _replaced(column: pd.Series, rows: np.ndarray, values: np.ndarray) -> pd.Series:
    """``column`` with ``values`` in the ``rows`` (a mask), of the same kind: a categorical
    gets its new values as categories, and keeps only those it uses, in sorted order."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        everything = column.to_numpy(dtype=object, copy=True)
        everything[rows] = values
        return pd.Series(everything, index=column.index, dtype=column.dtype)
    known = column.cat.categories
    categories = known.append(pd.Index(pd.unique(values)).difference(known))
    codes = column.cat.codes.to_numpy().astype(np.int32)
    codes[rows] = categories.get_indexer(values)
    replaced = pd.Categorical.from_codes(codes, categories=categories)
    replaced = replaced.remove_unused_categories()
    replaced = replaced.reorder_categories(replaced.categories.sort_values())
    return pd.Series(replaced, index=column.index)


def _side(analysis: Linkability, frames: Frames, primary: str | None) -> Side:
    owner_pairs = analysis.pairs_of("owner")
    same = [p for p in owner_pairs if p.same_person.score >= CLAIM]
    together = [p for p in owner_pairs if p.known_together is not None]

    def largest(question: str) -> int:
        sizes = [len(c.identities) for c in analysis.clusters if c.question == question]
        return max(sizes, default=1 if analysis.owner.identities else 0)

    know = 0
    if primary:
        people = frames.participants
        seen = people[people["role"].isin(PARTY_ROLES) & (people["address"] == primary)]
        keys = set(seen["message_key"])
        parties = people[key_mask(people["message_key"], keys) & people["role"].isin(PARTY_ROLES)]
        others = {
            organisation_of(a) for a in parties["address"].dropna() if not analysis.owner.owns(a)
        }
        know = len(others)
    return Side(
        identities=len(analysis.owner.identities),
        pairs=len(analysis.owner.identities) * (len(analysis.owner.identities) - 1) // 2,
        same_person_pairs=len(same),
        largest_same_person=largest(Question.SAME_PERSON),
        known_together_pairs=len(together),
        largest_known_together=largest(Question.KNOWN_TOGETHER),
        know_primary=know,
    )


def counterfactual(frames: Frames, analysis: Linkability, kinds: dict[str, str]) -> Counterfactual:
    """Before and after one alias per organisation, and what would still tie them
    (``analysis``: the linkability of ``frames``; ``kinds``: each identity's kind)."""
    primary = next((a for a, k in kinds.items() if k == "primary"), None)
    organisations = _message_organisations(frames, analysis.owner)
    rewritten, aliased_owner = with_aliases(frames, analysis.owner, primary, organisations)
    release_freed_memory()  # what the rewriting built and dropped, before a second analysis
    after = analyze(rewritten, aliased_owner, analysis.model, others=False)
    now_seen = _seen_by_organisation(frames, analysis.owner, organisations)
    after_seen = _seen_by_organisation(rewritten, aliased_owner, organisations)
    remaining: Counter[str] = Counter()
    for pair in after.pairs_of("owner"):
        if pair.same_person.score >= CLAIM:
            for evidence in set(pair.same_person.evidence):
                remaining[evidence] += 1
    return Counterfactual(
        before=_side(analysis, frames, primary),
        after=_side(after, rewritten, primary),
        primary=primary,
        aliases=sum(1 for a in aliased_owner.identities if a.endswith(f"@{ALIAS_DOMAIN}")),
        remaining=dict(remaining),
        organisations=_organisation_views(now_seen, after_seen, analysis, after, primary),
    )


# -- like with like: each organisation, now and with one alias each -------------------------
_Seen = dict[str, tuple[frozenset[str], int]]  # organisation → (owner's addresses, messages)


def _seen_by_organisation(frames: Frames, owner: Owner, organisations: dict[str, str]) -> _Seen:
    """Which of ``owner``'s addresses each organisation sees in From, To or Cc, on how many
    messages. A message's organisations are the one its alias is for (``organisations``:
    the sender behind an alias service or platform, or whom the owner wrote to) and those
    of its other parties; an alias service's own addresses are no party of their own."""
    people = frames.participants
    people = people.loc[people["role"].isin(PARTY_ROLES), ["message_key", "address"]].dropna()
    people = people.astype(str).drop_duplicates()
    distinct = people["address"].unique()
    owned = {a for a in distinct if owner.owns(a)}
    party_of = {a: organisation_of(a) for a in distinct if a not in owned and not alias_service(a)}
    mine = people[people["address"].isin(owned)]
    others = people[people["address"].isin(party_of.keys())]
    others = pd.DataFrame({"message_key": others["message_key"],
                           "organisation": others["address"].map(party_of)})  # fmt: skip
    keys = mine["message_key"].unique()
    behind = pd.DataFrame(
        {"message_key": keys, "organisation": [organisations.get(k) for k in keys]}
    ).dropna()
    parties = pd.concat([others, behind]).drop_duplicates()
    seen = mine.merge(parties, on="message_key")
    found: _Seen = {}
    for organisation, rows in seen.groupby("organisation", sort=True):
        found[str(organisation)] = (frozenset(rows["address"]), rows["message_key"].nunique())
    return found


def _claimed(analysis: Linkability) -> dict[str, set[str]]:
    """Each owner address → the owner addresses it is tied to as one person."""
    ties: dict[str, set[str]] = {}
    for pair in analysis.pairs_of("owner"):
        if pair.same_person.score >= CLAIM:
            ties.setdefault(pair.a, set()).add(pair.b)
            ties.setdefault(pair.b, set()).add(pair.a)
    return ties


def _largest_tied(addresses: frozenset[str], ties: dict[str, set[str]]) -> int:
    """The largest group of ``addresses`` tied together as one person through ties among
    them alone (an address the organisation does not see joins nothing); 0 when none."""
    left, largest = set(addresses), 0
    while left:
        group, todo = set(), [left.pop()]
        while todo:
            address = todo.pop()
            group.add(address)
            todo += [b for b in ties.get(address, ()) if b in left]
            left -= ties.get(address, set())
        largest = max(largest, len(group))
    return largest if largest >= 2 else 0


def _views(seen: _Seen, analysis: Linkability, primary: str | None) -> dict[str, View]:
    ties = _claimed(analysis)
    seen_by: dict[str, set[str]] = {}
    for organisation, (addresses, _) in seen.items():
        for address in addresses:
            seen_by.setdefault(address, set()).add(organisation)

    def matched(organisation: str, addresses: frozenset[str]) -> bool:
        reachable = set(addresses).union(*(ties.get(a, set()) for a in addresses))
        return any(seen_by.get(a, set()) - {organisation} for a in reachable)

    return {
        organisation: View(
            addresses=tuple(sorted(addresses)),
            tied=_largest_tied(addresses, ties),
            knows_primary=primary in addresses,
            matched=matched(organisation, addresses),
        )
        for organisation, (addresses, _) in seen.items()
    }


def _organisation_views(
    now_seen: _Seen, after_seen: _Seen, now: Linkability, after: Linkability, primary: str | None
) -> tuple[OrganisationView, ...]:
    """The same organisations on both sides, the worst first: the most addresses it can
    tie now, then the most it sees, then the most messages."""
    before, later = _views(now_seen, now, primary), _views(after_seen, after, primary)
    nothing = View((), 0, False, False)
    rows = [
        OrganisationView(
            organisation,
            max(now_seen.get(organisation, ((), 0))[1], after_seen.get(organisation, ((), 0))[1]),
            before.get(organisation, nothing),
            later.get(organisation, nothing),
        )
        for organisation in sorted(now_seen.keys() | after_seen.keys())
    ]
    rows.sort(key=lambda r: (-r.now.tied, -len(r.now.addresses), -r.messages, r.organisation))
    return tuple(rows)
