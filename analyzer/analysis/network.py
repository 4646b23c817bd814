"""Who the mail goes between: the aggregates behind the communication graph, and the
owner's own network (their nearest correspondents and the communities among them).

Both show who wrote, not the machinery in between: an alias service's stand-in address
(``news_at_shop.example_1f@duck.com``, a SimpleLogin reverse alias) is the organisation
behind it (:func:`~analyzer.aliases.senders.party_behind`). The owner's network also
draws one node per person (the addresses linkability claims as one person merged, named
by their display name) and the mailing lists as lists, not as people.

Every address and party of the archive also gets its place in that network
(:class:`AddressFacts`: its person, kind, organisation, community, list or machinery), for
the graph files a Gephi user opens (:mod:`analyzer.graphs`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

import networkx as nx
import pandas as pd

from analyzer.addressing import alias_service, domain_of, registrable_domain
from analyzer.aliases.kinds import kind_of
from analyzer.aliases.senders import organisation_of, party_behind
from analyzer.frames import Frames, shared_values
from analyzer.linkability import CLAIM, PairVerdict
from analyzer.linkability.context import BROADCAST_PARTIES, is_person_address
from analyzer.mailing_lists import more_lists
from analyzer.owner import Owner
from analyzer.vocabulary import OWN_WORDS, PARTY_ROLES, RECIPIENT_ROLES, IdentityKind

__all__ = [
    "EGO_NEIGHBOURS",
    "NODE_KINDS",
    "AddressFacts",
    "Network",
    "NetworkNode",
    "communication_aggregates",
    "network",
    "relay_parties",
]

EGO_NEIGHBOURS = 40  # correspondents drawn in the owner's network
EGO_LISTS = 6  # mailing lists drawn with them, the busiest first
NODE_KINDS = {
    "you": "all of your addresses, as one node",
    "person": "a person: the addresses linkability claims as one person, merged",
    "organisation": "the organisation behind an alias service's stand-in address",
    "relay": "an alias service's stand-in address that names nobody",
    "list": "a mailing list",
}


@dataclass(frozen=True)
class NetworkNode:
    """One node of the owner's network."""

    id: str  # "you", a person's main address, an organisation or a list's address
    label: str  # the display name the mail gives the person, else ``id``
    kind: str = field(metadata=OWN_WORDS)  # a key of NODE_KINDS
    addresses: tuple[str, ...] = ()  # the raw addresses the node stands for
    community: int = 0  # its number in Network.communities (from 1), 0 for none
    messages: int = 0  # messages it shares with the others drawn


@dataclass(frozen=True)
class AddressFacts:
    """Where one address (or an alias service's party) sits in the whole archive's network:
    what a graph file's node says of it."""

    person: str  # its node in the network: "you", a person's main address, the party; or ""
    kind: str  # the classifier's word (kinds.KINDS; "domain" for someone else's custom
    # domain), "list", "machinery"; "organisation" or "relay" for a party
    organisation: str  # its registrable domain; "" at a public provider, alias or throwaway
    community: int  # its number in Network.archive_communities (from 1), 0 for none
    is_list: bool = False  # a mailing list
    is_machinery: bool = False  # a role or robot address (postmaster, noreply, bounces)
    report_community: int = 0  # its person's number in Network.communities, 0 if not drawn


@dataclass(frozen=True)
class Network:
    """The owner's network ("you" stands for all their identities) and the whole archive's
    sender → recipient aggregates (:func:`communication_aggregates`)."""

    edges: tuple[tuple[str, str, int], ...]  # (node id, node id, messages)
    communities: tuple[tuple[str, ...], ...]  # node ids; a community has two or more
    aggregates: dict[str, Any] = field(default_factory=dict, repr=False)
    nodes: tuple[NetworkNode, ...] = ()
    # each stand-in address of an alias service → the party it stands for
    parties: Mapping[str, str] = field(default_factory=dict, repr=False)
    # the communities of the whole archive's people (Louvain, largest first), not only
    # of those the report draws; each address and party's place in it
    archive_communities: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    facts: Mapping[str, AddressFacts] = field(default_factory=dict, repr=False)

    def facts_of(self, address: str) -> AddressFacts:
        """What the network knows of ``address``; nothing for one it never saw."""
        return self.facts.get(address) or AddressFacts("", "", "", 0)

    def community_labels(self) -> tuple[tuple[str, ...], ...]:
        """Each community's members as the figure names them, the busiest first."""
        drawn = {node.id: node for node in self.nodes}
        return tuple(
            tuple(drawn[m].label for m in sorted(members, key=lambda m: -drawn[m].messages))
            for members in self.communities
        )


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


