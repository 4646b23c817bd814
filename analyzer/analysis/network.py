"""Who the mail goes between: the aggregates behind the communication graph, and the
owner's own network (their nearest correspondents and the communities among them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

import networkx as nx

from analyzer.frames import Frames, shared_values
from analyzer.linkability.context import BROADCAST_PARTIES, is_person_address
from analyzer.owner import Owner
from analyzer.vocabulary import PARTY_ROLES, RECIPIENT_ROLES

__all__ = ["EGO_NEIGHBOURS", "Network", "communication_aggregates", "network"]

EGO_NEIGHBOURS = 40  # correspondents drawn in the owner's network


@dataclass(frozen=True)
class Network:
    """The owner's network ("you" stands for all their identities) and the whole archive's
    sender → recipient aggregates (:func:`communication_aggregates`)."""

    edges: tuple[tuple[str, str, int], ...]  # (you or correspondent, correspondent, messages)
    communities: tuple[tuple[str, ...], ...]
    aggregates: dict[str, Any] = field(default_factory=dict, repr=False)


def communication_aggregates(participants: Any, dates: Any) -> dict[str, Any]:
    """The aggregations behind the communication graph, of pandas or Dask frames alike.

    ``participants`` holds ``message_key``, ``address`` and ``role``; ``dates`` holds
    ``message_key`` and ``date_utc``. On pandas frames the results are computed; on
    ``dask.dataframe`` frames they are lazy, for the analysis to take once computed
    (:func:`analyzer.engines.aggregate_on_dask`).
    """
    pair = ["address_from", "address_to"]
    senders = participants[participants["role"] == "from"][["message_key", "address"]]
    sent_to = participants["role"].isin(list(RECIPIENT_ROLES))
    receivers = participants[sent_to][["message_key", "address", "role"]]
    edges = senders.merge(receivers, on="message_key", suffixes=("_from", "_to"))
    edges = edges.merge(dates, on="message_key", how="left")
    grouped = edges.groupby(pair)  # one pass per column, no loop over groups
    return {
        "weight": grouped["message_key"].nunique(),
        "first_seen": grouped["date_utc"].min(),
        "last_seen": grouped["date_utc"].max(),
        "edge_roles": edges[[*pair, "role"]].drop_duplicates(),
        "sent": senders.groupby("address")["message_key"].nunique(),
        "received": receivers.groupby("address")["message_key"].nunique(),
        "roles": participants[["address", "role"]].dropna().drop_duplicates(),
    }


def network(
    frames: Frames, owner: Owner, lists: frozenset[str], aggregates: dict[str, Any] | None = None
) -> Network:
    """The owner's network and the archive's aggregates (``aggregates``, computed elsewhere
    such as on a Dask cluster, stand in for those of ``frames``)."""
    if aggregates is None:
        people = frames.participants[["message_key", "address", "role"]]
        aggregates = communication_aggregates(people, frames.messages[["message_key", "date_utc"]])
    edges, communities = _ego(frames, owner, lists)
    return Network(tuple(edges), tuple(communities), aggregates)


def _ego(frames: Frames, owner: Owner, lists: frozenset[str]):
    """The owner (all identities as one node, "you") and the people mail went between."""
    people = frames.participants
    parties = people[people["role"].isin(PARTY_ROLES)][["message_key", "address"]].dropna()
    parties = parties.sort_values("message_key", kind="stable")  # each message's rows together
    keys, addresses = shared_values(parties["message_key"]), shared_values(parties["address"])
    node = {}  # address → its node ("you" for the owner's), None for no person
    for address in parties["address"].unique():
        if owner.owns(address):
            node[address] = "you"
        elif address not in lists and is_person_address(address):
            node[address] = address
        else:
            node[address] = None
    weights: Counter[tuple[str, str]] = Counter()
    for _, in_message in groupby(zip(keys, addresses, strict=True), key=itemgetter(0)):
        present = {address for _, address in in_message}
        if len(present) > BROADCAST_PARTIES:  # a broadcast is no relationship
            continue
        named = sorted({node[a] for a in present} - {None})
        for i, a in enumerate(named):
            for b in named[i + 1 :]:
                weights[(a, b)] += 1
    if owner.identities:
        near = Counter(
            {(b if a == "you" else a): n for (a, b), n in weights.items() if "you" in (a, b)}
        )
    else:
        near = Counter()
        for (a, b), n in weights.items():
            near[a] += n
            near[b] += n
    kept = {a for a, _ in sorted(near.items(), key=lambda kv: (-kv[1], kv[0]))[:EGO_NEIGHBOURS]}
    kept |= {"you"} if owner.identities else set()
    edges = [(a, b, n) for (a, b), n in sorted(weights.items()) if a in kept and b in kept]
    graph = nx.Graph()
    graph.add_weighted_edges_from(edges)
    others = graph.subgraph([n for n in graph if n != "you"])
    communities = (
        nx.community.louvain_communities(others, weight="weight", seed=1) if len(others) else []
    )
    ordered = sorted((tuple(sorted(c)) for c in communities), key=lambda c: (-len(c), c))
    return edges, ordered
