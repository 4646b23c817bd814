"""Your addresses, and the evidence that ties them."""

from __future__ import annotations

import networkx as nx
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analyzer.analysis import CLAIM
from analyzer.report.content import OBSERVER_WORDS, Report
from analyzer.report.figures.drawing import OBSERVER_COLOURS, label, new_figure, titled

__all__ = ["identity_graph"]


def identity_graph(report: Report) -> Figure | None:
    """Your addresses, joined where evidence ties them, coloured by who can tell."""
    graph = nx.Graph()
    graph.add_nodes_from(report.owner)
    for finding in report.findings:
        if finding.relation != "owner":
            continue
        if finding.seen_by:
            graph.add_edge(
                finding.a,
                finding.b,
                colour=OBSERVER_COLOURS[finding.seen_by],
                style="solid",
                width=1.2 + 2.5 * finding.score,
            )
        elif finding.known_together_by:
            graph.add_edge(finding.a, finding.b, colour="#999999", style="dashed", width=1.0)
    if len(graph) < 2:
        return None
    figure, axes = new_figure(9, min(6.5, 2.5 + 0.5 * len(graph)))
    layout = nx.circular_layout(graph) if len(graph) <= 12 else nx.spring_layout(graph, seed=1)
    # the strongest edges last, on top
    edges = sorted(graph.edges(data=True), key=lambda e: e[2]["style"] == "solid")
    for a, b, data in edges:
        nx.draw_networkx_edges(
            graph,
            layout,
            edgelist=[(a, b)],
            ax=axes,
            width=data["width"],
            edge_color=data["colour"],
            style=data["style"],
            alpha=0.85,
        )
    nx.draw_networkx_nodes(
        graph,
        layout,
        ax=axes,
        node_color="#FFFFFF",
        edgecolors="#222222",
        node_size=260,
        linewidths=1.2,
    )
    for node, (x, y) in layout.items():
        axes.annotate(
            label(node),
            (x, y),
            xytext=(0, -16),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8.5,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    legend = [
        Line2D(
            [0], [0], color=OBSERVER_COLOURS[c], lw=3, label=f"one person to {OBSERVER_WORDS[c]}"
        )
        for c in OBSERVER_WORDS
    ] + [Line2D([0], [0], color="#999999", lw=1, ls="--", label="known together only")]
    axes.legend(
        handles=legend,
        loc="upper left",
        bbox_to_anchor=(0, -0.02),
        fontsize=8.5,
        frameon=False,
        ncol=2,
    )
    axes.set_axis_off()
    axes.margins(0.18)
    return titled(
        figure,
        "Which of your addresses can be tied together, and by whom",
        f"An edge: evidence in the headers says both addresses are one person's (score ≥ {CLAIM}), "
        "coloured by the most widely placed observers who can tell. Source: mxa linkability.",
    )