def relay_parties(participants: pd.DataFrame, owner: Owner) -> dict[str, str]:
    """Each stand-in address of an alias service (not the owner's own) → the party it
    stands for, read from the address and the display names it comes with; an address
    with an organisation once has it everywhere (a reverse alias the owner replied to)."""
    people = participants[["address", "display_name"]].dropna(subset=["address"])
    at_service = [
        a for a in people["address"].unique() if alias_service(str(a)) and not owner.owns(a)
    ]
    found: dict[str, Counter[str]] = defaultdict(Counter)
    rows = people[people["address"].isin(at_service)].drop_duplicates()
    for address, name in zip(rows["address"], rows["display_name"], strict=True):
        party = party_behind(str(address), None if pd.isna(name) else str(name))
        if party:
            found[str(address)][party] += 1
    # an organisation the address names beats the relay it would be without one
    return {
        address: max(parties, key=lambda p: (not p.endswith("(relay)"), parties[p], p))
        for address, parties in found.items()
    }


def _merged(aggregates: dict[str, Any], parties: Mapping[str, str]) -> dict[str, Any]:
    """The aggregates with each stand-in address replaced by its party (weights summed)."""
    if not parties or not aggregates:
        return aggregates

    def party(values: Iterable[Any]) -> list[str]:
        return [parties.get(v, v) for v in values]

    weight = aggregates["weight"]
    index = pd.MultiIndex.from_arrays(
        [party(weight.index.get_level_values(n)) for n in (0, 1)], names=weight.index.names
    )
    by_pair = list(index.names)

    def regrouped(series: pd.Series, how: str) -> pd.Series:
        return getattr(pd.Series(series.to_numpy(), index=index).groupby(level=by_pair), how)()

    def renamed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        frame = frame.astype({c: object for c in columns})
        for column in columns:
            frame[column] = party(frame[column])
        return frame.drop_duplicates()

    def summed(series: pd.Series) -> pd.Series:
        keys = party(series.index)
        return pd.Series(series.to_numpy(), index=keys).groupby(level=0).sum()

    return {
        "weight": regrouped(weight, "sum"),
        "first_seen": regrouped(aggregates["first_seen"].reindex(weight.index), "min"),
        "last_seen": regrouped(aggregates["last_seen"].reindex(weight.index), "max"),
        "edge_roles": renamed(aggregates["edge_roles"], by_pair),
        "sent": summed(aggregates["sent"]),
        "received": summed(aggregates["received"]),
        "roles": renamed(aggregates["roles"], ["address"]),
    }


