"""The communication graph explore.html draws, and when the messages behind its edges and
behind each identity pair were sent, for a reader to open an edge and limit a period.

The graph is the one the graph files hold (:func:`analyzer.graphs.communication_graph`: a
message ties its sender to each recipient, broadcasts included), with one node per person
as the network places each address (:attr:`~analyzer.analysis.network.AddressFacts.person`:
"you" for the owner's addresses, a person's main address for the addresses linkability
merges, the organisation behind an alias service's stand-in); a role or robot address
(machinery) is a node of its own. Only the busiest :data:`MAX_DRAWN_NODES` nodes and
:data:`MAX_DRAWN_EDGES` edges among them are kept, so that a browser can lay them out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from analyzer.analysis.messages import MessageRef, message_ref, shown_ids
from analyzer.analysis.network import Network, NetworkNode
from analyzer.frames import Frames
from analyzer.readable import usable_dates
from analyzer.vocabulary import RECIPIENT_ROLES

__all__ = [
    "MAX_DRAWN_EDGES",
    "MAX_DRAWN_NODES",
    "SHOWN_PER_EDGE",
    "Conversation",
    "Conversations",
    "Months",
    "conversations",
    "pair_months",
]

SHOWN_PER_EDGE = 25  # the newest messages listed for an edge; the months count them all
MAX_DRAWN_NODES = 300  # the busiest nodes a browser lays out; the graph files hold all
MAX_DRAWN_EDGES = 3000  # the heaviest edges among them

Months = tuple[tuple[str, int], ...]  # ("YYYY-MM", messages), oldest first; "" undated


@dataclass(frozen=True)
class Conversation:
    """The messages two nodes share: how many each month, the newest few."""

    a: str  # node ids, a < b
    b: str
    months: Months
    messages: tuple[MessageRef, ...]  # the newest SHOWN_PER_EDGE, newest first

    @property
    def total(self) -> int:
        return sum(n for _, n in self.months)


@dataclass(frozen=True)
class Conversations:
    """The drawn communication graph: its nodes (busiest first), its edges, and how much of
    the whole graph they are."""

    nodes: tuple[NetworkNode, ...] = ()
    edges: tuple[Conversation, ...] = ()
    nodes_total: int = 0  # nodes and edges of the whole graph, before the caps
    edges_total: int = 0


def _node_of(network: Network, addresses: Iterable[str]) -> dict[str, str]:
    """Each address's node: its person, else (machinery) the address itself."""
    return {a: network.facts_of(a).person or network.parties.get(a) or a for a in addresses}


def _kind(network: Network, node: str) -> str:
    facts = network.facts_of(node)
    if node == "you":
        return "you"
    if facts.is_list:
        return "list"
    if facts.is_machinery or not facts.person:
        return "machinery"
    return facts.kind if facts.kind in ("organisation", "relay") else "person"


def conversations(frames: Frames, network: Network, names: Mapping[str, str]) -> Conversations:
    """The communication graph at one node per person, capped for a browser."""
    people = frames.participants[["message_key", "address", "role"]].dropna()
    people = people.astype({"address": object, "role": object})
    senders = people[people["role"] == "from"][["message_key", "address"]]
    receivers = people[people["role"].isin(list(RECIPIENT_ROLES))][["message_key", "address"]]
    node_of = _node_of(network, pd.unique(people["address"]))
    ties = senders.merge(receivers, on="message_key", suffixes=("_from", "_to"))
    one, other = ties["address_from"].map(node_of), ties["address_to"].map(node_of)
    ties = pd.DataFrame({"message_key": ties["message_key"].to_numpy(),
                         "node_a": one.where(one < other, other).to_numpy(),
                         "node_b": other.where(one < other, one).to_numpy()})  # fmt: skip
    ties = ties[ties["node_a"] != ties["node_b"]].drop_duplicates()
    edge = ["node_a", "node_b"]
    weights = ties.groupby(edge, sort=True).size()
    ends = [ties[["message_key", end]].set_axis(["key", "node"], axis=1) for end in edge]
    messages_of = pd.concat(ends).drop_duplicates().groupby("node").size()
    ranked = sorted(messages_of.items(), key=lambda kv: (kv[0] != "you", -kv[1], kv[0]))
    kept = {n for n, _ in ranked[:MAX_DRAWN_NODES]}
    heavy = [(a, b, n) for (a, b), n in weights.items() if a in kept and b in kept]
    heavy = sorted(heavy, key=lambda e: (-e[2], e[0], e[1]))[:MAX_DRAWN_EDGES]
    drawn_edges = sorted((a, b) for a, b, _ in heavy)
    ties = ties.merge(pd.DataFrame(drawn_edges, columns=edge), on=edge)
    months, listed = _months_and_newest(frames, ties, edge)
    edges = tuple(Conversation(a, b, months.get((a, b), ()), listed.get((a, b), ()))
                  for a, b in drawn_edges)  # fmt: skip
    return Conversations(_nodes(network, names, node_of, ranked, edges), edges,
                         len(messages_of), len(weights))  # fmt: skip


