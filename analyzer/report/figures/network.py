"""Who mail goes between."""

from __future__ import annotations

import networkx as nx
from matplotlib.figure import Figure

from analyzer.report.content import Report
from analyzer.report.figures.drawing import OKABE_ITO, label, new_figure, titled

__all__ = ["ego_network"]


def ego_network(report: Report) -> Figure | None:
    """You and the people mail went between, coloured by community."""
    graph = nx.Graph()
    graph.add_weighted_edges_from(report.ego_edges)
    if len(graph) < 2:
        return None
    community = {node: n for n, members in enumerate(report.communities) for node in members}
    figure, axes = new_figure(9, 7)
    layout = nx.spring_layout(graph, seed=1, weight="weight", k=1.2 / max(len(graph), 1) ** 0.5)
    colours = [
        "#222222" if node == "you" else OKABE_ITO[community.get(node, 7) % len(OKABE_ITO)]
        for node in graph
    ]
    sizes = [
        900 if node == "you" else 60 + 25 * graph.degree(node, weight="weight") ** 0.5
        for node in graph
    ]
    widths = [0.4 + 0.6 * d["weight"] ** 0.5 for _, _, d in graph.edges(data=True)]
    nx.draw_networkx_edges(graph, layout, ax=axes, width=widths, edge_color="#BBBBBB", alpha=0.7)
    nx.draw_networkx_nodes(
        graph,
        layout,
        ax=axes,
        node_color=colours,
        node_size=sizes,
        edgecolors="white",
        linewidths=0.6,
    )
    busiest = sorted(graph.degree(weight="weight"), key=lambda kv: -kv[1])[:12]
    for node, _ in busiest:
        x, y = layout[node]
        if node == "you":
            axes.text(x, y, "you", ha="center", va="center", color="white", fontsize=9,
                      fontweight="bold", zorder=5)  # fmt: skip
            continue
        axes.annotate(
            label(node),
            (x, y),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=7.5,
        )
    axes.set_axis_off()
    return titled(
        figure,
        "Who your mail goes between" if "you" in graph else "Who mail in this archive goes between",
        "Nodes: people in From, To and Cc (the busiest 40); edges: messages they share; colours: "
        "communities (Louvain). Your addresses are one node, 'you'. Labels: the 12 busiest.",
    )
