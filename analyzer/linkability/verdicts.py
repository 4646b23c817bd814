"""Both questions for each pair of addresses, from its links.

- **same person**: the comparisons a pair's evidence makes (or ``differ``, where both
  addresses show a fingerprint and nothing matches), in bits per observer class, and a
  probability from a prior: declared for two of the owner's addresses, found in the
  archive for the rest (:func:`archive_prior`);
- **known together**: who holds both addresses: one message that shows both
  (``co-recipient``, ``thread``), or a correspondent or provider who handled mail of each.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from analyzer.frames import Frames
from analyzer.linkability import fingerprints
from analyzer.linkability.catalog import KNOWN_TOGETHER, SAME_PERSON, VISIBILITY_ORDER
from analyzer.linkability.context import Context
from analyzer.linkability.links import _MAX_OBSERVERS, _evidence, _links, _Oldest, _ranked
from analyzer.linkability.model import (
    COMPARISON_OF,
    COMPARISONS,
    DIFFER,
    SHARED_VALUE_OF,
    Comparison,
    Model,
    load_model,
    posterior,
)
from analyzer.linkability.results import KnownTogether, Link, SamePerson
from analyzer.owner import Owner
from analyzer.vocabulary import ObserverClass

__all__ = ["MOST_PER_SENDER", "archive_prior", "compare_pairs", "prior_bound"]

_PRIOR_PAIRS = 10_000  # how many pairs' worth the model's prior weighs in an archive's
# one-person pairs per sender an archive's prior may reach: each sender with one more
# address here on average (the fitted archives reach 0.36, a 1990s list where developers
# wrote from many hosts; an archive whose senders all share a machine's fingerprint
# would claim several per sender)
MOST_PER_SENDER = 0.5


class _Profiles:
    """Which kinds of fingerprint each address shows, per comparison.

    A comparison that finds nothing is ``differ`` only when both addresses show the same
    kind of fingerprint (two names that do not match, two machine names, two PGP keys)
    and do not share one too common to compare; otherwise it is left out.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        smime, pgp = set(), set()
        for key, kind, _, addresses, _ in ctx.key_rows():
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
    declared = profiles.ctx.owner.owns(a) and profiles.ctx.owner.owns(b)
    bits = {}
    levels: dict[str, str] = {}
    weights: dict[str, float] = {}
    for name in VISIBILITY_ORDER:
        found = {lk.evidence: lk.by_observer[name] for lk in evidence if name in lk.by_observer}
        levels = _levels(found, with_evidence, profiles, a, b)
        weights = model.weights_of(levels, _caps(profiles.ctx, levels, a, b), declared=declared)
        bits[name] = math.fsum(weights.values())
    return SamePerson(prior, bits, levels, tuple(sorted({lk.evidence for lk in evidence})), weights)


def _caps(ctx: Context, levels: dict[str, str], a: str, b: str) -> dict[str, float]:
    """The most each comparison that matched on a shared machinery value can say (how
    many of the archive's senders share it: :func:`.fingerprints.shared_value_bits`)."""
    caps = {}
    for comparison, level in levels.items():
        evidence = SHARED_VALUE_OF.get((comparison, level))
        bound = fingerprints.shared_value_bits(ctx, evidence, a, b) if evidence else None
        if bound is not None:
            caps[comparison] = bound
    return caps


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
        classes.append(ObserverClass.CORRESPONDENTS)
        observers = parties
    else:
        providers = _common(providers_of(a), providers_of(b))
        if providers:
            classes.append(ObserverClass.PROVIDERS)
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


def _pair_verdicts(
    ctx: Context, wanted: set[tuple[str, str]], others: bool = True
) -> tuple[list[Link], _Oldest, dict[tuple[str, str], list[Link]], _Profiles]:
    """Every link (with its oldest messages beside), the links of each pair, and the
    profiles that tell a pair's ``differ`` from its silence."""
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

    What :func:`~analyzer.linkability.analyze` computes for the pairs it keeps, for any
    pairs: the evaluation uses it on random pairs of senders to learn how often each
    fingerprint joins strangers. Pairs that are not both the owner's start from the prior
    of random pairs of the archive's senders.
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
    """How many people sent mail here: the pairs of senders the archive's prior is over."""
    return fingerprints.sender_count(ctx)


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


def prior_bound(model: Model, senders: int) -> float:
    """The highest prior an archive of ``senders`` senders may find for itself
    (:data:`MOST_PER_SENDER` one-person pairs per sender, never above the declared prior)."""
    return min(model.declared, 2 * MOST_PER_SENDER / max(senders - 1, 1))


def _prior_from_bits(ctx: Context, evidence: Sequence[float], model: Model) -> float:
    """:func:`archive_prior` from each candidate pair's evidence, in bits (inference).

    Bounded by :func:`prior_bound`: where the candidates rest on a fingerprint that
    many share, EM feeds on its own estimate, and a prior twenty times the others'
    would make every such pair a claim.
    """
    senders = _senders(ctx)
    total = senders * (senders - 1) / 2
    prior = seed = model.random_prior(senders)
    if total < 1 or not len(evidence):
        return prior
    highest = prior_bound(model, senders)
    for _ in range(50):
        expected = sum(posterior(prior, bits) for bits in evidence)
        settled = (expected + _PRIOR_PAIRS * seed) / (total + _PRIOR_PAIRS)
        settled = min(max(settled, 1e-7), highest)
        if abs(settled - prior) <= 1e-9:
            break
        prior = settled
    return round(prior, 7)