def _nodes(network, names, node_of, ranked, edges) -> tuple[NetworkNode, ...]:
    """The nodes the drawn edges touch, busiest first (by their messages with anyone),
    named as the report's figure names them (else by an address's display name), in the
    graph files' community."""
    touched = {n for e in edges for n in (e.a, e.b)}
    members: dict[str, list[str]] = {}
    for address, node in node_of.items():
        members.setdefault(node, []).append(address)
    figure = {n.id: n.label for n in network.nodes}
    nodes = []
    for node, messages in ranked:
        if node not in touched:
            continue
        addresses = tuple(sorted(a for a in members.get(node, ()) if "@" in a) or (node,))
        label = figure.get(node) or next((names[a] for a in addresses if names.get(a)), node)
        community = network.facts_of(node).community or network.facts_of(addresses[0]).community
        nodes.append(NetworkNode(node, label, _kind(network, node), addresses, community,
                                 int(messages)))  # fmt: skip
    return tuple(nodes)


def _months_and_newest(frames: Frames, ties: pd.DataFrame, edge: list[str]):
    """Per edge, its messages per month and its newest :data:`SHOWN_PER_EDGE`."""
    messages = frames.messages
    ties = ties.merge(messages[["message_key", "message_id", "date_utc"]], on="message_key",
                      how="left")  # fmt: skip
    dates = usable_dates(ties["date_utc"])
    ties["month"] = dates.dt.strftime("%Y-%m").fillna("").astype(object)
    ties["when"] = dates
    months: dict[tuple[str, str], list[tuple[str, int]]] = {}
    counted = ties.groupby([*edge, "month"], sort=True).size()
    for (a, b, month), n in zip(counted.index, counted.tolist(), strict=True):
        months.setdefault((a, b), []).append((month, n))
    ties["shown"] = shown_ids(ties)
    newest = ties.sort_values([*edge, "when"], ascending=[True, True, False], na_position="last")
    newest = newest[~newest.duplicated([*edge, "shown"])]  # one message in two folders: once
    newest = newest.groupby(edge, sort=False).head(SHOWN_PER_EDGE)
    rest = ["message_key", "subject", "from_addr", "encryption"]  # for the few listed only
    newest = newest.merge(messages[rest], on="message_key", how="left", sort=False)
    listed: dict[tuple[str, str], list[MessageRef]] = {}
    for row in newest.itertuples(index=False):
        listed.setdefault((row.node_a, row.node_b), []).append(message_ref(row.shown, row))
    return ({k: tuple(v) for k, v in months.items()},
            {k: tuple(v) for k, v in listed.items()})  # fmt: skip


def pair_months(frames: Frames, pairs: Mapping[tuple[str, str], Iterable[str]]) -> dict:
    """Per identity pair, how many of the messages its links list (their Message-IDs, each
    once) were sent each month: what explore.html's time slider shows the pair by."""
    wanted = {pair: set(ids) for pair, ids in pairs.items()}
    every = set().union(*wanted.values()) if wanted else set()
    messages = frames.messages[["message_key", "message_id", "date_utc"]]
    shown = shown_ids(messages)
    found = messages[shown.isin(every)].assign(shown=shown[shown.isin(every)])
    found = found[~found["shown"].duplicated()]
    month = usable_dates(found["date_utc"]).dt.strftime("%Y-%m").fillna("").astype(object)
    month_of = dict(zip(found["shown"], month, strict=True))
    return {
        pair: tuple(sorted(Counter(month_of[i] for i in ids if i in month_of).items()))
        for pair, ids in wanted.items()
    }
