"""Graphs with networkx: who writes to whom, and which identities are joined by what.

Both graphs keep only scalar attributes (strings, numbers, booleans) so that they
export to GraphML and GEXF unchanged and open in Gephi. Every node says who it is
(:func:`node_facts`: its label, person, kind, organisation, community, list or machinery),
as the analysis found it; docs/graphs.md lists every attribute.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import pandas as pd

from analyzer.analysis import Analysis
from analyzer.errors import OutputError, UsageError
from analyzer.output_folder import atomic_file, ensure_folder
from analyzer.readable import iso_instant

__all__ = [
    "communication_graph",
    "graph_files",
    "identity_graph",
    "node_facts",
    "write_graphs",
]

_PAIR = ["address_from", "address_to"]


def _iso(value: object) -> str:
    return iso_instant(value) or ""


def _joined(distinct: pd.DataFrame, by: list[str]) -> pd.Series:
    """Each group's roles (``distinct`` rows), sorted and joined by ``;`` (as plain
    strings: a join over a categorical column iterates it value by value)."""
    ordered = distinct.astype({"role": object}).sort_values([*by, "role"])
    return ordered.groupby(by, sort=True, observed=True)["role"].agg(";".join)


def node_facts(analysis: Analysis, node: str) -> dict[str, object]:
    """What a Gephi user colours, sizes and filters a node by, as the analysis has it:
    ``label`` (its display name, else the node itself), ``name`` (the display name, or
    ""), ``person`` (the network node it belongs to: "you", a person's main address, the
    organisation behind a stand-in), ``kind``, ``organisation``, ``community`` (0 for
    none), ``report_community`` (its number under the report's figure, 0 if not drawn),
    ``is_list`` and ``is_machinery``."""
    facts = analysis.network.facts_of(node)
    name = analysis.names.get(node, "")
    return {
        "label": name or node,
        "name": name,
        "person": facts.person,
        "kind": facts.kind,
        "organisation": facts.organisation,
        "community": facts.community,
        "report_community": facts.report_community,
        "is_list": facts.is_list,
        "is_machinery": facts.is_machinery,
    }


def communication_graph(analysis: Analysis) -> nx.DiGraph:
    """Sender → recipient, weighted by messages, with first/last seen and roles.

    Nodes carry ``messages_sent``, ``messages_received``, ``roles`` (every header role the
    address takes), ``owner`` (one of the owner's identities), ``addresses`` (the raw
    addresses the node stands for, ``;``-joined) and :func:`node_facts`; edges carry
    ``weight`` (messages), ``first_seen``, ``last_seen`` and ``roles``. Roles are joined by
    ``;`` in name order: ``cc;to``. Drawn from the analysis's aggregates
    (:func:`~analyzer.analysis.communication_aggregates`).

    An alias service's stand-in address (a DuckDuckGo or SimpleLogin reverse alias) is the
    organisation behind it, as the analysis found it (``Network.parties``): the node is
    ``shop.example`` with ``kind`` ``organisation`` and the stand-in addresses in
    ``addresses``, or ``simplelogin.co (relay)`` with ``kind`` ``relay`` when the address
    names nobody (a sender at a public provider stays that person's address). Its weights
    are the sums over those addresses.
    """
    aggregates = analysis.network.aggregates
    weights = aggregates["weight"].sort_index()
    first = aggregates["first_seen"].reindex(weights.index)
    last = aggregates["last_seen"].reindex(weights.index)
    edge_roles = _joined(aggregates["edge_roles"], _PAIR).reindex(weights.index)
    graph = nx.DiGraph()
    graph.add_edges_from(
        (source, target, {"weight": int(weight), "first_seen": _iso(earliest),
                          "last_seen": _iso(latest), "roles": roles})
        for (source, target), weight, earliest, latest, roles in zip(
            weights.index, weights, first, last, edge_roles, strict=True
        )
    )  # fmt: skip
    sent, received = aggregates["sent"], aggregates["received"]
    roles = _joined(aggregates["roles"], ["address"])
    owner = analysis.owner
    stands_for: dict[str, list[str]] = {}
    for address, party in analysis.network.parties.items():
        stands_for.setdefault(party, []).append(address)
    for node in graph.nodes:
        graph.nodes[node]["roles"] = roles.get(node, "")
        graph.nodes[node]["messages_sent"] = int(sent.get(node, 0))
        graph.nodes[node]["messages_received"] = int(received.get(node, 0))
        graph.nodes[node]["owner"] = owner.owns(node)
        graph.nodes[node].update(node_facts(analysis, node))
        addresses = {*stands_for.get(node, ()), *([node] if "@" in node else ())}
        graph.nodes[node]["addresses"] = ";".join(sorted(addresses or {node}))
    return graph


def identity_graph(analysis: Analysis) -> nx.Graph:
    """Addresses as nodes, one edge per pair the analysis kept, with both questions.

    Edges carry ``messages`` (the messages that show the pair's evidence), ``weight`` (the
    same, at least 1: Gephi drops an edge of weight 0 as it imports it), ``score`` and
    ``same_person`` (both the same-person score), ``confidence``, ``same_person_seen_by``
    (the most visible observer class that can claim it, or ""), ``known_together_by``
    (the observer class that holds both, or ""), ``evidence`` (ids, ``;``-joined),
    ``relation`` (owner, suggestion, others) and ``finding`` (its id in the report and
    findings.json, or ""). Nodes carry ``owner`` and :func:`node_facts`.
    """
    owner = analysis.owner
    graph = nx.Graph()
    for pair in analysis.pairs:
        for address in (pair.a, pair.b):
            if address not in graph:
                graph.add_node(address, owner=owner.owns(address), **node_facts(analysis, address))
        evidence = sorted({link.evidence for link in analysis.links_of(pair.a, pair.b)})
        behind = analysis.messages_behind(pair.a, pair.b)
        same = pair.same_person
        graph.add_edge(
            pair.a,
            pair.b,
            weight=max(behind, 1),  # Gephi drops an edge of weight 0 as it imports it
            messages=behind,
            score=same.score,
            same_person=same.score,
            confidence=same.confidence,
            same_person_seen_by=same.observer_class or "",
            known_together_by=pair.known_together.observer_class if pair.known_together else "",
            evidence=";".join(evidence),
            relation=pair.relation,
            finding=analysis.finding_ids.get((pair.a, pair.b), ""),
        )
    return graph


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(graph: nx.Graph) -> nx.Graph:
    """A copy whose names and text attributes hold only characters XML 1.0 allows.

    A hostile address with a control character would otherwise make the whole file
    unreadable to Gephi.
    """

    def clean(value: object) -> object:
        return _XML_INVALID.sub("\ufffd", value) if isinstance(value, str) else value

    safe = nx.relabel_nodes(graph, {n: clean(n) for n in graph.nodes}, copy=True)
    for _, data in safe.nodes(data=True):
        data.update({k: clean(v) for k, v in data.items()})
    for *_, data in safe.edges(data=True):
        data.update({k: clean(v) for k, v in data.items()})
    return safe


# beyond this many edges, GraphML and GEXF (built whole in memory) keep the owner's network
MAX_XML_EDGES = 100_000
GRAPH_FORMATS = ("graphml", "gexf", "parquet")


def own_network(graph: nx.Graph, limit: int = MAX_XML_EDGES) -> nx.Graph:
    """The graph as it is when it is small; else the owner's addresses and the edges that
    touch them, or, with no owner in it, the ``limit`` heaviest edges."""
    if graph.number_of_edges() <= limit:
        return graph
    mine = [n for n, owned in graph.nodes(data="owner") if owned]
    if mine:
        edges = [(a, b) for a, b in graph.edges if a in mine or b in mine]
    else:
        edges = sorted(graph.edges, key=lambda e: -graph.edges[e].get("weight", 1))
    return graph.edge_subgraph(edges[:limit]).copy()


def _write_parquet(graph: nx.Graph, target: Path, name: str) -> list[Path]:
    """``NAME.nodes.parquet`` (``id`` and the node attributes) and ``NAME.edges.parquet``
    (``source``, ``target`` and the edge attributes): any size, read by pandas and Gephi."""
    nodes = pd.DataFrame([{"id": n, **data} for n, data in graph.nodes(data=True)],
                         columns=["id"] if not len(graph) else None)  # fmt: skip
    edges = pd.DataFrame(
        [{"source": a, "target": b, **data} for a, b, data in graph.edges(data=True)],
        columns=["source", "target"] if not graph.number_of_edges() else None,
    )
    paths = [target / f"{name}.nodes.parquet", target / f"{name}.edges.parquet"]
    for frame, path in zip((nodes, edges), paths, strict=True):
        with atomic_file(path) as file:
            frame.to_parquet(file, index=False)
    return paths


def graph_files(names: Iterable[str], formats: Iterable[str] = GRAPH_FORMATS) -> list[str]:
    """The file names :func:`write_graphs` writes for graphs called ``names``."""
    formats = list(formats)
    unknown = sorted(set(formats) - set(GRAPH_FORMATS))
    if unknown:
        raise UsageError(f"unknown graph format {unknown[0]!r}; use graphml, gexf or parquet")
    suffixes = [f"{kind}.parquet" for kind in ("nodes", "edges")] if "parquet" in formats else []
    suffixes += [f for f in formats if f != "parquet"]
    return [f"{name}.{suffix}" for name in sorted(names) for suffix in suffixes]


def write_graphs(
    graphs: dict[str, nx.Graph],
    folder: str | os.PathLike[str],
    formats: Iterable[str] = GRAPH_FORMATS,
    *,
    max_xml_edges: int = MAX_XML_EDGES,
) -> list[Path]:
    """Write each graph as ``NAME.graphml``, ``NAME.gexf`` and ``NAME.{nodes,edges}.parquet``
    (or the formats asked for); return the paths. The Parquet tables always hold the whole
    graph; GraphML and GEXF hold at most :data:`MAX_XML_EDGES` edges (:func:`own_network`)."""
    writers = {"graphml": nx.write_graphml, "gexf": nx.write_gexf}
    graph_files(graphs, formats)  # an unknown format is refused before anything is written
    target = ensure_folder(Path(folder))
    written = []
    try:
        for name, graph in sorted(graphs.items()):
            graph = _xml_safe(graph)
            if "parquet" in formats:
                written += _write_parquet(graph, target, name)
            shown = own_network(graph, max_xml_edges) if set(formats) & set(writers) else graph
            for file_format in (f for f in formats if f in writers):
                path = target / f"{name}.{file_format}"
                with atomic_file(path) as file:  # never through a link, never half a file
                    writers[file_format](shown, file)
                written.append(path)
    except OSError as error:
        raise OutputError(f"cannot write graphs to {target}: {error.strerror or error}") from None
    return written
