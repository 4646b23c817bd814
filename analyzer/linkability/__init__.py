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

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import combinations
from typing import Any

import networkx as nx

from analyzer.frames import Frames
from analyzer.linkability import deterministic, fingerprints
from analyzer.linkability.context import Context, Evidence
from analyzer.linkability.model import (
    COMPARISONS,
    DIFFER,
    Model,
    confidence_word,
    load_model,
)
from analyzer.owner import Owner

__all__ = [
    "CATALOG",
    "CLAIM",
    "KNOWN_TOGETHER",
    "SAME_PERSON",
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
    "compare_pairs",
]

VISIBILITY_ORDER = ("correspondents", "providers", "inference")
SAME_PERSON = "same-person"
KNOWN_TOGETHER = "known-together"
CLAIM = 0.5  # a pair at or above this score is claimed to be one person
_MAX_OBSERVERS = 25


@dataclass(frozen=True)
class Rule:
    evidence: str
    strength: str  # deterministic | probabilistic
    question: str  # same-person | known-together
    levels: tuple[str, ...]  # strongest first
    function: Callable[..., Iterable[Evidence]]
    summary: str
    pairwise: bool = False  # compares candidate pairs instead of blocking on a value


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
    level: str
    weight: float | None  # match weight in bits of the level in the model; None: known-together
    observer_class: str
    observers: tuple[str, ...]  # the parties of that class, the most involved first
    observers_total: int
    messages: tuple[str, ...]  # Message-IDs
    detail: str
    owner: bool  # both addresses are the owner's

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "evidence": self.evidence,
            "strength": self.strength,
            "question": self.question,
            "level": self.level,
            "weight": self.weight,
            "observer_class": self.observer_class,
            "observers": list(self.observers),
            "observers_total": self.observers_total,
            "messages": list(self.messages),
            "detail": self.detail,
            "owner": self.owner,
        }


