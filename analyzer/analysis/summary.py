"""The numbers the verdict states, counted once: how many of the owner's addresses the
mail shows, the people an archive's findings make, and the evidence encryption left.

The report's verdict and findings.json's ``summary`` both read these, so a sentence of
the report can be checked against the JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from analyzer.analysis.identities import Identity
from analyzer.analysis.messages import MessageRef, refs_of
from analyzer.linkability import Link, PairVerdict
from analyzer.vocabulary import Relation

__all__ = ["MESSAGES_PER_EVIDENCE", "Person", "Summary", "people_of", "summarise"]

MESSAGES_PER_EVIDENCE = 5  # messages shown under each piece of evidence


@dataclass(frozen=True)
class Person:
    """Addresses of an archive that findings tie together into one person."""

    addresses: tuple[str, ...]
    findings: tuple[str, ...]  # the ids of the findings that join them
    name: str = ""  # the name their addresses go by most, "" when none has one


@dataclass(frozen=True)
class Summary:
    """What the verdict says in numbers."""

    addresses_seen: int  # the owner's addresses the mail shows, and those it implies
    evidence: int  # pieces of evidence behind the findings (one per pair and kind)
    evidence_shown_encrypted: int  # of those, shown by an encrypted message among the first
    people: tuple[Person, ...] = ()  # with no owner: who the findings make, largest first

    def as_dict(self) -> dict[str, object]:
        return {
            "addresses_seen": self.addresses_seen,
            "evidence": self.evidence,
            "evidence_shown_encrypted": self.evidence_shown_encrypted,
            "messages_shown_per_evidence": MESSAGES_PER_EVIDENCE,
            "people": [
                {"name": p.name, "addresses": list(p.addresses), "findings": list(p.findings)}
                for p in self.people
            ],
        }


def people_of(
    found: Iterable[tuple[str, PairVerdict]], names: Mapping[str, str] | None = None
) -> tuple[Person, ...]:
    """The groups the findings join, largest first: a reader of a list archive asks "who",
    not "which pair". ``names``: each address's display name; a person is called by the
    one most of their addresses go by."""
    names = names or {}
    graph = nx.Graph()
    for finding_id, pair in found:
        graph.add_edge(pair.a, pair.b, id=finding_id)
    people = []
    for addresses in nx.connected_components(graph):
        ids = [data["id"] for _, _, data in graph.subgraph(addresses).edges(data=True)]
        ordered = sorted(ids, key=lambda i: int(i[1:]))
        called = Counter(names[a] for a in addresses if names.get(a))
        name = min(called, key=lambda n: (-called[n], -len(n), n)) if called else ""
        people.append(Person(tuple(sorted(addresses)), tuple(ordered), name))
    return tuple(sorted(people, key=lambda p: (-len(p.addresses), p.addresses)))


def summarise(
    identities: Sequence[Identity],
    found: Sequence[tuple[str, PairVerdict]],
    links_of: Mapping[tuple[str, str], Sequence[Link]],
    messages: Mapping[str, MessageRef],
    has_owner: bool,
    names: Mapping[str, str] | None = None,
) -> Summary:
    """``found``: the findings (``F`` ids) with their pairs; ``links_of``: each pair's links."""
    seen = {i.address for i in identities if i.messages}
    seen |= {a for _, p in found if p.relation == Relation.OWNER for a in (p.a, p.b)}
    pieces = [link for _, p in found for link in links_of.get((p.a, p.b), ())]
    encrypted = sum(
        1
        for link in pieces
        if any(m.encrypted for m in refs_of(messages, link.messages)[:MESSAGES_PER_EVIDENCE])
    )
    people = () if has_owner else people_of(found, names)
    return Summary(len(seen), len(pieces), encrypted, people)
