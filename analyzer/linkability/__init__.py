"""Linkability: which identities can be tied together, by whom, with what evidence.

Every rule of the evidence catalog (docs/findings.md) is a function in
:mod:`.deterministic` or :mod:`.fingerprints` that yields
:class:`~analyzer.linkability.context.Evidence`. :func:`find_links` runs them all and
folds the evidence into one :class:`Link` per pair and evidence id, deciding who can
see it:

- ``correspondents`` when one message shows it to the people it went to, or when one
  correspondent saw both messages that share a fingerprint;
- ``providers`` when only relays, forwarders or mailbox providers see it;
- ``inference`` when it takes a party that sees many messages.

:func:`clusters` joins the owner's identities per visibility level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from analyzer.frames import Frames
from analyzer.linkability import deterministic, fingerprints
from analyzer.linkability.context import Context, Evidence
from analyzer.owner import Owner

__all__ = ["CATALOG", "Cluster", "Link", "Rule", "clusters", "find_links"]

VISIBILITY_ORDER = ("correspondents", "providers", "inference")
_MAX_OBSERVERS = 25


@dataclass(frozen=True)
class Rule:
    evidence: str
    strength: str  # deterministic | probabilistic
    function: Callable[[Context], Iterable[Evidence]]
    summary: str


CATALOG: tuple[Rule, ...] = (
    Rule("co-recipient", "deterministic", deterministic.co_recipient,
         "two identities in To/Cc/Bcc of one message"),
    Rule("reply-to", "deterministic", deterministic.reply_to, "Reply-To names another identity"),
    Rule("sender", "deterministic", deterministic.sender,
         "Sender or envelope Return-Path differs from From"),
    Rule("forwarding", "deterministic", deterministic.forwarding,
         "Delivered-To / X-Original-To / alias-service headers show alias → mailbox"),
    Rule("subaddress", "deterministic", deterministic.subaddress,
         "user+tag@ is user@ under the provider's rules"),
    Rule("thread", "deterministic", deterministic.thread,
         "a thread that reached one identity answered from another"),
    Rule("smime-certificate", "deterministic", deterministic.smime_certificate,
         "a signer certificate naming several addresses, or one certificate under two"),
    Rule("pgp-key", "deterministic", deterministic.pgp_key,
         "one OpenPGP key id (recipient or signer) under two addresses"),
    Rule("autocrypt", "deterministic", deterministic.autocrypt,
         "one Autocrypt key under two addr values"),
    Rule("display-name", "probabilistic", fingerprints.display_name,
         "the same personal name on two addresses"),
    Rule("client-ip", "probabilistic", fingerprints.client_ip,
         "the same public client address in the first hop"),
    Rule("message-id-host", "probabilistic", fingerprints.message_id_host,
         "the same machine name after the @ of the Message-ID"),
    Rule("client-fingerprint", "probabilistic", fingerprints.client_fingerprint,
         "the same mail client build in the same time zone"),
    Rule("social-overlap", "probabilistic", fingerprints.social_overlap,
         "similar sets of correspondents"),
    Rule("timing", "probabilistic", fingerprints.timing, "the same sending hours"),
)  # fmt: skip
_STRENGTH = {rule.evidence: rule.strength for rule in CATALOG}


@dataclass(frozen=True)
class Link:
    """Two addresses joined by one kind of evidence, and who can see it."""

    a: str
    b: str
    evidence: str
    strength: str
    score: float
    observer_class: str
    observers: tuple[str, ...]
    messages: tuple[str, ...]  # Message-IDs
    detail: str
    owner: bool  # both addresses are the owner's

    def as_dict(self) -> dict:
        return {
            "a": self.a,
            "b": self.b,
            "evidence": self.evidence,
            "strength": self.strength,
            "score": self.score,
            "observer_class": self.observer_class,
            "observers": list(self.observers),
            "messages": list(self.messages),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Cluster:
    identities: tuple[str, ...]
    score: float
    observer_class: str  # who can join all of them: correspondents, providers or inference

    def as_dict(self) -> dict:
        return {
            "identities": list(self.identities),
            "score": self.score,
            "observer_class": self.observer_class,
        }


def _visibility(ctx: Context, item: Evidence) -> tuple[str, set[str]]:
    if item.visibility == "providers":
        return "providers", set(item.observers)
    if item.visibility == "message":
        parties = set().union(*(ctx.parties.get(k, frozenset()) for k in item.side_a))
        if parties:
            return "correspondents", parties
        return "providers", set().union(*(ctx.providers.get(k, frozenset()) for k in item.side_a))
    seen_a = set().union(*(ctx.parties.get(k, frozenset()) for k in item.side_a))
    seen_b = set().union(*(ctx.parties.get(k, frozenset()) for k in item.side_b))
    both = seen_a & seen_b
    if both and item.visibility == "cross":
        return "correspondents", both
    providers_a = set().union(*(ctx.providers.get(k, frozenset()) for k in item.side_a))
    providers_b = set().union(*(ctx.providers.get(k, frozenset()) for k in item.side_b))
    return "inference", providers_a & providers_b


def _evidence(ctx: Context, rules: Iterable[Rule]) -> Iterator[Evidence]:
    for rule in rules:
        yield from rule.function(ctx)


def find_links(frames: Frames, owner: Owner, rules: Iterable[Rule] = CATALOG) -> list[Link]:
    """Every link the evidence rules find: the owner's first, then other people's.

    One :class:`Link` per pair and evidence id, with the most visible observer class
    any of its evidence reaches, the observers of that class, the Message-IDs and one
    header line that shows it. The order is stable, so the output is reproducible.
    """
    ctx = Context.build(frames, owner)
    grouped: dict[tuple[str, str, str], list[tuple[str, set[str], Evidence]]] = defaultdict(list)
    for item in _evidence(ctx, rules):
        a, b = sorted((item.a, item.b))
        if a == b:
            continue
        observer_class, observers = _visibility(ctx, item)
        grouped[(a, b, item.evidence)].append((observer_class, observers, item))

    links = []
    for (a, b, evidence), items in grouped.items():
        best = min(VISIBILITY_ORDER.index(c) for c, _, _ in items)
        observer_class = VISIBILITY_ORDER[best]
        chosen = [(obs, item) for c, obs, item in items if c == observer_class]
        observers = sorted(set().union(*(obs for obs, _ in chosen)))[:_MAX_OBSERVERS]
        keys = {k for _, item in chosen for k in (*item.side_a, *item.side_b)}
        message_ids = sorted({ctx.message_id.get(k, k) for k in keys})
        score = round(max(item.score for _, item in chosen), 3)
        detail = sorted(item.detail for _, item in chosen)[0]
        links.append(
            Link(
                a,
                b,
                evidence,
                _STRENGTH.get(evidence, "probabilistic"),
                score,
                observer_class,
                tuple(observers),
                tuple(message_ids),
                detail,
                owner.owns(a) and owner.owns(b),
            )
        )
    links.sort(
        key=lambda link: (
            not link.owner,
            VISIBILITY_ORDER.index(link.observer_class),
            link.strength != "deterministic",
            -link.score,
            link.a,
            link.b,
            link.evidence,
        )
    )
    return links


def _find(parent: dict[str, str], x: str) -> str:
    parent.setdefault(x, x)
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def clusters(links: Iterable[Link], owner: Owner) -> list[Cluster]:
    """The owner's identities joined at each visibility level (union-find).

    The score of a cluster is the weakest pair on the strongest chain that joins it:
    pairs combine their evidence as ``1 - Π(1 - score)``, and a maximum spanning
    tree keeps the best chain.
    """
    owner_links = [link for link in links if link.owner]
    result = []
    for level, name in enumerate(VISIBILITY_ORDER):
        visible = [lk for lk in owner_links if VISIBILITY_ORDER.index(lk.observer_class) <= level]
        pair_score: dict[tuple[str, str], float] = defaultdict(lambda: 0.0)
        for link in visible:
            key = (link.a, link.b)
            pair_score[key] = 1 - (1 - pair_score[key]) * (1 - link.score)
        parent: dict[str, str] = {}
        weakest: dict[str, float] = {}
        for (a, b), score in sorted(pair_score.items(), key=lambda item: (-item[1], item[0])):
            root_a, root_b = _find(parent, a), _find(parent, b)
            if root_a == root_b:
                continue
            parent[root_a] = root_b
            weakest[root_b] = min(score, weakest.pop(root_a, 1.0), weakest.get(root_b, 1.0))
        members: dict[str, list[str]] = defaultdict(list)
        for node in parent:
            members[_find(parent, node)].append(node)
        for root, nodes in members.items():
            if len(nodes) > 1:
                result.append(Cluster(tuple(sorted(nodes)), round(weakest[root], 3), name))
    result.sort(key=lambda c: (VISIBILITY_ORDER.index(c.observer_class), -len(c.identities),
                               c.identities))  # fmt: skip
    return result
