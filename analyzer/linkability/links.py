"""Evidence → links: every rule's evidence folded into one :class:`Link` per pair and
evidence id, with who can see it.

- ``correspondents`` when one message shows it to the people it went to, or when one
  correspondent saw both messages that share a fingerprint;
- ``providers`` when only relays, forwarders or mailbox providers see it;
- ``inference`` when it takes a party that sees many messages.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from analyzer.linkability.catalog import _RULE, CATALOG, SAME_PERSON, VISIBILITY_ORDER
from analyzer.linkability.context import Context, Evidence, Messages
from analyzer.linkability.results import Link
from analyzer.vocabulary import ObserverClass, Relation

__all__ = ["MAX_LINK_MESSAGES", "MAX_OTHERS_LINK_MESSAGES"]

_MAX_OBSERVERS = 25  # a link or a pair names at most this many observers (and counts them all)
# a link lists at most this many Message-IDs (of its oldest messages) and counts them all:
# in a million messages one fingerprint can show on a hundred thousand
MAX_LINK_MESSAGES = 1000
# ... and a link between other people's addresses this many: enough to look the link up,
# where a million messages have tens of thousands of such links
MAX_OTHERS_LINK_MESSAGES = 20


def _evidence(
    ctx: Context, candidates_from_owner: set[tuple[str, str]], others: bool = True
) -> Iterator[Evidence]:
    """Every rule's evidence: the blocking rules', then the pairwise rules' for the
    pairs some same-person evidence or ``candidates_from_owner`` name (with ``others``,
    between anyone's addresses; without, between the owner's only)."""
    candidates = set(candidates_from_owner)
    # each piece goes on as it comes (its messages with it): only the pairs stay
    for rule in CATALOG:
        if rule.pairwise:
            continue
        for item in rule.function(ctx):
            if others or (ctx.owner.owns(item.a) and ctx.owner.owns(item.b)):
                if _RULE[item.evidence].question == SAME_PERSON:
                    candidates.add((item.a, item.b) if item.a < item.b else (item.b, item.a))
                yield item
    comparable = sorted(
        (a, b)
        for a, b in candidates
        if (ctx.owner.owns(a) or ctx.is_person(a))
        and (ctx.owner.owns(b) or ctx.is_person(b))
        and (others or (ctx.owner.owns(a) and ctx.owner.owns(b)))
    )
    for rule in CATALOG:
        if rule.pairwise:
            yield from rule.function(ctx, comparable)


def _visibility(ctx: Context, item: Evidence, pair: set[str]) -> tuple[str, Counter[str]]:
    """Who can see one piece of evidence, with how many of its messages each saw.

    The two addresses themselves are no observers: a sender always sees their own mail.
    """
    if item.visibility == "providers":
        return ObserverClass.PROVIDERS, Counter(item.observers)
    if item.visibility == "message":
        parties = ctx.parties_on(item.side_a, pair)
        if parties:
            return ObserverClass.CORRESPONDENTS, parties
        return ObserverClass.PROVIDERS, ctx.providers_on(item.side_a)
    if item.visibility == "cross":
        seen_a = ctx.parties_on(item.side_a, pair)
        seen_b = ctx.parties_on(item.side_b, pair)
        both = Counter({p: seen_a[p] + seen_b[p] for p in seen_a.keys() & seen_b.keys()})
        if both:
            return ObserverClass.CORRESPONDENTS, both
    providers_a = ctx.providers_on(item.side_a)
    providers_b = ctx.providers_on(item.side_b)
    common = Counter(
        {p: providers_a[p] + providers_b[p] for p in providers_a.keys() & providers_b.keys()}
    )
    return ObserverClass.INFERENCE, common


def _ranked(counts: Counter[str]) -> tuple[str, ...]:
    return tuple(name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class _Shown:
    """What the pieces of one kind of evidence between two addresses show at one level to
    one class of observer, merged as they come: a million messages make millions of
    pieces, and only their sum is reported."""

    observers: Counter[str]
    sides: list[Messages]
    detail: str  # the first in sorted order


_Oldest = dict[tuple[str, str, str], Messages]  # (a, b, evidence) → its oldest messages


def _links(ctx: Context, evidence: Iterable[Evidence]) -> tuple[list[Link], _Oldest]:
    """One link per pair and evidence id: its strongest level, and who sees which level.

    A pairwise rule judges each pair once, so its one piece of evidence becomes a link at
    once and its messages are let go: the social overlap of an address of a million
    messages names most of them, once per pair. The links come without their Message-IDs,
    which only the links kept need (:func:`_with_message_ids`): the oldest
    :data:`MAX_LINK_MESSAGES` messages of each blocking rule's link come beside them;
    a pairwise rule is asked again for the pairs kept.
    """
    grouped: dict[tuple[str, str, str], dict[tuple[str, str], _Shown]] = defaultdict(dict)
    links = []
    oldest: _Oldest = {}
    for item in evidence:
        a, b = sorted((item.a, item.b))
        if a == b:
            continue
        observer_class, observers = _visibility(ctx, item, {a, b})
        pairwise = _RULE[item.evidence].pairwise
        by_level = {} if pairwise else grouped[(a, b, item.evidence)]
        shown_here = by_level.get((observer_class, item.level))
        if shown_here is None:
            shown_here = by_level[(observer_class, item.level)] = _Shown(Counter(), [], item.detail)
        shown_here.observers.update(observers)
        shown_here.sides += (item.side_a, item.side_b)
        shown_here.detail = min(shown_here.detail, item.detail)
        if pairwise:
            links.append(_link(ctx, a, b, item.evidence, by_level, {}))
    links += [_link(ctx, a, b, evidence_id, by_level, oldest)
              for (a, b, evidence_id), by_level in grouped.items()]  # fmt: skip
    return links, oldest


def _link(
    ctx: Context,
    a: str,
    b: str,
    evidence_id: str,
    by_level: dict[tuple[str, str], _Shown],
    oldest: _Oldest,
) -> Link:
    """The link of one pair and evidence id from what its evidence shows to whom (its
    oldest messages go to ``oldest``)."""
    rule = _RULE[evidence_id]
    by_observer: dict[str, str] = {}
    for depth, name in enumerate(VISIBILITY_ORDER):
        seen = [lv for c, lv in by_level if VISIBILITY_ORDER.index(c) <= depth]
        if seen:
            by_observer[name] = min(seen, key=rule.levels.index)
    level = by_observer[VISIBILITY_ORDER[-1]]
    observer_class = next(c for c in VISIBILITY_ORDER if by_observer.get(c) == level)
    chosen = by_level[(observer_class, level)]
    ranked = _ranked(chosen.observers)
    shown, messages_total = ctx.oldest(np.concatenate(chosen.sides), MAX_LINK_MESSAGES)
    oldest[(a, b, evidence_id)] = shown
    return Link(
        a,
        b,
        evidence_id,
        rule.strength,
        rule.question,
        level,
        observer_class,
        ranked[:_MAX_OBSERVERS],
        len(ranked),
        (),
        messages_total,
        chosen.detail,
        ctx.owner.owns(a) and ctx.owner.owns(b),
        by_observer,
    )


def _with_message_ids(
    ctx: Context, links: Sequence[Link], oldest: _Oldest, relations: dict[tuple[str, str], str]
) -> list[Link]:
    """The links kept with the Message-IDs of their oldest messages (fewer for a link
    between other people's addresses, by its pair's relation)."""
    again: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for link in links:
        if _RULE[link.evidence].pairwise:
            again[link.evidence].append((link.a, link.b))
    for evidence_id, pairs in again.items():
        for item in _RULE[evidence_id].function(ctx, pairs):
            a, b = sorted((item.a, item.b))
            sides = np.concatenate((item.side_a, item.side_b))
            oldest[(a, b, evidence_id)] = ctx.oldest(sides, MAX_LINK_MESSAGES)[0]

    def shown(link: Link) -> Messages:
        others = relations[(link.a, link.b)] == Relation.OTHERS
        messages = oldest[(link.a, link.b, link.evidence)]
        return messages[:MAX_OTHERS_LINK_MESSAGES] if others else messages

    return [replace(link, messages=ctx.message_ids(shown(link))) for link in links]
