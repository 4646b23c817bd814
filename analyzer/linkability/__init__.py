"""Linkability: which addresses can be tied together, by whom, with what evidence.

Two questions, never mixed:

- **same person**: could an observer conclude that two addresses are one person's?
  Every evidence kind but ``co-recipient`` and ``thread`` speaks to it; the model
  (:mod:`.model`) turns a pair's evidence into a calibrated probability.
- **known together**: does one party hold both addresses? ``co-recipient`` and
  ``thread`` show it in one message; a correspondent or provider who handled mail of
  both holds both too.

Every rule of the evidence catalog (docs/findings.md) is a function in
:mod:`.deterministic` or :mod:`.fingerprints` that yields
:class:`~analyzer.linkability.context.Evidence`. :func:`analyze` runs them all, folds
the evidence into one :class:`Link` per pair and evidence id, decides who can see it,
scores each pair and joins the owner's identities into clusters:

- ``correspondents`` when one message shows it to the people it went to, or when one
  correspondent saw both messages that share a fingerprint;
- ``providers`` when only relays, forwarders or mailbox providers see it;
- ``inference`` when it takes a party that sees many messages.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from itertools import combinations
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from analyzer.frames import Frames
from analyzer.linkability import deterministic, fingerprints
from analyzer.linkability.context import Context, Evidence, Messages
from analyzer.linkability.model import (
    COMPARISON_OF,
    COMPARISONS,
    DIFFER,
    Comparison,
    Model,
    confidence_word,
    load_model,
    posterior,
)
from analyzer.owner import Owner
from analyzer.readable import readable_frames
from analyzer.vocabulary import ObserverClass, Question

if TYPE_CHECKING:
    from analyzer.aliases.leaks import Exposure

__all__ = [
    "CATALOG",
    "CLAIM",
    "KNOWN_TOGETHER",
    "SAME_PERSON",
    "SUGGEST",
    "VISIBILITY_ORDER",
    "Analysis",
    "Cluster",
    "KnownTogether",
    "Link",
    "PairVerdict",
    "Rule",
    "SamePerson",
    "Suggestion",
    "analyze",
    "archive_prior",
    "compare_pairs",
]

VISIBILITY_ORDER = tuple(ObserverClass)  # from the most to the least visible
SAME_PERSON = Question.SAME_PERSON
KNOWN_TOGETHER = Question.KNOWN_TOGETHER
CLAIM = 0.5  # a pair at or above this score is claimed to be one person
SUGGEST = 0.2  # an address is suggested as the owner's from this score ("weak" and up)
MAX_ALL_PAIRS = 40  # owner identities up to which every pair of them is assessed
_PRIOR_PAIRS = 10_000  # how many pairs' worth the model's prior weighs in an archive's
_MAX_OBSERVERS = 25
# a link lists at most this many Message-IDs (of its oldest messages) and counts them all:
# in a million messages one fingerprint can show on a hundred thousand
MAX_LINK_MESSAGES = 1000
# ... and a link between other people's addresses this many: enough to look the link up,
# where a million messages have tens of thousands of such links
MAX_OTHERS_LINK_MESSAGES = 20
# addresses whose parties and providers the assessment of the owner's pairs keeps at once
_ADDRESSES_KEPT = 256


@dataclass(frozen=True)
class Rule:
    evidence: str
    strength: str  # deterministic | probabilistic
    question: str  # same-person | known-together
    levels: tuple[str, ...]  # strongest first
    function: Callable[..., Iterable[Evidence]]
    summary: str
    # compares candidate pairs instead of blocking on a value, at most one piece per pair
    pairwise: bool = False


_D, _P = "deterministic", "probabilistic"
CATALOG: tuple[Rule, ...] = (
    Rule("co-recipient", _D, KNOWN_TOGETHER, ("shown", "bcc"), deterministic.co_recipient,
         "two identities in To/Cc/Bcc of one message"),
    Rule("thread", _D, KNOWN_TOGETHER, ("answered",), deterministic.thread,
         "a thread that reached one identity answered from another"),
    Rule("reply-to", _D, SAME_PERSON, ("reply-to",), deterministic.reply_to,
         "Reply-To names another address than From"),
    Rule("sender", _D, SAME_PERSON, ("sender", "return-path"), deterministic.sender,
         "Sender or envelope Return-Path differs from From"),
    Rule("forwarding", _D, SAME_PERSON, ("delivered-to", "x-forwarded-to"),
         deterministic.forwarding,
         "Delivered-To / X-Original-To / alias-service headers show alias → mailbox"),
    Rule("subaddress", _D, SAME_PERSON, ("tag", "spelling"), deterministic.subaddress,
         "user+tag@ is user@ under the provider's rules"),
    Rule("smime-certificate", _D, SAME_PERSON, ("names-both", "signs-for-other", "same-key"),
         deterministic.smime_certificate,
         "a signer certificate naming several addresses, or one certificate under two"),
    Rule("pgp-key", _D, SAME_PERSON, ("same-key",), deterministic.pgp_key,
         "one OpenPGP key id (recipient or signer) under two addresses"),
    Rule("autocrypt", _D, SAME_PERSON, ("same-key",), deterministic.autocrypt,
         "one Autocrypt key under two addr values"),
    Rule("display-name", _P, SAME_PERSON,
         ("full-name", "name-variant", "single-word", "first-name"), fingerprints.display_name,
         "the same personal name, or a variant of it, on two addresses"),
    Rule("local-part", _P, SAME_PERSON, ("same", "given-name", "names-differ"),
         fingerprints.local_part,
         "the same user name before the @ at two domains"),
    Rule("client-ip", _P, SAME_PERSON, ("client-ip", "shared-egress"), fingerprints.client_ip,
         "the same public client address in the first hop"),
    Rule("message-id-host", _P, SAME_PERSON, ("machine-name",), fingerprints.message_id_host,
         "the same machine name after the @ of the Message-ID"),
    Rule("client-fingerprint", _P, SAME_PERSON, ("rare", "common"),
         fingerprints.client_fingerprint, "the same mail client build in the same time zone"),
    Rule("social-overlap", _P, SAME_PERSON, ("high", "medium", "low"),
         fingerprints.social_overlap, "the same rare correspondents", pairwise=True),
    Rule("timing", _P, SAME_PERSON, ("alike", "similar"), fingerprints.timing,
         "the same local sending hours", pairwise=True),
)  # fmt: skip
_RULE = {rule.evidence: rule for rule in CATALOG}


@dataclass(frozen=True)
class Link:
    """Two addresses joined by one kind of evidence, and who can see it."""

    a: str
    b: str
    evidence: str
    strength: str
    question: str
    level: str  # the strongest level found
    observer_class: str  # the most visible class that sees that level
    observers: tuple[str, ...]  # the parties of that class, the most involved first
    observers_total: int
    messages: tuple[str, ...]  # Message-IDs of the messages that show it (the oldest 1000)
    messages_total: int
    detail: str
    owner: bool  # both addresses are the owner's
    by_observer: dict[str, str] = field(default_factory=dict)  # the level each class sees

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "evidence": self.evidence,
            "strength": self.strength,
            "question": self.question,
            "level": self.level,
            "level_by_observer": dict(self.by_observer),
            "observer_class": self.observer_class,
            "observers": list(self.observers),
            "observers_total": self.observers_total,
            "messages": list(self.messages),
            "messages_total": self.messages_total,
            "detail": self.detail,
            "owner": self.owner,
        }


@dataclass(frozen=True)
class SamePerson:
    """How sure an observer can be that two addresses are one person's."""

    prior: float  # declared by the owner, or found among the archive's addresses
    bits: dict[str, float]  # the evidence each observer class sees, in bits
    levels: dict[str, str]  # comparison → level, with everything
    evidence: tuple[str, ...]
    weights: dict[str, float] = field(default_factory=dict)  # comparison → bits it adds

    @property
    def by_observer(self) -> dict[str, float]:
        """The score from what each observer class sees."""
        return {c: round(posterior(self.prior, bits), 3) for c, bits in self.bits.items()}

    @property
    def score(self) -> float:
        """The score from everything anyone can see (inference)."""
        return self.by_observer[VISIBILITY_ORDER[-1]]

    @property
    def confidence(self) -> str:
        return confidence_word(self.score)

    @property
    def observer_class(self) -> str | None:
        """The most visible class that can claim it (score ≥ 0.5), if any."""
        return next((c for c in VISIBILITY_ORDER if self.by_observer[c] >= CLAIM), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "confidence": self.confidence,
            "observer_class": self.observer_class,
            "by_observer": self.by_observer,
            "prior": self.prior,
            "bits": round(self.bits[VISIBILITY_ORDER[-1]], 2),
            "levels": dict(self.levels),
            "weights": {c: round(w, 2) for c, w in self.weights.items()},
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class KnownTogether:
    """Who holds both addresses."""

    observer_class: str
    observers: tuple[str, ...]
    observers_total: int
    evidence: tuple[str, ...]  # co-recipient, thread when one message shows both

    def as_dict(self) -> dict[str, Any]:
        return {
            "observer_class": self.observer_class,
            "observers": list(self.observers),
            "observers_total": self.observers_total,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class PairVerdict:
    """Both questions for one pair of addresses."""

    a: str
    b: str
    relation: str  # owner (both the owner's), suggestion (one is, or both suggested), others
    same_person: SamePerson
    known_together: KnownTogether | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "relation": self.relation,
            "same_person": self.same_person.as_dict(),
            "known_together": self.known_together.as_dict() if self.known_together else None,
        }


@dataclass(frozen=True)
class Cluster:
    """The owner's identities one observer class can join, for one question."""

    identities: tuple[str, ...]
    question: str
    observer_class: str
    score: float | None  # same person: the weakest pair on the strongest chain

    def as_dict(self) -> dict[str, Any]:
        return {
            "identities": list(self.identities),
            "question": self.question,
            "observer_class": self.observer_class,
            "score": self.score,
        }


@dataclass(frozen=True)
class Suggestion:
    """An address not given as the owner's that same-person evidence ties to theirs."""

    address: str
    ties_to: tuple[str, ...]
    score: float
    evidence: tuple[str, ...]

    @property
    def confidence(self) -> str:
        return confidence_word(self.score)

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "ties_to": list(self.ties_to),
            "score": self.score,
            "confidence": self.confidence,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Analysis:
    """One run's answer: made once by :func:`analyze`, read by findings, graphs and CLI."""

    owner: Owner
    links: tuple[Link, ...]
    pairs: tuple[PairVerdict, ...]
    clusters: tuple[Cluster, ...]
    suggestions: tuple[Suggestion, ...]
    model: Model = field(repr=False)
    discovered_prior: float = 0.0  # the archive's own prior for pairs found in it
    kinds: dict[str, str] = field(default_factory=dict)  # each identity's kind (aliases)
    exposures: tuple[Exposure, ...] = ()  # whom each identity was given to, who leaked it

    def pairs_of(self, relation: str) -> list[PairVerdict]:
        return [pair for pair in self.pairs if pair.relation == relation]

    def links_of(self, a: str, b: str) -> list[Link]:
        return self._links_by_pair.get((a, b) if a < b else (b, a), [])

    @cached_property
    def _links_by_pair(self) -> dict[tuple[str, str], list[Link]]:
        grouped: dict[tuple[str, str], list[Link]] = defaultdict(list)
        for link in self.links:
            grouped[(link.a, link.b)].append(link)
        return dict(grouped)


# -- evidence → links -----------------------------------------------------------------
def _visibility(ctx: Context, item: Evidence, pair: set[str]) -> tuple[str, Counter[str]]:
    """Who can see one piece of evidence, with how many of its messages each saw.

    The two addresses themselves are no observers: a sender always sees their own mail.
    """
    if item.visibility == "providers":
        return "providers", Counter(item.observers)
    if item.visibility == "message":
        parties = ctx.parties_on(item.side_a, pair)
        if parties:
            return "correspondents", parties
        return "providers", ctx.providers_on(item.side_a)
    if item.visibility == "cross":
        seen_a = ctx.parties_on(item.side_a, pair)
        seen_b = ctx.parties_on(item.side_b, pair)
        both = Counter({p: seen_a[p] + seen_b[p] for p in seen_a.keys() & seen_b.keys()})
        if both:
            return "correspondents", both
    providers_a = ctx.providers_on(item.side_a)
    providers_b = ctx.providers_on(item.side_b)
    common = Counter(
        {p: providers_a[p] + providers_b[p] for p in providers_a.keys() & providers_b.keys()}
    )
    return "inference", common


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
        others = relations[(link.a, link.b)] == "others"
        messages = oldest[(link.a, link.b, link.evidence)]
        return messages[:MAX_OTHERS_LINK_MESSAGES] if others else messages

    return [replace(link, messages=ctx.message_ids(shown(link))) for link in links]


# -- profiles: which comparisons a pair can make at all ---------------------------------
class _Profiles:
    """Which kinds of fingerprint each address shows, per comparison.

    A comparison that finds nothing is ``differ`` only when both addresses show the same
    kind of fingerprint (two names that do not match, two machine names, two PGP keys)
    and do not share one too common to compare; otherwise it is left out.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        keys = ctx.frames.keys
        smime, pgp = set(), set()
        for key, kind, addresses in zip(
            ctx.numbers_of(keys["message_key"]).tolist(), keys["kind"], keys["addresses"],
            strict=True,
        ):  # fmt: skip
            holders = set(addresses) if len(addresses) else set()
            if kind.endswith("signer") and not holders:
                holders = {a for a, _ in ctx.addresses(key, "from")}
            if kind == "smime-signer":
                smime |= holders
            elif kind in ("pgp-signer", "autocrypt"):
                pgp |= holders
        machine_names = {
            address
            for address, sent in ctx.sent_by.items()
            if any(fingerprints.machine_host(ctx.message_id[k] or "", address) for k in sent)
        }
        client_ips = {a for by_address in fingerprints.client_addresses(ctx)[0].values()
                      for a in by_address}  # fmt: skip
        timed = {
            address
            for address in ctx.sent_by
            if sum(fingerprints.sending_hours(ctx, address).values())
            >= fingerprints.MIN_TIMING_MESSAGES
        }
        kinds = {
            "identity-headers": [set(ctx.sent_by) | set(ctx.names)],
            "keys": [smime, pgp],
            # a persona's name is nobody's: it neither joins nor sets apart
            "name": [{a for a, names in ctx.names.items() if set(names) - ctx.persona_names}],
            "machine": [machine_names, client_ips],
            "client": [set(fingerprints.client_agents(ctx))],
            "correspondents": [{a for a, c in ctx.correspondents.items() if len(c) >= 2}],
            "timing": [timed],
        }
        # lists, robots and spam personas hold no personal fingerprint to differ in (the
        # rules skip them); identity headers and keys count for the owner's addresses too
        self.kinds = {
            name: [
                {a for a in kind if ctx.is_person(a)
                 or (name in ("identity-headers", "keys") and ctx.owner.owns(a))}
                for kind in found
            ]
            for name, found in kinds.items()
        }  # fmt: skip

    def can_differ(self, comparison: Comparison, a: str, b: str) -> bool:
        if not any(a in kind and b in kind for kind in self.kinds[comparison.name]):
            return False
        return not any(self.ctx.share_commodity(e, a, b) for e in comparison.evidence)


def _levels(
    found: dict[str, str], with_evidence: set[str], profiles: _Profiles, a: str, b: str
) -> dict[str, str]:
    """Each comparison's level from the evidence ``found``; ``differ`` where both show the
    fingerprint and nothing matches. Evidence another observer class sees is no ``differ``.
    """
    levels = {}
    for comparison in COMPARISONS:
        mine = {e: lv for e, lv in found.items() if e in comparison.evidence}
        level = comparison.level_of(mine) if mine else None
        if level is not None:
            levels[comparison.name] = level
        elif comparison.name not in with_evidence and profiles.can_differ(comparison, a, b):
            levels[comparison.name] = DIFFER
    return levels


def _same_person(
    links: list[Link], profiles: _Profiles, model: Model, a: str, b: str, prior: float
) -> SamePerson:
    evidence = [link for link in links if link.question == SAME_PERSON]
    with_evidence = {COMPARISON_OF[link.evidence].name for link in evidence}
    bits = {}
    levels: dict[str, str] = {}
    for name in VISIBILITY_ORDER:
        found = {lk.evidence: lk.by_observer[name] for lk in evidence if name in lk.by_observer}
        levels = _levels(found, with_evidence, profiles, a, b)
        bits[name] = model.bits(levels)
    return SamePerson(
        prior,
        bits,
        levels,
        tuple(sorted({lk.evidence for lk in evidence})),
        {c: model.weight(c, level) for c, level in levels.items()},
    )


def _known_together(
    links: list[Link],
    parties_of: Callable[[str], Counter[str]],
    providers_of: Callable[[str], Counter[str]],
    a: str,
    b: str,
) -> KnownTogether | None:
    shown = [link for link in links if link.question == KNOWN_TOGETHER]
    parties = _common(parties_of(a), parties_of(b))
    parties = Counter({p: n for p, n in parties.items() if p not in (a, b)})
    classes = [link.observer_class for link in shown]
    observers: Counter[str] = Counter()
    if parties:
        classes.append("correspondents")
        observers = parties
    else:
        providers = _common(providers_of(a), providers_of(b))
        if providers:
            classes.append("providers")
            observers = providers
    if not classes:
        return None
    for link in shown:
        observers.update(dict.fromkeys(link.observers, 1))
    ranked = _ranked(observers)
    observer_class = min(classes, key=VISIBILITY_ORDER.index)
    return KnownTogether(
        observer_class,
        ranked[:_MAX_OBSERVERS],
        len(ranked),
        tuple(sorted({link.evidence for link in shown})),
    )


def _common(one: Counter[str], other: Counter[str]) -> Counter[str]:
    """``one & other``, walking the smaller: the owner's main address may have been seen
    by every party of the archive, an alias by two."""
    return one & other if len(one) <= len(other) else other & one


# -- clusters ---------------------------------------------------------------------------
def _clusters(pairs: list[PairVerdict]) -> list[Cluster]:
    """The owner's identities joined at each visibility level, per question (networkx).

    A same-person cluster's score is the weakest pair on the strongest chain that joins
    it: the smallest edge of a maximum spanning tree.
    """
    result = []
    for depth, observer_class in enumerate(VISIBILITY_ORDER):
        same = nx.Graph()
        together = nx.Graph()
        for pair in pairs:
            score = pair.same_person.by_observer[observer_class]
            if score >= CLAIM:
                same.add_edge(pair.a, pair.b, weight=score)
            known = pair.known_together
            if known and VISIBILITY_ORDER.index(known.observer_class) <= depth:
                together.add_edge(pair.a, pair.b)
        for component in nx.connected_components(same):
            tree = nx.maximum_spanning_tree(same.subgraph(component))
            weakest = min(w for _, _, w in tree.edges(data="weight"))
            result.append(
                Cluster(tuple(sorted(component)), SAME_PERSON, observer_class, round(weakest, 3))
            )
        for component in nx.connected_components(together):
            result.append(Cluster(tuple(sorted(component)), KNOWN_TOGETHER, observer_class, None))
    result.sort(
        key=lambda c: (c.question != SAME_PERSON, VISIBILITY_ORDER.index(c.observer_class),
                       -len(c.identities), c.identities)
    )  # fmt: skip
    return result


def _suggestions(pairs: list[PairVerdict], owner: Owner) -> list[Suggestion]:
    by_address: dict[str, list[PairVerdict]] = defaultdict(list)
    for pair in pairs:
        if pair.relation == "suggestion" and owner.owns(pair.a) != owner.owns(pair.b):
            other = pair.b if owner.owns(pair.a) else pair.a
            by_address[other].append(pair)
    suggestions = []
    for address, found in by_address.items():
        ties = tuple(sorted(p.a if p.b == address else p.b for p in found))
        evidence = tuple(sorted({e for p in found for e in p.same_person.evidence}))
        score = max(p.same_person.score for p in found)
        suggestions.append(Suggestion(address, ties, score, evidence))
    suggestions.sort(key=lambda s: (-s.score, s.address))
    return suggestions


# -- the analysis -----------------------------------------------------------------------
def _evidence(
    ctx: Context, candidates_from_owner: set[tuple[str, str]], others: bool = True
) -> Iterator[Evidence]:
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


def _pair_verdicts(
    ctx: Context, wanted: set[tuple[str, str]], others: bool = True
) -> tuple[list[Link], _Oldest, dict[tuple[str, str], list[Link]], _Profiles]:
    links, oldest = _links(ctx, _evidence(ctx, wanted, others))
    by_pair: dict[tuple[str, str], list[Link]] = defaultdict(list)
    for link in links:
        by_pair[(link.a, link.b)].append(link)
    return links, oldest, by_pair, _Profiles(ctx)


def compare_pairs(
    frames: Frames,
    pairs: Iterable[tuple[str, str]],
    owner: Owner | None = None,
    model: Model | None = None,
) -> dict[tuple[str, str], SamePerson]:
    """The same-person verdict for each of ``pairs``, whatever evidence joins them.

    What :func:`analyze` computes for the pairs it keeps, for any pairs: the evaluation
    uses it on random pairs of senders to learn how often each fingerprint joins
    strangers. Pairs that are not both the owner's start from the prior of random pairs
    of the archive's senders.
    """
    model = model or load_model()
    owner = owner or Owner(())
    ctx = Context.build(frames, owner)
    wanted = {(a, b) if a < b else (b, a) for a, b in pairs}
    _, _, by_pair, profiles = _pair_verdicts(ctx, wanted)
    found = model.random_prior(_senders(ctx))
    return {
        (a, b): _same_person(by_pair.get((a, b), []), profiles, model, a, b,
                             model.declared if owner.owns(a) and owner.owns(b) else found)
        for a, b in wanted
    }  # fmt: skip


def _senders(ctx: Context) -> int:
    return sum(1 for a in ctx.sent_by if ctx.is_person(a))


def analyze(
    frames: Frames,
    owner: Owner,
    model: Model | None = None,
    *,
    aliases: bool = True,
    others: bool = True,
) -> Analysis:
    """Links, both questions for each pair, clusters and suggestions, for one owner.

    Pairs kept: every pair of the owner's identities (when they are at most
    :data:`MAX_ALL_PAIRS`; beyond, those that evidence joins); each other address that
    same-person evidence ties to one of theirs (a suggestion, from "weak", score ≥
    0.2), and pairs of other people's addresses at score ≥ 0.5, both from the prior
    estimated for this archive (:func:`archive_prior`). With ``aliases``, each identity's
    kind and whom it was given to (:mod:`analyzer.aliases`) come with it. Without
    ``others``, only pairs of the owner's identities are assessed: their verdicts are the
    same, and the rest of a big archive's evidence is never computed (the aliases
    counterfactual needs no more).
    """
    from analyzer.aliases.kinds import identity_kinds  # aliases build on linkability
    from analyzer.aliases.leaks import find_leaks

    frames = readable_frames(frames)
    model = model or load_model()
    kinds = identity_kinds(frames, owner) if aliases else {}
    # before the context is built: each holds hundreds of megabytes at a million messages
    exposures = tuple(find_leaks(frames, owner, kinds)) if aliases else ()
    ctx = Context.build(frames, owner)
    present = {a for mentions in ctx.mentions for _, a, _ in mentions}
    mine = sorted(a for a in set(owner.identities) | present if owner.owns(a))
    owner_pairs = set(combinations(mine, 2)) if len(mine) <= MAX_ALL_PAIRS else set()
    links, oldest, by_pair, profiles = _pair_verdicts(ctx, owner_pairs, others)
    # who saw the messages an address appears on: once per address while its pairs are
    # assessed, not once per pair, and not for every address at once
    appearances = lru_cache(_ADDRESSES_KEPT)(
        lambda address: ctx.side(ctx.appearances.get(address, ()))
    )
    parties_of = lru_cache(_ADDRESSES_KEPT)(lambda address: ctx.parties_on(appearances(address)))
    providers_of = lru_cache(_ADDRESSES_KEPT)(
        lambda address: ctx.providers_on(appearances(address))
    )
    seed = model.random_prior(_senders(ctx))

    def relation_of(a: str, b: str) -> str:
        return (
            "owner" if owner.owns(a) and owner.owns(b)
            else "suggestion" if owner.owns(a) or owner.owns(b)
            else "others"
        )  # fmt: skip

    def verdict(a: str, b: str, relation: str, prior: float) -> PairVerdict:
        pair_links = by_pair.get((a, b), [])
        same = _same_person(pair_links, profiles, model, a, b, prior)
        known = (
            _known_together(pair_links, parties_of, providers_of, a, b)
            if relation == "owner" else None
        )  # fmt: skip
        return PairVerdict(a, b, relation, same, known)

    # the archive's prior needs only each pair's bits: a big archive has hundreds of
    # thousands of candidate pairs and keeps a few, whose verdicts are made again below
    candidates = sorted(set(by_pair) | owner_pairs)
    bits = array("d")
    for a, b in candidates:
        relation = relation_of(a, b)
        if relation != "owner":
            same = verdict(a, b, relation, seed).same_person
            bits.append(same.bits[VISIBILITY_ORDER[-1]])
    found_here = _prior_from_bits(ctx, bits, model)
    pairs = []
    others_bits = iter(bits)
    for a, b in candidates:
        relation = relation_of(a, b)
        if relation == "owner":
            pairs.append(verdict(a, b, relation, model.declared))
            continue
        score = round(posterior(found_here, next(others_bits)), 3)
        if score >= (SUGGEST if relation == "suggestion" else CLAIM):
            pairs.append(verdict(a, b, relation, found_here))
    # two addresses both suggested as the owner's are part of the suggestion, not strangers
    suggested = {p.a if owner.owns(p.b) else p.b for p in pairs if p.relation == "suggestion"}
    pairs = [
        replace(p, relation="suggestion")
        if p.relation == "others" and p.a in suggested and p.b in suggested
        else p
        for p in pairs
    ]
    relations = {(p.a, p.b): p.relation for p in pairs}
    kept = [link for link in links if (link.a, link.b) in relations]
    links = _with_message_ids(ctx, kept, oldest, relations)
    links.sort(
        key=lambda link: (
            not link.owner,
            link.question != SAME_PERSON,
            VISIBILITY_ORDER.index(link.observer_class),
            link.a,
            link.b,
            link.evidence,
        )
    )
    pairs.sort(
        key=lambda p: (("owner", "suggestion", "others").index(p.relation), -p.same_person.score,
                       p.a, p.b)
    )  # fmt: skip
    owner_pairs_found = [p for p in pairs if p.relation == "owner"]
    return Analysis(
        owner,
        tuple(links),
        tuple(pairs),
        tuple(_clusters(owner_pairs_found)),
        tuple(_suggestions(pairs, owner)),
        model,
        found_here,
        kinds,
        exposures,
    )


def archive_prior(ctx: Context, candidates: Sequence[SamePerson], model: Model) -> float:
    """The share of one-person pairs among this archive's senders, by EM.

    How often two addresses found in an archive are one person depends on the archive:
    a list where maintainers moved between employers has many such pairs, a personal
    mailbox few. Starting from the model's prior for random pairs, the expected number
    of one-person pairs among the candidates (pairs some evidence joins) over all pairs
    of senders is the new prior, until it settles. A small archive says little, so the
    model's prior for an archive of its size counts as :data:`_PRIOR_PAIRS` pairs more.
    """
    return _prior_from_bits(ctx, [c.bits[VISIBILITY_ORDER[-1]] for c in candidates], model)


def _prior_from_bits(ctx: Context, evidence: Sequence[float], model: Model) -> float:
    """:func:`archive_prior` from each candidate pair's evidence, in bits (inference)."""
    senders = _senders(ctx)
    total = senders * (senders - 1) / 2
    prior = seed = model.random_prior(senders)
    if total < 1 or not len(evidence):
        return prior
    for _ in range(50):
        expected = sum(posterior(prior, bits) for bits in evidence)
        settled = (expected + _PRIOR_PAIRS * seed) / (total + _PRIOR_PAIRS)
        settled = min(max(settled, 1e-7), model.declared)
        if abs(settled - prior) <= 1e-9:
            break
        prior = settled
    return round(prior, 7)
