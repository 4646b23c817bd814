"""One run of linkability: links, both questions for the pairs kept, clusters and
suggestions, for one owner."""

from __future__ import annotations

from array import array
from dataclasses import replace
from functools import lru_cache
from itertools import combinations

from analyzer.frames import Frames
from analyzer.linkability.catalog import CLAIM, SAME_PERSON, SUGGEST, VISIBILITY_ORDER
from analyzer.linkability.clusters import _clusters, _suggestions
from analyzer.linkability.context import Context
from analyzer.linkability.links import _with_message_ids
from analyzer.linkability.model import Model, load_model, posterior
from analyzer.linkability.results import Linkability, PairVerdict
from analyzer.linkability.verdicts import (
    _known_together,
    _pair_verdicts,
    _prior_from_bits,
    _same_person,
    _senders,
)
from analyzer.owner import Owner
from analyzer.readable import readable_frames
from analyzer.vocabulary import Relation

__all__ = ["MAX_ALL_PAIRS", "analyze"]

MAX_ALL_PAIRS = 40  # owner identities up to which every pair of them is assessed
# addresses whose parties and providers the assessment of the owner's pairs keeps at once
_ADDRESSES_KEPT = 256
_RELATION_ORDER = (Relation.OWNER, Relation.SUGGESTION, Relation.OTHERS)


def analyze(
    frames: Frames,
    owner: Owner,
    model: Model | None = None,
    *,
    others: bool = True,
) -> Linkability:
    """Links, both questions for each pair, clusters and suggestions, for one owner.

    Pairs kept: every pair of the owner's identities (when they are at most
    :data:`MAX_ALL_PAIRS`; beyond, those that evidence joins); each other address that
    same-person evidence ties to one of theirs (a suggestion, from "weak", score ≥
    0.2), and pairs of other people's addresses at score ≥ 0.5, both from the prior
    estimated for this archive (:func:`~.verdicts.archive_prior`). Without ``others``, only
    pairs of the owner's identities are assessed: their verdicts are the same, and the rest
    of a big archive's evidence is never computed (the aliases counterfactual needs no
    more). Each identity's kind and whom it was given to are the aliases' to find
    (:func:`analyzer.analysis.analyze` asks both).
    """
    frames = readable_frames(frames)
    model = model or load_model()
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
            Relation.OWNER if owner.owns(a) and owner.owns(b)
            else Relation.SUGGESTION if owner.owns(a) or owner.owns(b)
            else Relation.OTHERS
        )  # fmt: skip

    def verdict(a: str, b: str, relation: str, prior: float) -> PairVerdict:
        pair_links = by_pair.get((a, b), [])
        same = _same_person(pair_links, profiles, model, a, b, prior)
        known = (
            _known_together(pair_links, parties_of, providers_of, a, b)
            if relation == Relation.OWNER else None
        )  # fmt: skip
        return PairVerdict(a, b, relation, same, known)

    # the archive's prior needs only each pair's bits: a big archive has hundreds of
    # thousands of candidate pairs and keeps a few, whose verdicts are made again below
    candidates = sorted(set(by_pair) | owner_pairs)
    bits = array("d")
    for a, b in candidates:
        relation = relation_of(a, b)
        if relation != Relation.OWNER:
            same = verdict(a, b, relation, seed).same_person
            bits.append(same.bits[VISIBILITY_ORDER[-1]])
    found_here = _prior_from_bits(ctx, bits, model)
    pairs = []
    others_bits = iter(bits)
    for a, b in candidates:
        relation = relation_of(a, b)
        if relation == Relation.OWNER:
            pairs.append(verdict(a, b, relation, model.declared))
            continue
        score = round(posterior(found_here, next(others_bits)), 3)
        if score >= (SUGGEST if relation == Relation.SUGGESTION else CLAIM):
            pairs.append(verdict(a, b, relation, found_here))
    # two addresses both suggested as the owner's are part of the suggestion, not strangers
    suggested = {
        p.a if owner.owns(p.b) else p.b for p in pairs if p.relation == Relation.SUGGESTION
    }
    pairs = [
        replace(p, relation=Relation.SUGGESTION)
        if p.relation == Relation.OTHERS and p.a in suggested and p.b in suggested
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
    pairs.sort(key=lambda p: (_RELATION_ORDER.index(p.relation), -p.same_person.score, p.a, p.b))
    owner_pairs_found = [p for p in pairs if p.relation == Relation.OWNER]
    return Linkability(
        owner,
        tuple(links),
        tuple(pairs),
        tuple(_clusters(owner_pairs_found)),
        tuple(_suggestions(pairs, owner)),
        model,
        found_here,
    )