def network(
    frames: Frames,
    owner: Owner,
    lists: frozenset[str],
    aggregates: dict[str, Any] | None = None,
    pairs: Iterable[PairVerdict] = (),
    names: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> Network:
    """The owner's network and the archive's aggregates (``aggregates``, computed elsewhere
    such as on a Dask cluster, stand in for those of ``frames``). ``pairs`` claimed as one
    person (at :data:`~analyzer.linkability.CLAIM` or above) merge into one node, named by
    ``names`` (:func:`~analyzer.analysis.names.display_names`); ``kinds`` are the owner's
    identities' (:func:`~analyzer.aliases.kinds.identity_kinds`)."""
    if aggregates is None:
        people = frames.participants[["message_key", "address", "role"]]
        aggregates = communication_aggregates(people, frames.messages[["message_key", "date_utc"]])
    parties = relay_parties(frames.participants, owner)
    edges, communities, nodes, placed = _ego(
        frames, owner, lists, parties, _people(pairs, owner), names or {}
    )
    whole = nx.Graph()
    whole.add_weighted_edges_from((a, b, n) for (a, b), n in sorted(placed.weights.items()))
    # in a personal mailbox, the people the owner knows from a list are that list's circle
    circles = _communities(whole, placed.kind, with_lists=bool(owner.identities))
    archive_communities = tuple(circles)
    facts = _facts(frames, owner, kinds or {}, placed, archive_communities, nodes)
    return Network(
        edges, communities, _merged(aggregates, parties), nodes, parties,
        archive_communities, facts,
    )  # fmt: skip


def _people(pairs: Iterable[PairVerdict], owner: Owner) -> list[set[str]]:
    """Other people's addresses that linkability claims as one person, each group once."""
    graph = nx.Graph()
    for pair in pairs:
        claimed = pair.same_person.score >= CLAIM
        if claimed and not owner.owns(pair.a) and not owner.owns(pair.b):
            graph.add_edge(pair.a, pair.b)
    return [set(group) for group in nx.connected_components(graph)]


def _more_lists(
    lists: frozenset[str], addresses: Iterable[str], senders: set[str], names: Mapping[str, str]
) -> set[str]:
    """Lists the archive's List-Id and List-Post do not name: linkability's rule
    (:func:`analyzer.mailing_lists.more_lists`), on the name each address is shown by."""
    named = {a: (n,) for a, n in names.items() if n}
    return more_lists(lists, addresses, senders, named, is_person_address)


def _ego(
    frames: Frames,
    owner: Owner,
    lists: frozenset[str],
    parties: Mapping[str, str],
    people: list[set[str]],
    names: Mapping[str, str],
):
    """The owner (all identities as one node, "you"), the people, organisations and
    lists mail went between, and the communities among the people."""
    participants = frames.participants
    parties_rows = participants[participants["role"].isin(PARTY_ROLES)]
    parties_rows = parties_rows[["message_key", "address"]].dropna()
    parties_rows = parties_rows.sort_values("message_key", kind="stable")  # messages together
    keys, addresses = (
        shared_values(parties_rows["message_key"]),
        shared_values(parties_rows["address"]),
    )
    senders = set(participants.loc[participants["role"] == "from", "address"].dropna())
    seen = parties_rows["address"].unique()
    lists = lists | _more_lists(lists, seen, senders, names)
    times = Counter(parties_rows["address"].value_counts().to_dict())  # for the main address
    main = {frozenset(g): min(g, key=lambda a: (-times[a], a)) for g in people}
    person_of = {a: main[group] for group in map(frozenset, people) for a in group}
    node, kind = {}, {}  # address → its node id (None for no one); node id → its kind
    for address in seen:
        node[address], drawn_as = _place(address, owner, parties, lists, person_of)
        if drawn_as:
            kind[node[address]] = drawn_as
    weights: Counter[tuple[str, str]] = Counter()
    for _, in_message in groupby(zip(keys, addresses, strict=True), key=itemgetter(0)):
        present = {address for _, address in in_message}
        if len(present) > BROADCAST_PARTIES:  # a broadcast is no relationship
            continue
        named = sorted({node[a] for a in present} - {None})
        for i, a in enumerate(named):
            for b in named[i + 1 :]:
                weights[(a, b)] += 1
    kept = _kept(weights, kind, bool(owner.identities))
    edges = [(a, b, n) for (a, b), n in sorted(weights.items()) if a in kept and b in kept]
    graph = nx.Graph()
    graph.add_weighted_edges_from(edges)
    communities = _communities(graph, kind)
    members = defaultdict(list)
    for address, drawn in node.items():
        if drawn in graph:
            members[drawn].append(address)
    nodes = []
    for drawn in graph:
        addresses = sorted(members[drawn], key=lambda a: (-times[a], a))
        number = next((n for n, c in enumerate(communities, 1) if drawn in c), 0)
        shown = _label(drawn, kind[drawn], addresses, names)
        messages = int(graph.degree(drawn, weight="weight"))
        nodes.append(NetworkNode(drawn, shown, kind[drawn], tuple(addresses), number, messages))
    nodes.sort(key=lambda n: (list(NODE_KINDS).index(n.kind), -n.messages, n.id))
    placed = _Placed(node, kind, weights, lists, person_of, parties)
    return tuple(edges), tuple(communities), _unique_labels(nodes), placed


def _place(
    address: str,
    owner: Owner,
    parties: Mapping[str, str],
    lists: frozenset[str],
    person_of: Mapping[str, str],
) -> tuple[str | None, str]:
    """An address's node in the owner's network and that node's kind (a key of
    :data:`NODE_KINDS`); (None, "") for machinery, which is nobody's."""
    if owner.owns(address):
        return "you", "you"
    if address in parties and "@" in parties[address]:  # a person at a public provider
        return person_of.get(parties[address], parties[address]), "person"
    if address in parties:
        party = parties[address]
        return party, "relay" if party.endswith("(relay)") else "organisation"
    if address in lists:
        return address, "list"
    if is_person_address(address):
        return person_of.get(address, address), "person"
    return None, ""


@dataclass(frozen=True)
class _Placed:
    """What placing the archive's addresses found, for :func:`_facts`."""

    node: dict[str, str | None]  # each From/To/Cc address → its node (None for machinery)
    kind: dict[str, str]  # each node → its kind (NODE_KINDS)
    weights: Counter[tuple[str, str]]  # messages two nodes share, broadcasts left out
    lists: frozenset[str]  # the archive's lists, those it names and those it shows
    person_of: dict[str, str]  # an address linkability claims → its person's main address
    parties: Mapping[str, str]  # each stand-in address of an alias service → its party


def _facts(
    frames: Frames,
    owner: Owner,
    kinds: Mapping[str, str],
    placed: _Placed,
    communities: Iterable[tuple[str, ...]],
    drawn_nodes: Iterable[NetworkNode],
) -> dict[str, AddressFacts]:
    """Each address of the archive (any header) and each party an alias service stands in
    for: its person, its kind (:func:`_kind`), its organisation, its community in the
    whole archive, and whether it is a list or machinery."""
    community_of = {member: n for n, members in enumerate(communities, 1) for member in members}
    in_figure = {node.id: node.community for node in drawn_nodes}
    addresses = [str(a) for a in frames.participants["address"].dropna().unique()]
    where = {address: _placed(address, owner, placed) for address in addresses}
    people_at: defaultdict[str, set[str]] = defaultdict(set)  # domain → the people there
    for address, (drawn, drawn_as) in where.items():
        if drawn_as == "person" and "@" in address:
            people_at[registrable_domain(domain_of(address))].add(str(drawn))
    facts = {}
    for address, (drawn, drawn_as) in where.items():
        colleagues = len(people_at[registrable_domain(domain_of(address))] - {drawn})
        kind = _kind(address, owner, kinds, drawn, drawn_as, colleagues)
        organisation = organisation_of(address) if "@" in address else ""
        if "@" in organisation or kind.startswith("alias") or kind == "disposable":
            organisation = ""  # a public provider's mailbox, an alias: no organisation
        facts[address] = AddressFacts(
            drawn or "", kind, organisation, community_of.get(drawn or "", 0),
            is_list=drawn_as == "list", is_machinery=drawn is None,
            report_community=in_figure.get(drawn or "", 0),
        )  # fmt: skip
    for party in {p for p in placed.parties.values() if "@" not in p}:
        relay = party.endswith("(relay)")
        facts[party] = AddressFacts(
            party, "relay" if relay else "organisation", "" if relay else party,
            community_of.get(party, 0), report_community=in_figure.get(party, 0),
        )  # fmt: skip
    return facts


def _placed(address: str, owner: Owner, placed: _Placed) -> tuple[str | None, str]:
    """An address's node and its kind (:func:`_place`), as placing From, To and Cc found
    them; an address in no From, To or Cc (Reply-To, Sender, a delivery header) alike."""
    if address in placed.node:
        drawn = placed.node[address]
        return drawn, placed.kind[drawn] if drawn else ""
    return _place(address, owner, placed.parties, placed.lists, placed.person_of)


def _kind(
    address: str,
    owner: Owner,
    kinds: Mapping[str, str],
    drawn: str | None,
    drawn_as: str,
    colleagues: int,
) -> str:
    """What an address is, as a graph file's node says it (a plain string). The owner's
    own by the one classifier (:func:`~analyzer.aliases.kinds.kind_of`); a list ``list``
    and machinery ``machinery``; someone else's by the same classifier told how many other
    people (not addresses: no bounce address, no second address of theirs) the mail shows
    at its domain, except that ``custom-domain`` (a domain only the owner uses) says of
    them only ``domain``: the mail cannot tell a person's own domain from an organisation
    it hears from through one address."""
    if "@" not in address:
        return ""
    if owner.owns(address):
        return str(kinds.get(address) or kind_of(address, owner))
    if drawn_as == "list":
        return "list"
    if drawn is None:
        return "machinery"
    kind = str(kind_of(address, owner, colleagues=colleagues))
    return "domain" if kind == IdentityKind.CUSTOM_DOMAIN else kind


def _kept(weights: Counter[tuple[str, str]], kind: Mapping[str, str], has_owner: bool) -> set:
    """The busiest people and organisations (the owner's nearest, or the archive's
    busiest), the lists among them, and "you"."""
    near: Counter[str] = Counter()
    on_lists: Counter[str] = Counter()
    for (a, b), n in weights.items():
        for one, other in ((a, b), (b, a)):
            if kind[one] == "list":
                continue
            if kind[other] == "list":
                on_lists[one] += n
            elif not has_owner or other == "you":
                near[one] += n
    near.pop("you", None)
    if not near:  # nobody wrote to anybody but through lists: the lists' busiest posters
        near = on_lists
    kept = {a for a, _ in sorted(near.items(), key=lambda kv: (-kv[1], kv[0]))[:EGO_NEIGHBOURS]}
    kept |= {"you"} if has_owner else set()
    listed: Counter[str] = Counter()
    for (a, b), n in weights.items():
        for one, other in ((a, b), (b, a)):
            if kind[one] == "list" and other in kept:
                listed[one] += n
    return kept | {a for a, _ in sorted(listed.items(), key=lambda kv: (-kv[1], kv[0]))[:EGO_LISTS]}


def _communities(
    graph: nx.Graph, kind: Mapping[str, str], *, with_lists: bool = False
) -> list[tuple[str, ...]]:
    """Louvain communities of the people (not you, not lists), largest first; one person
    alone is no community.

    ``with_lists`` counts the lists as members too: in a personal mailbox most people
    share mail with nobody but the owner, and those who post to one list are one circle
    with it. Not in a list archive, where a list ties nearly everyone and would make one
    community of them all; nor for "you", who ties everyone in your own mailbox."""
    left_out = ("you",) if with_lists else ("you", "list")
    others = graph.subgraph([n for n in graph if kind[n] not in left_out])
    if not len(others):
        return []
    found = nx.community.louvain_communities(others, weight="weight", seed=1)
    return sorted((tuple(sorted(c)) for c in found if len(c) > 1), key=lambda c: (-len(c), c))


def _label(drawn: str, kind: str, addresses: list[str], names: Mapping[str, str]) -> str:
    """A person by the name their mail gives them (their busiest address's first), else
    their main address; anything else by its id."""
    if kind != "person":
        return drawn
    return next((names[a] for a in addresses if names.get(a)), drawn)


def _unique_labels(nodes: list[NetworkNode]) -> tuple[NetworkNode, ...]:
    """Two people who go by one name are told apart by their main address."""
    shared = Counter(n.label for n in nodes)
    return tuple(
        NetworkNode(n.id, f"{n.label} ({n.id})", n.kind, n.addresses, n.community, n.messages)
        if shared[n.label] > 1 and n.label != n.id
        else n
        for n in nodes
    )
