"""The owner's identities joined per question and observer class, and the addresses
same-person evidence suggests are theirs too."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from analyzer.linkability.catalog import CLAIM, KNOWN_TOGETHER, SAME_PERSON, VISIBILITY_ORDER
from analyzer.linkability.results import Cluster, PairVerdict, Suggestion
from analyzer.owner import Owner
from analyzer.vocabulary import Relation


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
        if pair.relation == Relation.SUGGESTION and owner.owns(pair.a) != owner.owns(pair.b):
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