@dataclass(frozen=True)
class SamePerson:
    """How sure an observer can be that two addresses are one person's."""

    score: float  # with everything anyone can see (inference)
    by_observer: dict[str, float]  # score with what each observer class sees
    levels: dict[str, str]  # comparison → level, with everything
    evidence: tuple[str, ...]

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
            "by_observer": dict(self.by_observer),
            "levels": dict(self.levels),
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
def _union(ctx_map: dict[str, frozenset[str]], keys: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for key in keys:
        counts.update(ctx_map.get(key, ()))
    return counts


def _visibility(ctx: Context, item: Evidence) -> tuple[str, Counter[str]]:
    """Who can see one piece of evidence, with how many of its messages each saw."""
    if item.visibility == "providers":
        return "providers", Counter(item.observers)
    if item.visibility == "message":
        parties = _union(ctx.parties, item.side_a)
        if parties:
            return "correspondents", parties
        return "providers", _union(ctx.providers, item.side_a)
    seen_a, seen_b = _union(ctx.parties, item.side_a), _union(ctx.parties, item.side_b)
    both = Counter({p: seen_a[p] + seen_b[p] for p in seen_a.keys() & seen_b.keys()})
    if both and item.visibility == "cross":
        return "correspondents", both
    providers_a = _union(ctx.providers, item.side_a)
    providers_b = _union(ctx.providers, item.side_b)
    common = Counter(
        {p: providers_a[p] + providers_b[p] for p in providers_a.keys() & providers_b.keys()}
    )
    return "inference", common


def _ranked(counts: Counter[str]) -> tuple[str, ...]:
    return tuple(name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _links(ctx: Context, evidence: Iterable[Evidence], model: Model) -> list[Link]:
    grouped: dict[tuple[str, str, str], list[tuple[str, Counter[str], Evidence]]] = defaultdict(
        list
    )
    for item in evidence:
        a, b = sorted((item.a, item.b))
        if a == b:
            continue
        observer_class, observers = _visibility(ctx, item)
        grouped[(a, b, item.evidence)].append((observer_class, observers, item))
    links = []
    for (a, b, evidence_id), items in grouped.items():
        rule = _RULE[evidence_id]
        best = min(VISIBILITY_ORDER.index(c) for c, _, _ in items)
        observer_class = VISIBILITY_ORDER[best]
        chosen = [(obs, item) for c, obs, item in items if c == observer_class]
        observers: Counter[str] = Counter()
        for counts, _ in chosen:
            observers.update(counts)
        ranked = _ranked(observers)
        keys = {k for _, item in chosen for k in (*item.side_a, *item.side_b)}
        level = min((item.level for _, _, item in items), key=rule.levels.index)
        weight = None
        if rule.question == SAME_PERSON:
            comparison = next(c for c in COMPARISONS if evidence_id in c.evidence)
            found_level = comparison.level_of({evidence_id: level})
            weight = round(model.weight(comparison.name, found_level), 2) if found_level else 0.0
        links.append(
            Link(
                a,
                b,
                evidence_id,
                rule.strength,
                rule.question,
                level,
                weight,
                observer_class,
                ranked[:_MAX_OBSERVERS],
                len(ranked),
                tuple(sorted({ctx.message_id.get(k, k) for k in keys})),
                sorted(item.detail for _, item in chosen)[0],
                ctx.owner.owns(a) and ctx.owner.owns(b),
            )
        )
    return links


# -- profiles: which comparisons a pair can make at all ---------------------------------
def _observable(ctx: Context) -> dict[str, set[str]]:
    """For each comparison, the addresses that show that kind of fingerprint at all.

    A comparison that finds nothing is ``differ`` only when both addresses show the
    fingerprint (two names that do not match); otherwise it is left out.
    """
    machines = {
        address
        for address, sent in ctx.sent_by.items()
        if any(fingerprints.machine_host(ctx.message_id.get(k, ""), address) for k in sent)
    }
    for by_address in fingerprints.client_addresses(ctx)[0].values():
        machines.update(by_address)
    everyone = set(ctx.sent_by) | set(ctx.names)
    profiles = {
        "identity-headers": everyone,
        "keys": set(ctx.key_holders),
        # a persona's name is nobody's: it neither joins nor sets apart
        "name": {a for a, names in ctx.names.items() if set(names) - ctx.persona_names},
        "machine": machines,
        "client": set(fingerprints.client_agents(ctx)),
        "correspondents": {a for a, c in ctx.correspondents.items() if len(c) >= 2},
        "timing": {
            a for a, sent in ctx.sent_by.items() if len(sent) >= fingerprints.MIN_TIMING_MESSAGES
        },
    }
    # lists, robots and spam personas hold no personal fingerprint to differ in (as the
    # rules skip them); keys are compared for the owner's addresses whatever they are
    return {
        name: {
            a
            for a in addresses
            if ctx.is_person(a) or (name in ("identity-headers", "keys") and ctx.owner.owns(a))
        }
        for name, addresses in profiles.items()
    }


def _levels(
    found: dict[str, str], with_evidence: set[str], observable, a: str, b: str
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
        elif comparison.name not in with_evidence and (
            a in observable[comparison.name] and b in observable[comparison.name]
        ):
            levels[comparison.name] = DIFFER
    return levels


def _same_person(links: list[Link], observable, model: Model, a: str, b: str) -> SamePerson:
    evidence = [link for link in links if link.question == SAME_PERSON]
    seen = {c.name for c in COMPARISONS for link in evidence if link.evidence in c.evidence}
    by_observer = {}
    levels: dict[str, str] = {}
    for depth, name in enumerate(VISIBILITY_ORDER):
        found = {
            link.evidence: link.level
            for link in evidence
            if VISIBILITY_ORDER.index(link.observer_class) <= depth
        }
        levels = _levels(found, seen, observable, a, b)
        by_observer[name] = round(model.probability(levels), 3)
    return SamePerson(
        by_observer["inference"],
        by_observer,
        levels,
        tuple(sorted({lk.evidence for lk in evidence})),
    )


def _known_together(
    ctx: Context, links: list[Link], appearances: dict[str, list[str]], a: str, b: str
) -> KnownTogether | None:
    shown = [link for link in links if link.question == KNOWN_TOGETHER]
    parties = _union(ctx.parties, appearances.get(a, ())) & _union(
        ctx.parties, appearances.get(b, ())
    )
    parties = Counter({p: n for p, n in parties.items() if p not in (a, b)})
    classes = [link.observer_class for link in shown]
    observers: Counter[str] = Counter()
    if parties:
        classes.append("correspondents")
        observers = parties
    else:
        providers = _union(ctx.providers, appearances.get(a, ())) & _union(
            ctx.providers, appearances.get(b, ())
        )
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
def _evidence(ctx: Context, candidates_from_owner: set[tuple[str, str]]) -> Iterator[Evidence]:
    blocking = [rule for rule in CATALOG if not rule.pairwise]
    found: list[Evidence] = []
    for rule in blocking:
        found.extend(rule.function(ctx))
    candidates = set(candidates_from_owner)
    for item in found:
        if _RULE[item.evidence].question == SAME_PERSON:
            candidates.add((item.a, item.b) if item.a < item.b else (item.b, item.a))
    comparable = sorted(
        (a, b)
        for a, b in candidates
        if (ctx.owner.owns(a) or ctx.is_person(a)) and (ctx.owner.owns(b) or ctx.is_person(b))
    )
    yield from found
    for rule in CATALOG:
        if rule.pairwise:
            yield from rule.function(ctx, comparable)


def compare_pairs(
    frames: Frames,
    pairs: Iterable[tuple[str, str]],
    owner: Owner | None = None,
    model: Model | None = None,
) -> dict[tuple[str, str], SamePerson]:
    """The same-person verdict for each of ``pairs``, whatever evidence joins them.

    What :func:`analyze` computes for the pairs it keeps, for any pairs: the evaluation
    uses it on random pairs of senders, which are different people in all but a few
    cases, to learn how often each fingerprint joins strangers.
    """
    model = model or load_model()
    owner = owner or Owner(())
    ctx = Context.build(frames, owner)
    wanted = {(a, b) if a < b else (b, a) for a, b in pairs}
    links = _links(ctx, _evidence(ctx, wanted), model)
    by_pair: dict[tuple[str, str], list[Link]] = defaultdict(list)
    for link in links:
        by_pair[(link.a, link.b)].append(link)
    observable = _observable(ctx)
    return {
        (a, b): _same_person(by_pair.get((a, b), []), observable, model, a, b) for a, b in wanted
    }


def analyze(frames: Frames, owner: Owner, model: Model | None = None) -> Analysis:
    """Links, both questions for each pair, clusters and suggestions, for one owner.

    Pairs kept: every pair of the owner's identities; each other address that
    same-person evidence ties to one of theirs (a suggestion, score ≥ 0.5); and pairs of
    other people's addresses at score ≥ 0.5.
    """
    model = model or load_model()
    ctx = Context.build(frames, owner)
    present = {a for by_role in ctx.roles.values() for pairs in by_role.values() for a, _ in pairs}
    mine = sorted(a for a in set(owner.identities) | present if owner.owns(a))
    owner_pairs = set(combinations(mine, 2))
    links = _links(ctx, _evidence(ctx, owner_pairs), model)
    by_pair: dict[tuple[str, str], list[Link]] = defaultdict(list)
    for link in links:
        by_pair[(link.a, link.b)].append(link)
    observable = _observable(ctx)
    appearances = ctx.appearances
    pairs = []
    for a, b in sorted(set(by_pair) | owner_pairs):
        pair_links = by_pair.get((a, b), [])
        relation = (
            "owner" if owner.owns(a) and owner.owns(b)
            else "suggestion" if owner.owns(a) or owner.owns(b)
            else "others"
        )  # fmt: skip
        same = _same_person(pair_links, observable, model, a, b)
        known = _known_together(ctx, pair_links, appearances, a, b) if relation == "owner" else None
        if relation != "owner" and same.score < CLAIM:
            continue
        pairs.append(PairVerdict(a, b, relation, same, known))
    # two addresses both suggested as the owner's are part of the suggestion, not strangers
    suggested = {p.a if owner.owns(p.b) else p.b for p in pairs if p.relation == "suggestion"}
    pairs = [
        replace(p, relation="suggestion")
        if p.relation == "others" and p.a in suggested and p.b in suggested
        else p
        for p in pairs
    ]
    kept = {(p.a, p.b) for p in pairs}
    links = [link for link in links if (link.a, link.b) in kept]
    links.sort(
        key=lambda link: (
            not link.owner,
            link.question != SAME_PERSON,
            VISIBILITY_ORDER.index(link.observer_class),
            -(link.weight or 0.0),
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
    )
